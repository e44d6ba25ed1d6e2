// Shared helpers of the console's real-browser tests (node:test + playwright-core + Debian's Chromium).
//
// The Rust harness sets:
//   WASM_FC_ENDPOINT         http://127.0.0.1:PORT of a running wasm-fc
//   WASM_FC_KEY_ID / WASM_FC_SECRET   the access key pair of that server
//   WASM_FC_EVENT_HELLO_WASM / WASM_FC_HTTP_HELLO_WASM   paths of the example guests
//   WASM_FC_RUNTIMES=1       when the Python/Node.js runtimes are available on that server
//   CONSOLE_NODE_MODULES     the node_modules dir that holds playwright-core (ES imports ignore NODE_PATH)
//   WASM_FC_SCREENSHOTS      where full-page PNGs of named steps go (optional)
//   WASM_FC_CHROMIUM         the browser (default /usr/bin/chromium)

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';

if (!process.env.CONSOLE_NODE_MODULES) {
  throw new Error('CONSOLE_NODE_MODULES is not set: it must name the node_modules dir holding playwright-core');
}
const require = createRequire(path.resolve(process.env.CONSOLE_NODE_MODULES) + '/');
export const { chromium } = require('playwright-core');

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the console tests need a running wasm-fc)`);
  return value;
}

export const ENDPOINT = required('WASM_FC_ENDPOINT').replace(/\/+$/, '');
export const KEY_ID = required('WASM_FC_KEY_ID');
export const SECRET = required('WASM_FC_SECRET');
export const CHROMIUM = process.env.WASM_FC_CHROMIUM || '/usr/bin/chromium';
export const SCREENSHOTS = process.env.WASM_FC_SCREENSHOTS || '';
export const RUNTIMES = process.env.WASM_FC_RUNTIMES === '1';
export const CONSOLE_URL = `${ENDPOINT}/console/`;

/** Per test (node:test `timeout`), and per wait/expectation. */
export const TEST_TIMEOUT = 60_000;
export const WAIT = 20_000;

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function eventHelloWasm() {
  return fs.readFileSync(required('WASM_FC_EVENT_HELLO_WASM'));
}

/** The logger guest: logs `event <the event JSON>` and returns the event. */
export function loggerWasm() {
  return fs.readFileSync(required('WASM_FC_LOGGER_WASM'));
}

export function httpHelloWasm() {
  return fs.readFileSync(required('WASM_FC_HTTP_HELLO_WASM'));
}

/** A resource name unique to one test: letters, digits, `-`. */
export function uniqueName(prefix) {
  return `${prefix}-${crypto.randomBytes(4).toString('hex')}`;
}

// ---------------------------------------------------------------- browser

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/**
 * A fresh context and page at 1280x800 that records page errors, console errors
 * (CSP violations among them) and dialogs; confirm() dialogs are accepted.
 * `extraInit` is an optional init script (a function) run before the page's own scripts.
 */
export async function openPage(browser, { extraInit } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  if (extraInit) await context.addInitScript(extraInit);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.setDefaultNavigationTimeout(WAIT);
  const record = { pageErrors: [], consoleErrors: [], dialogs: [] };
  page.on('pageerror', (error) => record.pageErrors.push(String(error && error.stack ? error.stack : error)));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      record.consoleErrors.push({ text: message.text(), url: (message.location() || {}).url || '' });
    }
  });
  page.on('dialog', (dialog) => {
    record.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.accept().catch(() => {});
  });
  return { context, page, record };
}

/**
 * Console errors that are only the browser reporting a non-2xx answer of a request the
 * test provoked on purpose ("Failed to load resource: ... status of 401/403/...") do not
 * count; everything else does (uncaught errors, CSP violations, the app's console.error).
 */
export function realConsoleErrors(record) {
  return record.consoleErrors.filter(
    (e) => !/^Failed to load resource: the server responded with a status of \d+/.test(e.text),
  );
}

/** Fails the test on any page error, CSP violation or console error of the app. */
export function assertNoPageErrors(record, what = 'the page') {
  assert.deepEqual(record.pageErrors, [], `${what} raised uncaught errors`);
  assert.deepEqual(
    realConsoleErrors(record).map((e) => `${e.text} (${e.url})`),
    [],
    `${what} logged console errors (CSP violations count)`,
  );
}

/** Full-page PNG of one named step into WASM_FC_SCREENSHOTS (when set). */
export async function screenshot(page, name) {
  if (!SCREENSHOTS) return null;
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// ---------------------------------------------------------------- console navigation

export async function signIn(page, keyId = KEY_ID, secret = SECRET) {
  if (!page.url().startsWith(CONSOLE_URL)) await page.goto(CONSOLE_URL);
  await page.locator('#signin-form').waitFor({ state: 'visible' });
  await page.fill('#access-key-id', keyId);
  await page.fill('#access-key-secret', secret);
  await page.locator('#signin-form button[type="submit"], #signin-form input[type="submit"]').first().click();
  await expectText(page, '#whoami', keyId);
}

/** Goes to a hash route of the console (a same-document navigation once the console is loaded). */
export async function gotoRoute(page, hash) {
  const route = hash.startsWith('#') ? hash : `#${hash}`;
  if (page.url().startsWith(CONSOLE_URL)) {
    await page.evaluate((h) => {
      if (location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange'));
      else location.hash = h;
    }, route);
  } else {
    await page.goto(CONSOLE_URL + route);
  }
}

export function servicePath(service) {
  return `#/services/${encodeURIComponent(service)}`;
}

export function functionPath(service, fn) {
  return `#/services/${encodeURIComponent(service)}/functions/${encodeURIComponent(fn)}`;
}

/** Waits until the text of the first match of `selector` contains `expected` (a string or RegExp). */
export async function expectText(page, selector, expected, { timeout = WAIT } = {}) {
  const isRegex = expected instanceof RegExp;
  const spec = isRegex ? { source: expected.source, flags: expected.flags } : String(expected);
  try {
    await page.waitForFunction(
      ([sel, want, regex]) => {
        const el = document.querySelector(sel);
        if (!el) return false;
        const text = el.textContent || '';
        return regex ? new RegExp(want.source, want.flags).test(text) : text.includes(want);
      },
      [selector, spec, isRegex],
      { timeout },
    );
  } catch (error) {
    const actual = await page
      .evaluate((sel) => {
        const el = document.querySelector(sel);
        return el ? el.textContent : '<no such element>';
      }, selector)
      .catch(() => '<page gone>');
    const shownError = await page
      .evaluate(() => (document.querySelector('#error') || {}).textContent || '')
      .catch(() => '');
    throw new assert.AssertionError({
      message:
        `${selector} never contained ${isRegex ? expected : JSON.stringify(expected)} within ${timeout} ms; ` +
        `it holds ${JSON.stringify(String(actual).slice(0, 2000))}` +
        (shownError ? `; #error shows ${JSON.stringify(shownError)}` : ''),
    });
  }
}

/** The trimmed text of the first match of `selector` (waits for it to be attached). */
export async function textOf(page, selector) {
  await page.locator(selector).first().waitFor({ state: 'attached' });
  return ((await page.locator(selector).first().textContent()) || '').trim();
}

/** Clicks the submit button of a form. */
export async function submit(page, formSelector) {
  await page
    .locator(`${formSelector} button[type="submit"], ${formSelector} input[type="submit"], ${formSelector} button:not([type])`)
    .first()
    .click();
}

/** The text shown in the view's `#error`, or '' (for failure messages). */
export async function shownError(page) {
  return page.evaluate(() => (document.querySelector('#error') || {}).textContent || '').catch(() => '');
}

// ---------------------------------------------------------------- API through the session

/**
 * Calls `/console/api{apiPath}` from inside the signed-in page (the browser sends the
 * session cookie). `csrf`: true = take the token from GET /console/session; a string =
 * send that token; false = send none.
 */
export async function consoleApi(page, method, apiPath, { body, headers = {}, csrf = true } = {}) {
  return page.evaluate(
    async ({ method, url, body, headers, csrf }) => {
      const h = { ...headers };
      if (csrf === true) {
        const s = await fetch('/console/session', { credentials: 'same-origin' });
        if (!s.ok) throw new Error(`GET /console/session answered ${s.status}`);
        h['X-Csrf-Token'] = (await s.json()).csrfToken;
      } else if (typeof csrf === 'string') {
        h['X-Csrf-Token'] = csrf;
      }
      let payload;
      if (body !== undefined) {
        payload = typeof body === 'string' ? body : JSON.stringify(body);
        if (typeof body !== 'string' && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
          h['Content-Type'] = 'application/json';
        }
      }
      const r = await fetch(url, { method, headers: h, body: payload, credentials: 'same-origin' });
      const text = await r.text();
      let json = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: r.status, headers: Object.fromEntries(r.headers.entries()), text, json };
    },
    { method, url: `/console/api${apiPath}`, body, headers, csrf },
  );
}

/** GET `/console/api{apiPath}` expecting 200; returns the JSON. */
export async function apiGet(page, apiPath) {
  const r = await consoleApi(page, 'GET', apiPath);
  assert.equal(r.status, 200, `GET ${apiPath} answered ${r.status}: ${r.text}`);
  return r.json;
}

/**
 * Best-effort removal of a service and everything in it through the API (cleanup after a
 * failed test; never an assertion). Works from any page of the console's origin that is signed in.
 */
export async function purgeService(page, service) {
  try {
    const base = `/2016-08-15/services/${encodeURIComponent(service)}`;
    const aliases = await consoleApi(page, 'GET', `${base}/aliases`);
    for (const a of (aliases.json && aliases.json.aliases) || []) {
      await consoleApi(page, 'DELETE', `${base}/aliases/${encodeURIComponent(a.aliasName)}`);
    }
    const fns = await consoleApi(page, 'GET', `${base}/functions?limit=100`);
    for (const f of (fns.json && fns.json.functions) || []) {
      const fb = `${base}/functions/${encodeURIComponent(f.functionName)}`;
      const trs = await consoleApi(page, 'GET', `${fb}/triggers`);
      for (const t of (trs.json && trs.json.triggers) || []) {
        await consoleApi(page, 'DELETE', `${fb}/triggers/${encodeURIComponent(t.triggerName)}`);
      }
      await consoleApi(page, 'DELETE', fb);
    }
    const versions = await consoleApi(page, 'GET', `${base}/versions`);
    for (const v of (versions.json && versions.json.versions) || []) {
      await consoleApi(page, 'DELETE', `${base}/versions/${encodeURIComponent(v.versionId)}`);
    }
    await consoleApi(page, 'DELETE', base);
  } catch {
    // cleanup only
  }
}

/** Creates a service and a Wasm function straight through the API (setup for tests that are about something else). */
export async function apiCreateWasmFunction(page, service, fn, wasm, { description, env, timeout = 10, memorySize = 128 } = {}) {
  const base = `/2016-08-15/services/${encodeURIComponent(service)}`;
  const s = await consoleApi(page, 'GET', base);
  if (s.status === 404) {
    const c = await consoleApi(page, 'POST', '/2016-08-15/services', { body: { serviceName: service, description: '' } });
    assert.equal(c.status, 200, `CreateService answered ${c.status}: ${c.text}`);
  }
  const body = {
    functionName: fn,
    runtime: 'custom',
    handler: 'index.handler',
    memorySize,
    timeout,
    environmentVariables: env || {},
    code: { zipFile: makeZip([{ name: 'index.wasm', data: wasm }]).toString('base64') },
  };
  if (description !== undefined) body.description = description;
  const r = await consoleApi(page, 'POST', `${base}/functions`, { body });
  assert.equal(r.status, 200, `CreateFunction answered ${r.status}: ${r.text}`);
  return r.json;
}

// ---------------------------------------------------------------- zip (STORE method, CRC-32)

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A zip archive of `files`: [{ name, data: Buffer|string }], stored (STORE, no compression),
 * or with `deflate` compressed (DEFLATE, as zip tools write them).
 */
export function makeZip(files, { deflate = false } = {}) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  // 1980-01-01 00:00:00 in DOS time/date.
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const data = Buffer.isBuffer(file.data) ? file.data : Buffer.from(file.data, 'utf8');
    const crc = crc32(data);
    const stored = deflate ? zlib.deflateRawSync(data) : data;
    const method = deflate ? 8 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8); // STORE or DEFLATE
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, stored);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by: unix, 3.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attrs
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attrs: regular file 0644
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** The names of the entries of a zip (from its central directory); throws when it is not a zip. */
export function zipEntryNames(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip: no end of central directory record');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const names = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('not a zip: bad central directory entry');
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    names.push(buf.subarray(p + 46, p + 46 + nameLen).toString('utf8'));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

// ---------------------------------------------------------------- polling and UI flows

/** Polls `check` (async, returns truthy when done) until it holds; fails with `message` after `timeout`. */
export async function eventually(check, message, { timeout = WAIT, interval = 250 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new assert.AssertionError({ message: `${message} (not within ${timeout} ms; last: ${last})` });
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Waits until location.hash is `hash`. */
export async function expectRoute(page, hash) {
  await page.waitForFunction((h) => decodeURIComponent(location.hash) === decodeURIComponent(h), hash).catch(async () => {
    const actual = await page.evaluate(() => location.hash);
    const err = await shownError(page);
    throw new assert.AssertionError({
      message: `the console did not go to ${hash}; it is at ${actual}${err ? `; #error shows ${JSON.stringify(err)}` : ''}`,
    });
  });
}

/** Creates a service with the form on #/services and waits for its row. */
export async function createServiceViaUi(page, name, description = '') {
  await gotoRoute(page, '#/services');
  await page.locator('#create-service-form').waitFor({ state: 'visible' });
  await page.fill('#service-name', name);
  await page.fill('#service-description', description);
  await submit(page, '#create-service-form');
  await page.locator(`#services-table tr[data-name="${name}"]`).waitFor({ state: 'visible' }).catch(async (e) => {
    throw new assert.AssertionError({ message: `no row for ${name} in #services-table; #error: ${await shownError(page)} (${e.message})` });
  });
}

/**
 * Invokes with #invoke-form and waits for a new answer (a new #invoke-request-id);
 * returns what the form shows.
 */
export async function invokeViaUi(page, payload, { type = 'Sync', qualifier = '' } = {}) {
  await page.locator('#invoke-form').waitFor({ state: 'visible' });
  const before = await page.evaluate(() => (document.querySelector('#invoke-request-id') || {}).textContent || '');
  await page.fill('#payload', payload);
  await page.selectOption('#invocation-type', type);
  await page.fill('#qualifier', qualifier);
  await submit(page, '#invoke-form');
  try {
    await page.waitForFunction(
      (old) => {
        const el = document.querySelector('#invoke-request-id');
        const text = el ? el.textContent.trim() : '';
        return text !== '' && text !== old.trim();
      },
      before,
    );
  } catch {
    const status = await page.evaluate(() => (document.querySelector('#invoke-status') || {}).textContent || '');
    throw new assert.AssertionError({
      message: `no new #invoke-request-id after Invoke; #invoke-status: ${JSON.stringify(status)}; #error: ${JSON.stringify(await shownError(page))}`,
    });
  }
  return page.evaluate(() => {
    const t = (id) => ((document.getElementById(id) || {}).textContent || '').trim();
    return {
      status: t('invoke-status'),
      requestId: t('invoke-request-id'),
      duration: t('invoke-duration'),
      memory: t('invoke-memory'),
      result: t('invoke-result'),
      log: t('invoke-log'),
    };
  });
}

/** Deletes the function shown on its page with #delete-function and waits until the API no longer has it. */
export async function deleteFunctionViaUi(page, service, fn) {
  await gotoRoute(page, functionPath(service, fn));
  await page.locator('#delete-function').waitFor({ state: 'visible' });
  await page.click('#delete-function');
  await eventually(
    async () => (await consoleApi(page, 'GET', `/2016-08-15/services/${service}/functions/${fn}`)).status === 404,
    `#delete-function did not delete ${service}/${fn}`,
  ).catch(async (e) => {
    e.message += `; #error now: ${JSON.stringify(await shownError(page))}`;
    throw e;
  });
}

/** Deletes a service with #delete-service on its page and waits until the API answers 404 for it. */
export async function deleteServiceViaUi(page, service) {
  await gotoRoute(page, servicePath(service));
  await page.locator('#delete-service').waitFor({ state: 'visible' });
  await page.click('#delete-service');
  await eventually(
    async () => (await consoleApi(page, 'GET', `/2016-08-15/services/${service}`)).status === 404,
    `#delete-service did not delete ${service}`,
  ).catch(async (e) => {
    e.message += `; #error: ${JSON.stringify(await shownError(page))}`;
    throw e;
  });
}
