// @alicloud/fc2 (FC 2.0's Node.js SDK, npm) against a real `wasm-fc run`: a service and a
// function from a zip, GetFunctionCode (the SDK sends `Host` without the port, and the URL
// it gets back must still download the zip), invoke, and clean up. Names start `n2_`.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { crc64xz, env, guestZip, require, skip } from './common.mjs';

let client;
const SERVICE = 'n2_code';

before(async () => {
  if (skip) return;
  const FC = require('@alicloud/fc2');
  client = new FC(env.accountId, {
    accessKeyID: env.keyId,
    accessKeySecret: env.secret,
    region: 'cn-hangzhou',
    endpoint: env.endpoint,
    timeout: 60000,
  });
});

after(async () => {
  if (skip || !client) return;
  const functions = (await client.listFunctions(SERVICE).catch(() => ({ data: { functions: [] } }))).data.functions ?? [];
  for (const f of functions) await client.deleteFunction(SERVICE, f.functionName);
  await client.deleteService(SERVICE).catch((e) => {
    if (e.code !== 'ServiceNotFound') throw e;
  });
});

test('GetFunctionCode gives a URL that downloads the zip, though Host has no port', { skip }, async () => {
  const zip = guestZip('GUEST_EVENT_HELLO');
  await client.createService(SERVICE, { description: 'by @alicloud/fc2' });
  const created = await client.createFunction(SERVICE, {
    functionName: 'hello',
    runtime: 'custom',
    handler: 'index.handler',
    code: { zipFile: zip.toString('base64') },
    environmentVariables: { GREETING: 'hi' },
  });
  assert.equal(created.data.functionName, 'hello');
  assert.equal(BigInt(created.data.codeChecksum), crc64xz(zip));

  const code = await client.getFunctionCode(SERVICE, 'hello');
  assert.equal(code.data.checksum, created.data.codeChecksum);
  const url = new URL(code.data.url);
  // The SDK signed with `host: 127.0.0.1`; the URL still names the server's real port.
  assert.equal(url.host, new URL(env.endpoint).host, code.data.url);
  const response = await fetch(code.data.url);
  assert.equal(response.status, 200);
  const downloaded = Buffer.from(await response.arrayBuffer());
  assert.equal(downloaded.subarray(0, 2).toString(), 'PK');
  assert.equal(crc64xz(downloaded), BigInt(code.data.checksum));
});

test('invokes, with a log tail', { skip }, async () => {
  const r = await client.invokeFunction(SERVICE, 'hello', JSON.stringify({ name: 'node' }), { 'x-fc-log-type': 'Tail' });
  const result = JSON.parse(r.data);
  assert.equal(result.greeting, 'hi, node');
  assert.equal(result.requestId, r.headers['x-fc-request-id']);
  const log = Buffer.from(r.headers['x-fc-log-result'], 'base64').toString();
  assert.match(log, /FC Invoke Start RequestId/);

  const async = await client.invokeFunction(SERVICE, 'hello', '{}', { 'x-fc-invocation-type': 'Async' });
  assert.ok(async.headers['x-fc-request-id']);

  await assert.rejects(client.getFunction(SERVICE, 'missing'), (e) => e.code === 'FunctionNotFound');
});
