// Code to upload, shared by the new-function page and the function page's Code
// card: a picked file (a .zip as is, a .wasm zipped as index.wasm) or files
// written in the page, as the base64 zip that CreateFunction / UpdateFunction take.

import { bytesToBase64 } from './api.js';
import { looksLikeWasm, zipStore } from './zip.js';

/** The base64 zip of `files` ([{ name, data, mode }], see zipStore). */
export function zipBase64(files) {
  return bytesToBase64(zipStore(files));
}

/**
 * The base64 zip of a picked code file: a .wasm (`asWasm`, or bytes that start
 * like a Wasm module) is zipped as index.wasm, anything else (a .zip) is sent
 * as is. Throws when no file is picked.
 */
export async function codeFileBase64(file, { asWasm = false } = {}) {
  if (!file) throw new Error('Choose a code file first.');
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (asWasm || looksLikeWasm(bytes)) return zipBase64([{ name: 'index.wasm', data: bytes }]);
  return bytesToBase64(bytes);
}
