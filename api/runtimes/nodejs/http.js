// FC's Node.js HTTP handler objects: `req` (headers, path, queries, method,
// clientIP, url, body) and `resp` (setStatusCode, setHeader, deleteHeader, send).

import { Buffer, resultBytes } from './buffer.js';
import { parseQuery } from './builtins.js';

export function requestOf(record) {
  const headers = {};
  for (const [name, value] of record.headers) {
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return {
    method: record.method,
    path: record.path,
    url: record.url,
    queries: parseQuery(record.query),
    headers,
    clientIP: record.clientIp,
    body: Buffer.from(record.body),
    getHeader: (name) => headers[String(name).toLowerCase()],
  };
}

/** A response whose `send` completes the call through `done`. */
export function responseOf(done) {
  let status = 200;
  const headers = new Map();
  let sent = false;
  return {
    setStatusCode(code) {
      const number = Number(code);
      if (!Number.isInteger(number) || number < 100 || number > 999) {
        throw new TypeError(`setStatusCode needs an HTTP status code, got ${code}`);
      }
      status = number;
    },
    setHeader(name, value) {
      headers.set(String(name).toLowerCase(), { name: String(name), values: Array.isArray(value) ? value.map(String) : [String(value)] });
    },
    getHeader(name) {
      const found = headers.get(String(name).toLowerCase());
      return found && (found.values.length === 1 ? found.values[0] : found.values);
    },
    hasHeader(name) {
      return headers.has(String(name).toLowerCase());
    },
    deleteHeader(name) {
      headers.delete(String(name).toLowerCase());
    },
    send(body) {
      if (sent) throw new Error('resp.send() was already called');
      sent = true;
      const list = [];
      for (const { name, values } of headers.values()) for (const value of values) list.push([name, value]);
      done({ value: { status, headers: list, body: resultBytes(body) } });
    },
  };
}
