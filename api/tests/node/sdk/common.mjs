// Shared by the SDK tests in this directory (run by api/tests/fc_sdks.rs, which starts a
// `wasm-fc run`, installs package.json's packages into target/node-sdk and sets NODE_PATH).
// Without WASM_FC_ENDPOINT every test here is skipped, so `node --test api/tests/node/`
// (the package-free host tests) still passes.

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';

// CommonJS resolution honours NODE_PATH (ESM `import` does not).
export const require = createRequire(import.meta.url);

export const env = {
  endpoint: (process.env.WASM_FC_ENDPOINT ?? '').replace(/\/+$/, ''),
  keyId: process.env.WASM_FC_KEY_ID,
  secret: process.env.WASM_FC_KEY_SECRET,
  accountId: process.env.WASM_FC_ACCOUNT_ID ?? '1234567890123456',
};

export const skip = env.endpoint ? false : 'WASM_FC_ENDPOINT is not set (api/tests/fc_sdks.rs runs these)';

// CRC-64/XZ (ECMA-182, reflected): what FC reports as `codeChecksum`.
export function crc64xz(bytes) {
  const poly = 0xC96C5795D7870F42n;
  const mask = 0xFFFFFFFFFFFFFFFFn;
  let crc = mask;
  for (const byte of bytes) {
    crc ^= BigInt(byte);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return (crc ^ mask) & mask;
}

const CRC32_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xFFFFFFFF;
  for (const b of bytes) c = CRC32_TABLE[(c ^ b) & 0xFF] ^ (c >>> 8);
  return (c ^ 0xFFFFFFFF) >>> 0;
}

// A zip holding one deflated file (what the Python tests build with zipfile).
export function zipOf(name, data) {
  const fileName = Buffer.from(name);
  const packed = deflateRawSync(data);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0, 6);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(0, 10);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(packed.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  local.writeUInt16LE(0, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(0, 12);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(packed.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  central.writeUInt32LE(0, 30); // extra + comment lengths
  central.writeUInt32LE(0, 34); // disk, internal attributes
  central.writeUInt32LE(0, 38); // external attributes
  central.writeUInt32LE(0, 42); // local header offset
  const localPart = Buffer.concat([local, fileName, packed]);
  const centralPart = Buffer.concat([central, fileName]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralPart.length, 12);
  end.writeUInt32LE(localPart.length, 16);
  return Buffer.concat([localPart, centralPart, end]);
}

// The zip of a built guest (`index.wasm`), as FC's custom runtime with handler index.handler wants.
export function guestZip(envName) {
  return zipOf('index.wasm', readFileSync(process.env[envName]));
}

export async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
