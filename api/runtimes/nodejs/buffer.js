// A Node.js-compatible `Buffer` (the subset FC handlers use): the JS engine
// has Uint8Array, TextEncoder and TextDecoder, but no Buffer.

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function encodingOf(encoding) {
  const name = String(encoding || 'utf8').toLowerCase();
  if (name === 'utf-8') return 'utf8';
  if (name === 'binary') return 'latin1';
  return name;
}

function base64Bytes(text) {
  const clean = String(text).replace(/[^A-Za-z0-9+/\-_]/g, '');
  const out = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = char === '-' ? 62 : char === '_' ? 63 : BASE64.indexOf(char);
    value = (value << 6) | index;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return out;
}

function base64Text(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
    out += BASE64[(n >> 18) & 63] + BASE64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? BASE64[n & 63] : '=';
  }
  return out;
}

function stringBytes(text, encoding) {
  switch (encodingOf(encoding)) {
    case 'utf8':
      return encoder.encode(text);
    case 'base64':
    case 'base64url':
      return base64Bytes(text);
    case 'hex': {
      const out = [];
      for (let i = 0; i + 1 < text.length; i += 2) {
        const byte = parseInt(text.substr(i, 2), 16);
        if (Number.isNaN(byte)) break;
        out.push(byte);
      }
      return out;
    }
    case 'latin1':
    case 'ascii':
      return Array.from(text, (c) => c.charCodeAt(0) & 0xff);
    default:
      throw new TypeError(`Unknown encoding: ${encoding}`);
  }
}

export class Buffer extends Uint8Array {
  static from(value, encodingOrOffset, length) {
    if (typeof value === 'string') return new Buffer(stringBytes(value, encodingOrOffset));
    if (value instanceof ArrayBuffer) {
      return new Buffer(value, encodingOrOffset || 0, length ?? value.byteLength - (encodingOrOffset || 0));
    }
    if (ArrayBuffer.isView(value)) {
      return new Buffer(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    }
    if (value && value.type === 'Buffer' && Array.isArray(value.data)) return new Buffer(value.data);
    return new Buffer(value);
  }

  static alloc(size, fill) {
    const buffer = new Buffer(size);
    if (fill !== undefined) buffer.fill(typeof fill === 'string' ? fill.charCodeAt(0) : fill);
    return buffer;
  }

  static allocUnsafe(size) {
    return new Buffer(size);
  }

  static isBuffer(value) {
    return value instanceof Buffer;
  }

  static byteLength(value, encoding) {
    return typeof value === 'string' ? stringBytes(value, encoding).length : value.byteLength;
  }

  static concat(list, totalLength) {
    const total = totalLength ?? list.reduce((sum, b) => sum + b.length, 0);
    const out = Buffer.alloc(total);
    let offset = 0;
    for (const part of list) {
      if (offset >= total) break;
      out.set(part.subarray(0, total - offset), offset);
      offset += part.length;
    }
    return out;
  }

  toString(encoding, start = 0, end = this.length) {
    const bytes = this.subarray(start, end);
    switch (encodingOf(encoding)) {
      case 'utf8':
        return decoder.decode(bytes);
      case 'base64':
        return base64Text(bytes);
      case 'base64url':
        return base64Text(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      case 'hex':
        return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      case 'latin1':
      case 'ascii':
        return Array.from(bytes, (b) => String.fromCharCode(b)).join('');
      default:
        throw new TypeError(`Unknown encoding: ${encoding}`);
    }
  }

  // Node's slice is a view, like subarray.
  slice(start, end) {
    return this.subarray(start, end);
  }

  equals(other) {
    return this.length === other.length && this.every((b, i) => b === other[i]);
  }

  toJSON() {
    return { type: 'Buffer', data: Array.from(this) };
  }
}

/** Result bytes as FC's Node.js runtime produces them from a handler's value. */
export function resultBytes(value) {
  if (value === undefined || value === null) return new Uint8Array(0);
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return encoder.encode(value);
  return encoder.encode(JSON.stringify(value));
}
