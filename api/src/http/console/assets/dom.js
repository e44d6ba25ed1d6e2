// DOM helpers and formatting. Every value reaches the page through
// textContent / attributes set from script: never through innerHTML.

/**
 * Creates an element. `attrs`: `class`, `text` (textContent), `on<event>`
 * (a listener), DOM properties (hidden, value, checked, disabled, selected,
 * htmlFor) or plain attributes. Children: nodes or strings (text), arrays,
 * null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (['hidden', 'value', 'checked', 'disabled', 'selected', 'htmlFor', 'required', 'multiple'].includes(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, strings, nested arrays; null/false skipped). */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A labelled form field: a wrapper with <label for=id>, the control and an optional hint. */
export function field(label, control, { hint, error } = {}) {
  return h(
    'div',
    { class: 'field' },
    h('label', { htmlFor: control.id, text: label }),
    control,
    hint ? h('p', { class: 'hint', id: `${control.id}-hint`, text: hint }) : null,
    error || null,
  );
}

/** An inline error slot for a field (hidden while empty). */
export function errorSlot(id) {
  return h('p', { class: 'field-error', id, role: 'alert', hidden: true });
}

/** Shows `message` in an error slot (hides it when empty). */
export function setSlot(slot, message) {
  if (!slot) return;
  slot.textContent = message || '';
  slot.hidden = !message;
}

/** A card: a <section> with an <h2> title and content. */
export function card(title, { id, actions } = {}, ...children) {
  const headingId = id ? `${id}-title` : undefined;
  return h(
    'section',
    { class: 'card', id, 'aria-labelledby': headingId },
    h('div', { class: 'card-head' }, h('h2', { id: headingId, text: title }), actions || null),
    ...children,
  );
}

/**
 * A table: columns [{ label, class }], rows (<tr> elements); with no rows the
 * body shows `empty` ("No functions yet").
 */
export function table({ id, caption, columns, rows, empty }) {
  const head = h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class, text: c.label }))));
  const body = h('tbody', {});
  fillBody(body, columns.length, rows, empty);
  return h('div', { class: 'table-wrap' }, h('table', { id }, caption ? h('caption', { class: 'sr-only', text: caption }) : null, head, body));
}

/** Replaces a table body's rows (or shows the empty message). */
export function fillBody(body, columnCount, rows, empty) {
  body.replaceChildren();
  if (rows.length === 0) {
    body.append(h('tr', { class: 'empty-row' }, h('td', { colspan: columnCount, class: 'empty', text: empty || 'Nothing here yet' })));
  } else {
    append(body, rows);
  }
}

/** A <td> holding text (or nodes). */
export function td(content, attrs = {}) {
  const cell = h('td', attrs);
  if (content instanceof Node || Array.isArray(content)) append(cell, [content]);
  else cell.textContent = content === undefined || content === null || content === '' ? '—' : String(content);
  return cell;
}

/** A "Loading…" placeholder. */
export function loading(what = 'Loading…') {
  return h('p', { class: 'loading', role: 'status', text: what });
}

/** A date (ISO text or Unix ms) as a local time string; '—' when absent. */
export function fmtDate(value) {
  if (value === undefined || value === null || value === '') return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

/** A byte count as text (B, KB, MB). */
export function fmtBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A number with at most `digits` decimals. */
export function fmtNum(n, digits = 2) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  return String(Math.round(n * 10 ** digits) / 10 ** digits);
}

/** `#/services/<s>` style hash of path segments, each URI-encoded. */
export function routeHash(...segments) {
  return `#/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

/** A link to a hash route. */
export function link(text, ...segments) {
  return h('a', { href: routeHash(...segments), text });
}

/** Lines of `KEY=VALUE` → an object; throws naming the first bad line. */
export function parseEnv(text) {
  const env = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trim().startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`line ${i + 1}: expected KEY=VALUE, got "${line}"`);
    env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  });
  return env;
}

/** An object → `KEY=VALUE` lines. */
export function formatEnv(env) {
  return Object.entries(env || {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

/** A trigger's triggerConfig as an object (answers carry an object or JSON text). */
export function configObject(config) {
  if (typeof config !== 'string') return config || {};
  try {
    return JSON.parse(config);
  } catch {
    return {};
  }
}
