// The console's way to the server: the session (kept in memory only), the
// FC API through /console/api with the CSRF header on writes, and the
// unauthenticated read endpoints (/metrics, /_wasm-fc/stats, /_wasm-fc/nodes).

/** The signed-in session ({accessKeyId, csrfToken, expiresAtMs, accountId, region}) or null. */
export const session = { current: null, onUnauthorized: () => {} };

/** An API error: shown as "ErrorCode: ErrorMessage". */
export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(`${code}: ${message}`);
    this.status = status;
    this.code = code;
    this.errorMessage = message;
    this.requestId = requestId || '';
  }
}

const API_VERSION = '/2016-08-15';

/** Path of an FC resource: fc('services', s, 'functions') → /2016-08-15/services/<s>/functions. */
export function fc(...segments) {
  return `${API_VERSION}/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

/** Path of a wasm-fc extension under /_wasm-fc. */
export function ext(...segments) {
  return `/_wasm-fc/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

/**
 * A URL the page may fetch (the CSP allows its own origin only): a URL of
 * another origin (the server named itself by another host) is rewritten to
 * the page's origin, keeping its path and query.
 */
export function sameOriginUrl(url) {
  const parsed = new URL(url, location.href);
  return parsed.origin === location.origin ? parsed.href : location.origin + parsed.pathname + parsed.search;
}

/** Reads an error answer into an ApiError. */
async function errorOf(response) {
  const text = await response.text().catch(() => '');
  let code = `HTTP${response.status}`;
  let message = text || statusText(response.status);
  try {
    const body = JSON.parse(text);
    if (body && (body.ErrorCode || body.errorCode)) {
      code = body.ErrorCode || body.errorCode;
      message = body.ErrorMessage || body.errorMessage || '';
    }
  } catch {
    // not JSON: keep the text
  }
  return new ApiError(response.status, code, message, response.headers.get('x-fc-request-id'));
}

/** fetch, with network failures turned into an ApiError. */
async function send(url, init) {
  try {
    return await fetch(url, { credentials: 'same-origin', ...init });
  } catch (error) {
    throw new ApiError(0, 'NetworkError', error && error.message ? error.message : String(error));
  }
}

/**
 * Calls /console/api{path}. `body`: an object (sent as JSON), a string or bytes.
 * Returns the parsed JSON (null for 204), or the Response itself with `raw`.
 * A 401 ends the session in the page (back to the sign-in form).
 */
export async function api(method, path, { body, headers = {}, raw = false } = {}) {
  const h = { ...headers };
  if (method !== 'GET' && method !== 'HEAD' && session.current) h['X-Csrf-Token'] = session.current.csrfToken;
  let payload = body;
  if (body !== undefined && body !== null && typeof body === 'object' && !(body instanceof Uint8Array) && !(body instanceof ArrayBuffer)) {
    payload = JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  const response = await send(`/console/api${path}`, { method, headers: h, body: payload });
  if (response.status === 401) {
    const err = await errorOf(response);
    session.onUnauthorized(err);
    throw err;
  }
  if (raw) return response;
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Every item of a paginated FC list (follows nextToken; at most `pages` pages). */
export async function listAll(path, key, { pages = 20, extra = '' } = {}) {
  const items = [];
  let token = '';
  for (let i = 0; i < pages; i++) {
    const query = `?limit=100${extra}${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`;
    const page = await api('GET', path + query);
    items.push(...((page && page[key]) || []));
    token = page && page.nextToken;
    if (!token) break;
  }
  return items;
}

/** GET of an unauthenticated same-origin endpoint; text or JSON. */
export async function plainGet(path, { json = true } = {}) {
  const response = await send(path, { method: 'GET' });
  if (!response.ok) throw await errorOf(response);
  return json ? response.json() : response.text();
}

// ------------------------------------------------------------------ the session

/** GET /console/session: the session, or null when signed out (401). */
export async function loadSession() {
  const response = await send('/console/session', { method: 'GET' });
  if (response.status === 401) return null;
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/** POST /console/session with a key pair; the session, or throws an ApiError. */
export async function signIn(accessKeyId, accessKeySecret) {
  const response = await send('/console/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ accessKeyId, accessKeySecret }),
  });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/** DELETE /console/session with the CSRF header. A 401 counts as signed out already. */
export async function signOut() {
  const token = session.current ? session.current.csrfToken : '';
  const response = await send('/console/session', { method: 'DELETE', headers: { 'X-Csrf-Token': token } });
  if (!response.ok && response.status !== 401) throw await errorOf(response);
}

// ------------------------------------------------------------------ encodings

/** Bytes → base64, in chunks (a multiple of 3 bytes each, so the pieces join). */
export function bytesToBase64(bytes) {
  const CHUNK = 3 * 8192;
  const parts = [];
  for (let i = 0; i < bytes.length; i += CHUNK) {
    const slice = bytes.subarray(i, i + CHUNK);
    let binary = '';
    for (let j = 0; j < slice.length; j++) binary += String.fromCharCode(slice[j]);
    parts.push(btoa(binary));
  }
  return parts.join('');
}

/** base64 → UTF-8 text (lossy); '' for bad input. */
export function base64ToText(b64) {
  try {
    const binary = atob(b64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new TextDecoder('utf-8').decode(bytes);
  } catch {
    return '';
  }
}

const STATUS_TEXT = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found',
  304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 409: 'Conflict', 412: 'Precondition Failed', 413: 'Payload Too Large',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** "OK", "Accepted", … for a status code. */
export function statusText(status) {
  return STATUS_TEXT[status] || '';
}

// ------------------------------------------------------------------ Prometheus text

/** Parses Prometheus text exposition into [{ name, labels: {}, value }]. */
export function parsePrometheus(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    const re = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    let l;
    while ((l = re.exec(m[2] || '')) !== null) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}
