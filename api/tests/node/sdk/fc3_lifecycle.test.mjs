// @alicloud/fc20230330 (FC 3.0's Node.js SDK, npm; ACS3-HMAC-SHA256) against a real
// `wasm-fc run`: create, get, list, invoke (sync, log tail, qualifier), publish a version,
// an alias, a trigger, and delete. Names start `n3_`.

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';

import { crc64xz, env, guestZip, readAll, require, skip } from './common.mjs';

let client;
let fc3;
let $dara;

before(() => {
  if (skip) return;
  fc3 = require('@alicloud/fc20230330');
  const { $OpenApiUtil } = require('@alicloud/openapi-core');
  $dara = require('@darabonba/typescript');
  const Client = fc3.default;
  client = new Client(new $OpenApiUtil.Config({
    accessKeyId: env.keyId,
    accessKeySecret: env.secret,
    endpoint: new URL(env.endpoint).host,
    protocol: 'http',
    regionId: 'cn-hangzhou',
    readTimeout: 60000,
  }));
});

after(async () => {
  if (skip || !client) return;
  const list = await client.listFunctions(new fc3.ListFunctionsRequest({ prefix: 'n3_', limit: 100 }));
  for (const f of list.body.functions ?? []) {
    const name = f.functionName;
    for (const t of (await client.listTriggers(name, new fc3.ListTriggersRequest({}))).body.triggers ?? []) {
      await client.deleteTrigger(name, t.triggerName);
    }
    for (const a of (await client.listAliases(name, new fc3.ListAliasesRequest({}))).body.aliases ?? []) {
      await client.deleteAlias(name, a.aliasName);
    }
    for (const v of (await client.listFunctionVersions(name, new fc3.ListFunctionVersionsRequest({}))).body.versions ?? []) {
      await client.deleteFunctionVersion(name, v.versionId);
    }
    await client.deleteFunction(name);
  }
});

function createFunction(name, greeting) {
  const zip = guestZip('GUEST_EVENT_HELLO');
  return client.createFunction(new fc3.CreateFunctionRequest({
    body: new fc3.CreateFunctionInput({
      functionName: name,
      runtime: 'custom',
      handler: 'index.handler',
      code: new fc3.InputCodeLocation({ zipFile: zip.toString('base64') }),
      memorySize: 256,
      timeout: 10,
      environmentVariables: { GREETING: greeting },
    }),
  }));
}

async function invoke(name, payload, { qualifier, logType, invocationType } = {}) {
  const response = await client.invokeFunctionWithOptions(
    name,
    new fc3.InvokeFunctionRequest({ body: Readable.from([Buffer.from(payload)]), qualifier }),
    new fc3.InvokeFunctionHeaders({ xFcLogType: logType, xFcInvocationType: invocationType }),
    new $dara.RuntimeOptions({}),
  );
  const body = response.body ? await readAll(response.body) : Buffer.alloc(0);
  return { status: response.statusCode, headers: response.headers, body };
}

test('create, get, list', { skip }, async () => {
  const created = (await createFunction('n3_hello', 'v1')).body;
  assert.equal(created.functionName, 'n3_hello');
  assert.equal(created.memorySize, 256);
  assert.equal(BigInt(created.codeChecksum), crc64xz(guestZip('GUEST_EVENT_HELLO')));
  await createFunction('n3_other', 'x');
  const got = (await client.getFunction('n3_hello', new fc3.GetFunctionRequest({}))).body;
  assert.deepEqual(got.environmentVariables, { GREETING: 'v1' });
  const page = (await client.listFunctions(new fc3.ListFunctionsRequest({ prefix: 'n3_', limit: 1 }))).body;
  assert.deepEqual(page.functions.map((f) => f.functionName), ['n3_hello']);
  assert.ok(page.nextToken);
  const rest = (await client.listFunctions(new fc3.ListFunctionsRequest({ prefix: 'n3_', limit: 1, nextToken: page.nextToken }))).body;
  assert.deepEqual(rest.functions.map((f) => f.functionName), ['n3_other']);
  await assert.rejects(client.getFunction('n3_missing', new fc3.GetFunctionRequest({})), (e) => {
    assert.equal(e.code, 'FunctionNotFound');
    assert.equal(e.statusCode, 404);
    assert.doesNotMatch(e.message, /undefined|None/);
    return true;
  });
});

test('invoke: sync, log tail, async', { skip }, async () => {
  const r = await invoke('n3_hello', JSON.stringify({ name: 'node' }));
  assert.equal(r.status, 200);
  const result = JSON.parse(r.body.toString());
  assert.equal(result.greeting, 'v1, node');
  assert.equal(result.requestId, r.headers['x-fc-request-id']);
  const tail = await invoke('n3_hello', JSON.stringify({ name: 'tail' }), { logType: 'Tail' });
  const log = Buffer.from(tail.headers['x-fc-log-result'], 'base64').toString();
  assert.match(log, /FC Invoke Start RequestId/);
  assert.match(log, /greeting tail/);
  const queued = await invoke('n3_hello', '{}', { invocationType: 'Async' });
  assert.equal(queued.status, 202);
});

test('versions, aliases and the qualifier', { skip }, async () => {
  const v1 = (await client.publishFunctionVersion('n3_hello', new fc3.PublishFunctionVersionRequest({
    body: new fc3.PublishVersionInput({ description: 'first' }),
  }))).body;
  assert.equal(v1.versionId, '1');
  await client.updateFunction('n3_hello', new fc3.UpdateFunctionRequest({
    body: new fc3.UpdateFunctionInput({ environmentVariables: { GREETING: 'v2' } }),
  }));
  const alias = (await client.createAlias('n3_hello', new fc3.CreateAliasRequest({
    body: new fc3.CreateAliasInput({ aliasName: 'prod', versionId: '1' }),
  }))).body;
  assert.equal(alias.versionId, '1');
  const say = async (qualifier) => JSON.parse((await invoke('n3_hello', '{"name":"q"}', { qualifier })).body.toString()).greeting;
  assert.equal(await say('prod'), 'v1, q');
  assert.equal(await say('1'), 'v1, q');
  assert.equal(await say(undefined), 'v2, q');
  const versions = (await client.listFunctionVersions('n3_hello', new fc3.ListFunctionVersionsRequest({}))).body.versions;
  assert.deepEqual(versions.map((v) => v.versionId), ['1']);
  await client.deleteAlias('n3_hello', 'prod');
  await client.deleteFunctionVersion('n3_hello', '1');
});

test('a timer trigger, its config a JSON string', { skip }, async () => {
  const config = { cronExpression: '@every 1m', enable: true, payload: 'node' };
  const t = (await client.createTrigger('n3_hello', new fc3.CreateTriggerRequest({
    body: new fc3.CreateTriggerInput({ triggerName: 'tick', triggerType: 'timer', triggerConfig: JSON.stringify(config) }),
  }))).body;
  assert.equal(typeof t.triggerConfig, 'string');
  assert.deepEqual(JSON.parse(t.triggerConfig), config);
  const listed = (await client.listTriggers('n3_hello', new fc3.ListTriggersRequest({}))).body.triggers;
  assert.deepEqual(listed.map((x) => x.triggerName), ['tick']);
  await client.deleteTrigger('n3_hello', 'tick');
});

test('delete', { skip }, async () => {
  await client.deleteFunction('n3_other');
  await client.deleteFunction('n3_hello');
  const left = (await client.listFunctions(new fc3.ListFunctionsRequest({ prefix: 'n3_' }))).body.functions ?? [];
  assert.deepEqual(left, []);
});
