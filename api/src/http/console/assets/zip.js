// A small zip writer (STORE method, no compression, CRC-32, UTF-8 names) and
// reader (STORE and DEFLATE, through the central directory). The writer zips a
// single .wasm as index.wasm or template code as index.py / index.js; the reader
// opens a function's code zip so its handler file can be edited in the page.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 (IEEE) of a Uint8Array. */
export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** DOS time and date of a Date (local time, as zip tools write them). */
function dosDateTime(date) {
  const year = Math.max(1980, date.getFullYear());
  const time = (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1);
  const day = ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
  return { time, day };
}

/** The Unix mode of an entry: its own, else a directory (name ending in /) or a 0644 file. */
function entryMode(name, mode) {
  if (mode) return mode;
  return name.endsWith('/') ? 0o040755 : 0o100644;
}

/**
 * A zip archive of `files` ([{ name, data, mode }], data a Uint8Array or a
 * string, mode an optional Unix mode such as 0o100755), every entry stored
 * uncompressed. Returns a Uint8Array.
 */
export function zipStore(files, date = new Date()) {
  const encoder = new TextEncoder();
  const { time, day } = dosDateTime(date);
  const entries = files.map((f) => {
    const data = typeof f.data === 'string' ? encoder.encode(f.data) : f.data;
    return { name: encoder.encode(f.name), data, crc: crc32(data), mode: entryMode(f.name, f.mode) };
  });
  const localSize = entries.reduce((n, e) => n + 30 + e.name.length + e.data.length, 0);
  const centralSize = entries.reduce((n, e) => n + 46 + e.name.length, 0);
  const out = new Uint8Array(localSize + centralSize + 22);
  const view = new DataView(out.buffer);
  let p = 0;
  const offsets = [];
  for (const e of entries) {
    offsets.push(p);
    view.setUint32(p, 0x04034b50, true); // local file header
    view.setUint16(p + 4, 20, true); // version needed: 2.0
    view.setUint16(p + 6, 0x0800, true); // flags: UTF-8 names
    view.setUint16(p + 8, 0, true); // method: STORE
    view.setUint16(p + 10, time, true);
    view.setUint16(p + 12, day, true);
    view.setUint32(p + 14, e.crc, true);
    view.setUint32(p + 18, e.data.length, true);
    view.setUint32(p + 22, e.data.length, true);
    view.setUint16(p + 26, e.name.length, true);
    view.setUint16(p + 28, 0, true);
    out.set(e.name, p + 30);
    out.set(e.data, p + 30 + e.name.length);
    p += 30 + e.name.length + e.data.length;
  }
  const centralStart = p;
  entries.forEach((e, i) => {
    view.setUint32(p, 0x02014b50, true); // central directory header
    view.setUint16(p + 4, 0x031e, true); // made by: Unix, 3.0
    view.setUint16(p + 6, 20, true);
    view.setUint16(p + 8, 0x0800, true);
    view.setUint16(p + 10, 0, true);
    view.setUint16(p + 12, time, true);
    view.setUint16(p + 14, day, true);
    view.setUint32(p + 16, e.crc, true);
    view.setUint32(p + 20, e.data.length, true);
    view.setUint32(p + 24, e.data.length, true);
    view.setUint16(p + 28, e.name.length, true);
    // extra, comment, disk, internal attributes: 0
    view.setUint32(p + 38, ((e.mode & 0xffff) << 16) >>> 0, true); // Unix mode (a regular 0644 file by default)
    view.setUint32(p + 42, offsets[i], true);
    out.set(e.name, p + 46);
    p += 46 + e.name.length;
  });
  view.setUint32(p, 0x06054b50, true); // end of central directory
  view.setUint16(p + 8, entries.length, true);
  view.setUint16(p + 10, entries.length, true);
  view.setUint32(p + 12, p - centralStart, true);
  view.setUint32(p + 16, centralStart, true);
  return out;
}

/** True when the bytes start like a zip archive ("PK\x03\x04" or an empty one). */
export function looksLikeZip(bytes) {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

/** True when the bytes start with the Wasm magic "\0asm". */
export function looksLikeWasm(bytes) {
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
}

// ------------------------------------------------------------------ reading

/** A zip archive that cannot be read (its message says why). */
export class ZipError extends Error {}

/**
 * Reads a zip archive (a Uint8Array) through its central directory. Entries
 * stored (method 0) or deflated (method 8) are supported; each one's size and
 * CRC-32 are checked. Returns [{ name, data, mode }] in the archive's order
 * (mode: the Unix mode when the zip recorded one, else 0). Throws a ZipError.
 */
export async function readZip(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at) => view.getUint16(at, true);
  const u32 = (at) => view.getUint32(at, true);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (u32(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new ZipError('it is not a zip archive (no end of central directory record)');
  const count = u16(end + 10);
  const dirSize = u32(end + 12);
  let p = u32(end + 16);
  if (count === 0xffff || p === 0xffffffff) throw new ZipError('ZIP64 archives are not supported');
  if (p + dirSize > end) throw new ZipError('its central directory lies outside the archive');
  const decoder = new TextDecoder('utf-8');
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (p + 46 > end || u32(p) !== 0x02014b50) throw new ZipError(`central directory entry ${i + 1} is damaged`);
    const madeBy = u16(p + 4);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const crc = u32(p + 16);
    const compressedSize = u32(p + 20);
    const size = u32(p + 24);
    const nameLength = u16(p + 28);
    const extraLength = u16(p + 30);
    const commentLength = u16(p + 32);
    const external = u32(p + 38);
    const local = u32(p + 42);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLength));
    p += 46 + nameLength + extraLength + commentLength;
    if (flags & 1) throw new ZipError(`${name} is encrypted`);
    if (local + 30 > bytes.length || u32(local) !== 0x04034b50) throw new ZipError(`the local header of ${name} is damaged`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + compressedSize > bytes.length) throw new ZipError(`${name} runs past the end of the archive`);
    const raw = bytes.subarray(start, start + compressedSize);
    let data;
    if (method === 0) data = raw.slice();
    else if (method === 8) data = await inflateRaw(raw, name);
    else throw new ZipError(`${name} uses compression method ${method} (only STORE and DEFLATE are supported)`);
    if (data.length !== size || crc32(data) !== crc) throw new ZipError(`${name} is damaged (its size or CRC-32 does not match)`);
    entries.push({ name, data, mode: madeBy >> 8 === 3 ? external >>> 16 : 0 });
  }
  return entries;
}

/** DEFLATE-decompresses raw (headerless) data with the browser's DecompressionStream. */
async function inflateRaw(raw, name) {
  if (typeof DecompressionStream !== 'function') throw new ZipError('this browser cannot decompress DEFLATE entries');
  try {
    const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw new ZipError(`${name} cannot be decompressed (${err && err.message ? err.message : err})`);
  }
}
