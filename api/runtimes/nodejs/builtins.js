// The Node.js built-in modules a sandboxed function can use, and wasm-fc's own
// (`wasm-fc/...`). Anything else (fs, net, child_process, ...) is refused by
// `require` with a clear error.

import { Buffer } from './buffer.js';
import { format } from './console.js';
import { CborError, decode as decodeTablestore, loads as loadsCbor } from './tablestore.js';

function normalize(path) {
  const absolute = path.startsWith('/');
  const parts = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length && parts[parts.length - 1] !== '..') parts.pop();
      else if (!absolute) parts.push('..');
    } else parts.push(part);
  }
  const joined = parts.join('/');
  return absolute ? `/${joined}` : joined || '.';
}

export const path = {
  sep: '/',
  delimiter: ':',
  normalize,
  join: (...parts) => normalize(parts.filter(Boolean).join('/')),
  resolve: (...parts) => {
    let out = '';
    for (const part of parts) out = part.startsWith('/') ? part : `${out}/${part}`;
    return normalize(out.startsWith('/') ? out : `/code/${out}`);
  },
  dirname: (p) => {
    const i = p.lastIndexOf('/');
    return i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i);
  },
  basename: (p, ext) => {
    const base = p.slice(p.lastIndexOf('/') + 1);
    return ext && base.endsWith(ext) ? base.slice(0, -ext.length) : base;
  },
  extname: (p) => {
    const base = p.slice(p.lastIndexOf('/') + 1);
    const i = base.lastIndexOf('.');
    return i <= 0 ? '' : base.slice(i);
  },
  isAbsolute: (p) => p.startsWith('/'),
};
path.posix = path;

class EventEmitter {
  constructor() {
    this._events = new Map();
  }
  on(name, listener) {
    if (!this._events.has(name)) this._events.set(name, []);
    this._events.get(name).push(listener);
    return this;
  }
  once(name, listener) {
    const wrapper = (...args) => {
      this.off(name, wrapper);
      listener(...args);
    };
    return this.on(name, wrapper);
  }
  off(name, listener) {
    const list = this._events.get(name) || [];
    this._events.set(name, list.filter((l) => l !== listener));
    return this;
  }
  emit(name, ...args) {
    const list = [...(this._events.get(name) || [])];
    list.forEach((listener) => listener.apply(this, args));
    return list.length > 0;
  }
}
EventEmitter.prototype.addListener = EventEmitter.prototype.on;
EventEmitter.prototype.removeListener = EventEmitter.prototype.off;
EventEmitter.EventEmitter = EventEmitter;

const util = {
  format,
  inspect: (value) => (typeof value === 'string' ? `'${value}'` : format(value)),
  promisify: (fn) => (...args) =>
    new Promise((resolve, reject) => fn(...args, (err, value) => (err ? reject(err) : resolve(value)))),
  isDeepStrictEqual: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  TextEncoder,
  TextDecoder,
};

const querystring = {
  parse: parseQuery,
  stringify: (object) =>
    Object.entries(object)
      .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one) => `${encodeURIComponent(k)}=${encodeURIComponent(one)}`))
      .join('&'),
};
querystring.decode = querystring.parse;
querystring.encode = querystring.stringify;

/** FC's `req.queries`: a repeated key gives an array of its values. */
export function parseQuery(query) {
  const out = {};
  for (const pair of String(query || '').split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const decode = (s) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    };
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    if (!(key in out)) out[key] = value;
    else if (Array.isArray(out[key])) out[key].push(value);
    else out[key] = [out[key], value];
  }
  return out;
}

export const builtins = {
  buffer: { Buffer },
  path,
  events: EventEmitter,
  util,
  querystring,
  url: { URL, URLSearchParams },
  // wasm-fc's own helper for the TableStore trigger's CBOR event. Like the
  // built-ins above, it is found before any node_modules.
  'wasm-fc/tablestore': { decode: decodeTablestore, loads: loadsCbor, CborError },
};
