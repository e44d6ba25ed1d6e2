// Decodes the TableStore trigger's event, which FC delivers CBOR-encoded:
//
//   const { decode } = require('wasm-fc/tablestore');
//   exports.handler = (event, context, callback) => {
//     for (const record of decode(event).Records) console.log(record.Type, record.PrimaryKey);
//     callback(null, 'OK');
//   };
//
// The result is the event as FC builds it (Version, Records, Type, Info,
// PrimaryKey, Columns, ColumnName, Value, Timestamp). Underneath is a small,
// complete CBOR (RFC 8949) decoder, since the runtime has no CBOR package:
// integers (a BigInt only beyond Number.MAX_SAFE_INTEGER), byte strings (as
// Buffer) and text strings (also indefinite-length), arrays, maps (objects),
// tags (the value is the tagged item), false, true, null, undefined and half,
// single and double floats. Malformed or truncated input throws a CborError;
// nesting is capped at 64.

import { Buffer } from './buffer.js';

const MAX_DEPTH = 64;
const BREAK = 0xff;
const SIMPLE = { 20: false, 21: true, 22: null, 23: undefined };
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class CborError extends Error {
  constructor(pos, message) {
    super(`invalid CBOR at byte ${pos}: ${message}`);
    this.name = 'CborError';
  }
}

/** The TableStore trigger's event: the CBOR map FC sends, as an object. */
export function decode(event) {
  const value = loads(event);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new CborError(0, 'a TableStore event is a CBOR map');
  }
  return value;
}

/** Any single CBOR data item, with nothing after it. */
export function loads(data) {
  let bytes;
  if (data instanceof Uint8Array) bytes = data;
  else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else throw new TypeError('CBOR input must be a Buffer, Uint8Array or ArrayBuffer');
  const reader = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), pos: 0 };
  const value = item(reader, 0);
  if (reader.pos !== bytes.length) throw new CborError(reader.pos, `${bytes.length - reader.pos} bytes after the data item`);
  return value;
}

function safe(big) {
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** Reads an initial byte and its argument: { major, info, arg } (arg null when indefinite). */
function head(r) {
  const start = r.pos;
  if (start >= r.bytes.length) throw new CborError(start, 'truncated (data item expected)');
  const initial = r.bytes[start];
  const major = initial >> 5;
  const info = initial & 0x1f;
  r.pos += 1;
  if (info < 24) return { major, info, arg: info };
  if (info <= 27) {
    const size = 1 << (info - 24);
    if (r.pos + size > r.bytes.length) throw new CborError(start, `truncated (${size}-byte argument expected)`);
    const at = r.pos;
    r.pos += size;
    if (size === 1) return { major, info, arg: r.view.getUint8(at) };
    if (size === 2) return { major, info, arg: r.view.getUint16(at) };
    if (size === 4) return { major, info, arg: r.view.getUint32(at) };
    return { major, info, arg: r.view.getBigUint64(at) };
  }
  if (info === 31 && major !== 0 && major !== 1 && major !== 6) return { major, info, arg: null };
  throw new CborError(start, `reserved initial byte 0x${initial.toString(16).padStart(2, '0')}`);
}

function take(r, length) {
  const left = r.bytes.length - r.pos;
  if (BigInt(length) > BigInt(left)) throw new CborError(r.pos, `truncated (${length} bytes expected, ${left} left)`);
  const start = r.pos;
  r.pos += Number(length);
  return r.bytes.subarray(start, r.pos);
}

function string(r, major, length) {
  const start = r.pos;
  const raw = take(r, length);
  if (major === 2) {
    const out = Buffer.alloc(raw.length);
    out.set(raw);
    return out;
  }
  try {
    return utf8.decode(raw);
  } catch {
    throw new CborError(start, 'text string is not UTF-8');
  }
}

function atBreak(r, what) {
  if (r.pos >= r.bytes.length) throw new CborError(r.pos, `truncated (indefinite-length ${what} not ended)`);
  if (r.bytes[r.pos] !== BREAK) return false;
  r.pos += 1;
  return true;
}

function half(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

function setKey(out, key, value, at) {
  if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'bigint') {
    throw new CborError(at, 'a map key must be text or an integer');
  }
  // defineProperty, so that a "__proto__" key is data, not the prototype.
  Object.defineProperty(out, String(key), { value, writable: true, enumerable: true, configurable: true });
}

function item(r, depth) {
  if (depth > MAX_DEPTH) throw new CborError(r.pos, `nested deeper than ${MAX_DEPTH}`);
  const start = r.pos;
  const { major, info, arg } = head(r);
  switch (major) {
    case 0:
      return typeof arg === 'bigint' ? safe(arg) : arg;
    case 1:
      return typeof arg === 'bigint' ? safe(-1n - arg) : -1 - arg;
    case 2:
    case 3: {
      if (arg !== null) return string(r, major, arg);
      const chunks = [];
      while (!atBreak(r, 'string')) {
        const at = r.pos;
        const chunk = head(r);
        if (chunk.major !== major || chunk.arg === null) {
          throw new CborError(at, "an indefinite-length string's chunks must be definite strings of its type");
        }
        chunks.push(string(r, major, chunk.arg));
      }
      return major === 2 ? Buffer.concat(chunks) : chunks.join('');
    }
    case 4: {
      const out = [];
      if (arg === null) {
        while (!atBreak(r, 'array')) out.push(item(r, depth + 1));
        return out;
      }
      if (BigInt(arg) > BigInt(r.bytes.length - r.pos)) throw new CborError(start, `truncated (array of ${arg} items)`);
      for (let i = 0; i < arg; i += 1) out.push(item(r, depth + 1));
      return out;
    }
    case 5: {
      const out = {};
      if (arg === null) {
        while (!atBreak(r, 'map')) {
          const at = r.pos;
          const key = item(r, depth + 1);
          setKey(out, key, item(r, depth + 1), at);
        }
        return out;
      }
      if (BigInt(arg) * 2n > BigInt(r.bytes.length - r.pos)) throw new CborError(start, `truncated (map of ${arg} entries)`);
      for (let i = 0; i < arg; i += 1) {
        const at = r.pos;
        const key = item(r, depth + 1);
        setKey(out, key, item(r, depth + 1), at);
      }
      return out;
    }
    case 6:
      return item(r, depth + 1);
    default:
      break;
  }
  // major 7: simple values and floats
  if (arg === null) throw new CborError(start, 'unexpected break');
  if (info === 25) return half(arg);
  if (info === 26) return r.view.getFloat32(start + 1);
  if (info === 27) return r.view.getFloat64(start + 1);
  if (info === 24 && arg < 32) throw new CborError(start, `simple value ${arg} must be encoded in one byte`);
  if (Object.hasOwn(SIMPLE, arg)) return SIMPLE[arg];
  throw new CborError(start, `unassigned simple value ${arg}`);
}
