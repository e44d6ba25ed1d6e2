// Services, functions, invocation, logs, charts, configuration, versions, aliases and
// triggers through the console, in a real browser. Each test has its own service.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  CONSOLE_URL,
  ENDPOINT,
  TEST_TIMEOUT,
  apiCreateWasmFunction,
  apiGet,
  assertNoPageErrors,
  consoleApi,
  createServiceViaUi,
  deleteFunctionViaUi,
  deleteServiceViaUi,
  eventHelloWasm,
  loggerWasm,
  eventually,
  expectRoute,
  expectText,
  functionPath,
  gotoRoute,
  httpHelloWasm,
  invokeViaUi,
  launchBrowser,
  makeZip,
  openPage,
  purgeService,
  screenshot,
  servicePath,
  signIn,
  submit,
  textOf,
  uniqueName,
  zipEntryNames,
} from './common.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Runs `body` with a signed-in page; always purges `services` and closes the context. */
async function withConsole(services, body) {
  const { context, page, record } = await openPage(browser);
  try {
    await page.goto(CONSOLE_URL);
    await signIn(page);
    await body({ context, page, record });
  } finally {
    for (const s of services) await purgeService(page, s);
    await context.close();
  }
}

const fnBase = (s, f) => `/2016-08-15/services/${s}/functions/${f}`;

test('services: create with the form, filter, open, delete', { timeout: TEST_TIMEOUT }, async () => {
  const service = uniqueName('svc');
  const other = uniqueName('other');
  const { context, page, record } = await openPage(browser);
  try {
    await page.goto(CONSOLE_URL);
    await page.locator('#signin-form').waitFor({ state: 'visible' });
    await screenshot(page, 'signin-page');
    await signIn(page);

    // Nav links.
    for (const href of ['#/services', '#/layers', '#/watch']) {
      assert.equal(await page.locator(`a[href="${href}"]`).count() >= 1, true, `a nav link to ${href}`);
    }

    await createServiceViaUi(page, service, 'made by the console test');
    await createServiceViaUi(page, other, 'another one');
    const row = page.locator(`#services-table tr[data-name="${service}"]`);
    assert.equal(await row.locator(`a[href="${servicePath(service)}"]`).count(), 1, 'the name links to the service');
    const stored = await apiGet(page, `/2016-08-15/services/${service}`);
    assert.equal(stored.description, 'made by the console test');
    assert.equal(await page.locator('label[for="filter"]').count(), 1, '#filter has a label');
    assert.match(await page.locator('label[for="filter"]').textContent(), /filter by name/i);

    // Filter by name.
    await page.fill('#filter', service);
    await page.locator(`#services-table tr[data-name="${other}"]`).waitFor({ state: 'hidden' });
    assert.equal(await row.isVisible(), true, 'the matching row stays');
    await page.fill('#filter', '');
    await page.locator(`#services-table tr[data-name="${other}"]`).waitFor({ state: 'visible' });
    await screenshot(page, 'services-list');

    // Open it: the page of the service.
    await row.locator(`a[href="${servicePath(service)}"]`).click();
    await expectRoute(page, servicePath(service));
    await page.locator('h1').filter({ hasText: service }).first().waitFor({ state: 'visible' });
    await page.locator('#functions-table').waitFor({ state: 'attached' });
    await page.locator('#new-function').waitFor({ state: 'visible' });

    await deleteServiceViaUi(page, service);
    await deleteServiceViaUi(page, other);
    await gotoRoute(page, '#/services');
    await page.locator('#services-table').waitFor({ state: 'attached' });
    await page.locator(`#services-table tr[data-name="${service}"]`).waitFor({ state: 'detached' });
    assert.equal(record.dialogs.filter((d) => d.startsWith('confirm')).length >= 2, true, 'deletion asks confirm()');
    assertNoPageErrors(record, 'the services pages');
  } finally {
    await purgeService(page, service);
    await purgeService(page, other);
    await context.close();
  }
});

test('a function from a zip: config, download, invoke, logs, charts, delete', { timeout: TEST_TIMEOUT }, async () => {
  const service = uniqueName('fn');
  const fn = 'hello';
  await withConsole([service], async ({ context, page, record }) => {
    await createServiceViaUi(page, service, 'functions');
    await gotoRoute(page, servicePath(service));
    await page.locator('#new-function').click();
    await expectRoute(page, `${servicePath(service)}/new-function`);
    await page.locator('#create-function-form').waitFor({ state: 'visible' });
    for (const id of ['function-name', 'code-source', 'code-file', 'runtime', 'handler', 'memory-size', 'timeout', 'env', 'initializer']) {
      assert.equal(await page.locator(`label[for="${id}"]`).count() >= 1, true, `a <label for="${id}">`);
    }

    const zip = makeZip([{ name: 'index.wasm', data: eventHelloWasm() }]);
    await page.fill('#function-name', fn);
    await page.selectOption('#code-source', 'zip');
    await page.setInputFiles('#code-file', { name: 'event_hello.zip', mimeType: 'application/zip', buffer: zip });
    assert.equal(await page.inputValue('#runtime'), 'custom', 'a zip defaults to runtime custom');
    assert.equal(await page.inputValue('#handler'), 'index.handler', 'a zip defaults to handler index.handler');
    assert.equal(await page.locator('#code-editor').isVisible(), false, 'no code editor for a zip');
    await page.fill('#memory-size', '128');
    await page.fill('#timeout', '10');
    await screenshot(page, 'new-function');
    await submit(page, '#create-function-form');
    await expectRoute(page, functionPath(service, fn));

    // The configuration, against the API.
    const stored = await apiGet(page, fnBase(service, fn));
    assert.equal(stored.runtime, 'custom');
    assert.equal(stored.handler, 'index.handler');
    assert.equal(stored.memorySize, 128);
    assert.equal(stored.timeout, 10);
    await page.locator('#config').waitFor({ state: 'visible' });
    await expectText(page, '#code-size', String(stored.codeSize));
    await expectText(page, '#code-checksum', String(stored.codeChecksum));
    await expectText(page, '#config', 'custom');
    await expectText(page, '#config', 'index.handler');
    const href = await page.getAttribute('#download-code', 'href');
    assert.ok(href, '#download-code has an href');
    const download = await context.request.get(new URL(href, page.url()).toString());
    assert.equal(download.status(), 200, `the download link answered ${download.status()}`);
    const body = await download.body();
    assert.deepEqual(zipEntryNames(body), ['index.wasm'], 'the download is the function zip');
    const code = await apiGet(page, `${fnBase(service, fn)}/code`);
    assert.equal(String(code.checksum), String(stored.codeChecksum));

    // Invoke.
    const answer = await invokeViaUi(page, '{"name":"console"}');
    assert.match(answer.status, /200/, `#invoke-status: ${answer.status}`);
    assert.match(answer.result, /hello, console/, `#invoke-result: ${answer.result}`);
    assert.match(answer.log, /greeting console/, `#invoke-log: ${answer.log}`);
    assert.match(answer.requestId, /\S{8,}/, `#invoke-request-id: ${answer.requestId}`);
    assert.match(answer.duration, /\d/, `#invoke-duration: ${answer.duration}`);
    assert.match(answer.memory, /\d/, `#invoke-memory: ${answer.memory}`);
    assert.ok(JSON.parse(answer.result).requestId === answer.requestId, 'the request id shown is the invocation\'s');

    // Its record in the live log.
    const recordSel = `#logs .log-record`;
    await page.waitForFunction(
      ([sel, id]) => [...document.querySelectorAll(sel)].some((r) => r.textContent.includes(id) && r.textContent.includes('greeting console')),
      [recordSel, answer.requestId],
    ).catch(async () => {
      throw new assert.AssertionError({ message: `no .log-record of ${answer.requestId} in #logs: ${await textOf(page, '#logs').catch(() => '<none>')}` });
    });
    assert.equal(await page.isChecked('#follow-logs'), true, 'Follow is on by default');

    // Follow mode picks up an async invocation the page did not answer itself.
    const asyncAnswer = await invokeViaUi(page, '{"name":"later"}', { type: 'Async' });
    assert.match(asyncAnswer.status, /202/, `#invoke-status of an async invoke: ${asyncAnswer.status}`);
    await page.waitForFunction(
      ([sel, id]) => [...document.querySelectorAll(sel)].some((r) => r.textContent.includes(id) && r.textContent.includes('greeting later')),
      [recordSel, asyncAnswer.requestId],
    ).catch(async () => {
      throw new assert.AssertionError({ message: `the async invocation ${asyncAnswer.requestId} never showed in #logs: ${await textOf(page, '#logs').catch(() => '<none>')}` });
    });

    // Charts.
    for (const id of ['chart-invocations', 'chart-errors', 'chart-duration', 'chart-cold-starts']) {
      await page.locator(`#${id} svg`).waitFor({ state: 'attached' });
      const labelled = await page.evaluate((i) => {
        const svg = document.querySelector(`#${i} svg`);
        return !!(svg.getAttribute('aria-label') || svg.querySelector('title'));
      }, id);
      assert.equal(labelled, true, `#${id} svg has a title or aria-label`);
    }
    await page.waitForFunction(() => Number((document.querySelector('#chart-invocations svg') || { getAttribute: () => 0 }).getAttribute('data-total')) >= 2).catch(async () => {
      const total = await page.getAttribute('#chart-invocations svg', 'data-total');
      throw new assert.AssertionError({ message: `#chart-invocations svg data-total stays ${total} after 2 invocations` });
    });
    const errorsTotal = Number(await page.getAttribute('#chart-errors svg', 'data-total'));
    assert.equal(errorsTotal, 0, 'no errors charted');
    // A last sync invocation so the screenshot shows a result, its log and the charts.
    const last = await invokeViaUi(page, '{"name":"screenshot"}');
    assert.match(last.result, /hello, screenshot/);
    await expectText(page, '#logs', 'greeting screenshot');
    await screenshot(page, 'function-page');

    // Delete through the UI; the API agrees.
    await deleteFunctionViaUi(page, service, fn);
    await deleteServiceViaUi(page, service);
    const gone = await consoleApi(page, 'GET', `/2016-08-15/services/${service}`);
    assert.equal(gone.status, 404);
    assertNoPageErrors(record, 'the function pages');
  });
});

test('a function from a bare .wasm, zipped in the page as index.wasm', { timeout: TEST_TIMEOUT }, async () => {
  const service = uniqueName('wasm');
  const fn = 'bare';
  await withConsole([service], async ({ context, page, record }) => {
    const made = await consoleApi(page, 'POST', '/2016-08-15/services', { body: { serviceName: service } });
    assert.equal(made.status, 200, made.text);
    await gotoRoute(page, `${servicePath(service)}/new-function`);
    await page.locator('#create-function-form').waitFor({ state: 'visible' });
    await page.fill('#function-name', fn);
    await page.selectOption('#code-source', 'wasm');
    const wasm = eventHelloWasm();
    await page.setInputFiles('#code-file', { name: 'event_hello.wasm', mimeType: 'application/wasm', buffer: wasm });
    await page.fill('#env', 'GREETING=bare');
    await submit(page, '#create-function-form');
    await expectRoute(page, functionPath(service, fn));
    const stored = await apiGet(page, fnBase(service, fn));
    assert.equal(stored.runtime, 'custom');
    assert.deepEqual(stored.environmentVariables, { GREETING: 'bare' }, 'the #env textarea became environmentVariables');
    // The page's zip holds exactly index.wasm, byte for byte.
    const href = await page.getAttribute('#download-code', 'href');
    const download = await context.request.get(new URL(href, page.url()).toString());
    assert.equal(download.status(), 200);
    const zip = await download.body();
    assert.deepEqual(zipEntryNames(zip), ['index.wasm']);
    assert.ok(zip.includes(wasm), 'index.wasm is the uploaded module, stored as is');
    const answer = await invokeViaUi(page, '{"name":"zip.js"}');
    assert.match(answer.result, /bare, zip\.js/, `#invoke-result: ${answer.result}`);
    assertNoPageErrors(record, 'a function from a bare .wasm');
  });
});

test('configuration: a bad timeout is refused next to the field; env saves and takes effect', { timeout: TEST_TIMEOUT }, async () => {
  const service = uniqueName('cfg');
  const fn = 'hello';
  await withConsole([service], async ({ page, record }) => {
    await apiCreateWasmFunction(page, service, fn, eventHelloWasm(), { timeout: 10 });
    await gotoRoute(page, functionPath(service, fn));
    await page.locator('#config-form').waitFor({ state: 'visible' });
    assert.equal(await page.inputValue('#cfg-timeout'), '10', '#cfg-timeout is prefilled');
    assert.equal(await page.inputValue('#cfg-handler'), 'index.handler', '#cfg-handler is prefilled');

    await page.fill('#cfg-timeout', '0');
    await submit(page, '#config-form');
    await expectText(page, '#cfg-timeout-error', /timeout/i);
    assert.equal(await page.locator('#cfg-timeout-error').isVisible(), true, '#cfg-timeout-error is visible');
    assert.equal((await apiGet(page, fnBase(service, fn))).timeout, 10, 'the refused timeout was not stored');

    await page.fill('#cfg-timeout', '20');
    await page.fill('#cfg-env', 'GREETING=hi');
    await submit(page, '#config-form');
    await eventually(async () => {
      const f = await apiGet(page, fnBase(service, fn));
      return f.timeout === 20 && f.environmentVariables && f.environmentVariables.GREETING === 'hi';
    }, 'the configuration was not saved');
    await expectText(page, '#config-env', 'GREETING');
    await expectText(page, '#config-env', 'hi');
    await page.waitForFunction(() => {
      const el = document.querySelector('#cfg-timeout-error');
      return !el || el.offsetParent === null || el.textContent.trim() === '';
    }).catch(() => assert.fail('#cfg-timeout-error still shows after a successful save'));

    const answer = await invokeViaUi(page, '{"name":"console"}');
    assert.match(answer.result, /hi, console/, `#invoke-result after GREETING=hi: ${answer.result}`);
    assertNoPageErrors(record, 'the configuration form');
  });
});

test('versions and aliases: publish, alias prod, move it, invoke through it, delete', { timeout: TEST_TIMEOUT }, async () => {
  const service = uniqueName('ver');
  const fn = 'hello';
  await withConsole([service], async ({ page, record }) => {
    await apiCreateWasmFunction(page, service, fn, eventHelloWasm());
    await gotoRoute(page, servicePath(service));
    await page.locator('#publish-version-form').waitFor({ state: 'visible' });

    await page.fill('#version-description', 'first');
    await submit(page, '#publish-version-form');
    await page.locator('#versions-table tr[data-version="1"]').waitFor({ state: 'visible' });

    await page.fill('#alias-name', 'prod');
    await fillOrSelect(page, '#alias-version', '1');
    await submit(page, '#alias-form');
    await expectText(page, '#aliases-table tr[data-name="prod"] .alias-version', '1');

    // A change, then version 2.
    const changed = await consoleApi(page, 'PUT', fnBase(service, fn), { body: { environmentVariables: { GREETING: 'v2' } } });
    assert.equal(changed.status, 200, changed.text);
    await page.fill('#version-description', 'second');
    await submit(page, '#publish-version-form');
    await page.locator('#versions-table tr[data-version="2"]').waitFor({ state: 'visible' });

    await page.fill('#alias-name', 'prod');
    await fillOrSelect(page, '#alias-version', '2');
    await submit(page, '#alias-form');
    await expectText(page, '#aliases-table tr[data-name="prod"] .alias-version', /^\s*2\s*$/);
    assert.equal((await apiGet(page, `/2016-08-15/services/${service}/aliases/prod`)).versionId, '2');
    assert.equal(await page.locator('#aliases-table tr[data-name="prod"]').count(), 1, 'one row for prod');

    await gotoRoute(page, functionPath(service, fn));
    const viaProd = await invokeViaUi(page, '{"name":"console"}', { qualifier: 'prod' });
    assert.match(viaProd.result, /v2, console/, `through prod (→ 2): ${viaProd.result}`);
    assert.equal(JSON.parse(viaProd.result).qualifier, 'prod', `the guest saw qualifier prod: ${viaProd.result}`);
    const viaOne = await invokeViaUi(page, '{"name":"console"}', { qualifier: '1' });
    assert.match(viaOne.result, /hello, console/, `version 1: ${viaOne.result}`);

    // Delete it all through the UI: the function, the alias and versions (when the UI
    // offers per-row deletion), then the service.
    await deleteFunctionViaUi(page, service, fn);
    await gotoRoute(page, servicePath(service));
    await page.locator('#aliases-table').waitFor({ state: 'attached' });
    for (const sel of ['#aliases-table tr[data-name="prod"] button', '#versions-table tr[data-version="2"] button', '#versions-table tr[data-version="1"] button']) {
      const button = page.locator(sel).first();
      if (await button.count()) {
        await button.click();
        await page.locator(sel).first().waitFor({ state: 'detached' });
      }
    }
    await deleteServiceViaUi(page, service);
    assertNoPageErrors(record, 'versions and aliases');
  });
});

test('a timer trigger @every 2s: follow-mode log, the watch page, deletion', { timeout: TEST_TIMEOUT }, async () => {
  const service = uniqueName('tmr');
  const fn = 'hello';
  await withConsole([service], async ({ page, record }) => {
    // The logger guest logs the event it gets: FC's timer event, with the trigger's name and payload.
    await apiCreateWasmFunction(page, service, fn, loggerWasm());
    await gotoRoute(page, functionPath(service, fn));
    await page.locator('#trigger-form').waitFor({ state: 'visible' });

    // The template of the type, then a bad config refused next to the config field.
    await page.selectOption('#trigger-type', 'timer');
    await expectInputValue(page, '#trigger-config', /cronExpression/);
    await page.fill('#trigger-name', 'tick');
    await page.fill('#trigger-config', JSON.stringify({ cronExpression: 'every banana', enable: true, payload: '' }));
    await submit(page, '#trigger-form');
    await expectText(page, '#trigger-config-error', /cron/i);
    assert.equal((await apiGet(page, `${fnBase(service, fn)}/triggers`)).triggers.length, 0, 'the bad trigger was not stored');

    const before = await page.locator('#logs .log-record').count();
    await page.fill('#trigger-config', JSON.stringify({ cronExpression: '@every 2s', enable: true, payload: '{"name":"timer"}' }));
    await submit(page, '#trigger-form');
    await page.locator('#triggers-table tr[data-name="tick"]').waitFor({ state: 'visible' });
    const stored = await apiGet(page, `${fnBase(service, fn)}/triggers/tick`);
    assert.equal(stored.triggerType, 'timer');

    // A fire shows up in the live log by itself (follow mode): this test invokes nothing
    // itself, and the record's log is the timer event naming the trigger and its payload.
    const fire = await eventually(async () => {
      const logs = await apiGet(page, `/_wasm-fc/logs/${service}/${fn}?limit=100`);
      return (logs.records || []).find((r) => r.requestId);
    }, 'the timer never fired (no log record through the API)');
    assert.equal(fire.status, 'success', JSON.stringify(fire));
    assert.equal(fire.trigger, 'tick', JSON.stringify(fire));
    await page.waitForFunction(
      ([n, id]) => {
        const records = [...document.querySelectorAll('#logs .log-record')];
        return records.length > n && records.some((r) => r.textContent.includes(id)
          && r.textContent.includes('"triggerName":"tick"') && r.textContent.includes('name\\":\\"timer'));
      },
      [before, fire.requestId],
    ).catch(async () => {
      throw new assert.AssertionError({ message: `the timer's record ${fire.requestId} (${fire.status}) never showed in #logs: ${await textOf(page, '#logs').catch(() => '<none>')}` });
    });
    await screenshot(page, 'function-timer-log');

    // The watch page lists it with its next fire times.
    await gotoRoute(page, '#/watch');
    const row = page.locator(`#timers-table tr[data-trigger="${service}/${fn}/tick"]`);
    await row.waitFor({ state: 'visible' });
    await expectText(page, `#timers-table tr[data-trigger="${service}/${fn}/tick"] .cron`, '@every 2s');
    await expectText(page, `#timers-table tr[data-trigger="${service}/${fn}/tick"] .next-fire`, /\d{1,2}:\d{2}/);
    await expectText(page, '#queue-depth', /\d/);
    await page.locator('#nodes-table tr[data-node]').first().waitFor({ state: 'attached' });
    await page.locator('#event-sources-table').waitFor({ state: 'attached' });
    await screenshot(page, 'watch-page');

    // Delete the trigger with its row's button; the watch page drops it.
    await gotoRoute(page, functionPath(service, fn));
    await page.locator('#triggers-table tr[data-name="tick"]').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Delete trigger tick' }).click();
    await page.locator('#triggers-table tr[data-name="tick"]').waitFor({ state: 'detached' });
    const left = await consoleApi(page, 'GET', `${fnBase(service, fn)}/triggers/tick`);
    assert.equal(left.status, 404, 'the trigger is gone from the API');
    await gotoRoute(page, '#/watch');
    await page.locator('#timers-table').waitFor({ state: 'attached' });
    await row.waitFor({ state: 'detached' });

    await deleteFunctionViaUi(page, service, fn);
    await deleteServiceViaUi(page, service);
    assertNoPageErrors(record, 'the timer trigger and the watch page');
  });
});

test('an HTTP trigger: its URL and the request tool', { timeout: TEST_TIMEOUT }, async () => {
  const service = uniqueName('web');
  const fn = 'web';
  await withConsole([service], async ({ page, record }) => {
    await apiCreateWasmFunction(page, service, fn, httpHelloWasm());
    await gotoRoute(page, functionPath(service, fn));
    await page.locator('#trigger-form').waitFor({ state: 'visible' });
    await page.fill('#trigger-name', 'http');
    await page.selectOption('#trigger-type', 'http');
    await expectInputValue(page, '#trigger-config', /authType/);
    await page.fill('#trigger-config', JSON.stringify({ authType: 'anonymous', methods: ['GET', 'POST'] }));
    await submit(page, '#trigger-form');
    await page.locator('#triggers-table tr[data-name="http"]').waitFor({ state: 'visible' });

    const trigger = await apiGet(page, `${fnBase(service, fn)}/triggers/http`);
    const expectedUrl =
      trigger.urlInternet || `${ENDPOINT}/2016-08-15/proxy/${service}.LATEST/${fn}/`;
    await page.locator('#http-url').waitFor({ state: 'visible' });
    await expectText(page, '#http-url', expectedUrl);

    // The URL works from outside the console.
    const direct = await fetch(`${expectedUrl.replace(/\/$/, '')}/direct`);
    assert.equal(direct.status, 200, `GET of the trigger URL answered ${direct.status}`);
    assert.match(await direct.text(), /path=\/direct/);

    // The request tool.
    await page.selectOption('#http-method', 'POST');
    await page.fill('#http-path', '/hello?x=1');
    await page.fill('#http-body', 'ping-from-console');
    await submit(page, '#http-request-form');
    await expectText(page, '#http-response', 'method=POST');
    await expectText(page, '#http-response', 'path=/hello');
    await expectText(page, '#http-response', 'query:x=1');
    await expectText(page, '#http-response', 'body=ping-from-console');
    await expectText(page, '#http-response', /200/);

    await page.getByRole('button', { name: 'Delete trigger http' }).click();
    await page.locator('#triggers-table tr[data-name="http"]').waitFor({ state: 'detached' });
    await deleteFunctionViaUi(page, service, fn);
    await deleteServiceViaUi(page, service);
    assertNoPageErrors(record, 'the HTTP trigger');
  });
});

test("replacing a function's code", { timeout: TEST_TIMEOUT }, async () => {
  const service = uniqueName('code');
  const fn = 'swap';
  await withConsole([service], async ({ context, page, record }) => {
    await apiCreateWasmFunction(page, service, fn, eventHelloWasm());
    await gotoRoute(page, functionPath(service, fn));
    const before = await apiGet(page, fnBase(service, fn));
    await expectText(page, '#code-checksum', String(before.codeChecksum));
    await page.locator('#code #code-upload-form').waitFor({ state: 'visible' });
    assert.equal(await page.locator('label[for="code-upload-file"]').count(), 1, 'a <label for="code-upload-file">');
    assert.equal(await page.locator('#code-edit-form').isVisible(), false, 'no in-page editor for a Wasm function');
    assert.equal(await page.getAttribute('#code-error', 'role'), 'alert', '#code-error is role=alert');
    const greeting = await invokeViaUi(page, '{"name":"x"}');
    assert.match(greeting.result, /hello, x/, `event_hello first: ${greeting.result}`);

    // Upload the logger guest as a bare .wasm: the page zips it as index.wasm.
    const logger = loggerWasm();
    await page.setInputFiles('#code-upload-file', { name: 'logger.wasm', mimeType: 'application/wasm', buffer: logger });
    await submit(page, '#code-upload-form');
    const after = await eventually(async () => {
      const f = await apiGet(page, fnBase(service, fn));
      return String(f.codeChecksum) !== String(before.codeChecksum) && f;
    }, 'Upload code did not replace the code');
    await expectText(page, '#code-checksum', String(after.codeChecksum));
    await expectText(page, '#code-size', String(after.codeSize));
    assert.notEqual(await textOf(page, '#code-checksum'), String(before.codeChecksum));
    const code = await apiGet(page, `${fnBase(service, fn)}/code`);
    const download = await context.request.get(new URL(code.url, page.url()).toString());
    assert.equal(download.status(), 200);
    const zip = await download.body();
    assert.deepEqual(zipEntryNames(zip), ['index.wasm'], 'the uploaded .wasm is zipped as index.wasm');
    assert.ok(zip.includes(logger), 'index.wasm is the logger guest, stored as is');
    await page.waitForFunction(() => !document.querySelector('#code-upload-form').hasAttribute('aria-busy'));

    const echoed = await invokeViaUi(page, '{"name":"x"}');
    assert.match(echoed.status, /200/, `#invoke-status: ${echoed.status}`);
    assert.deepEqual(JSON.parse(echoed.result), { name: 'x' }, `the logger returns the event: ${echoed.result}`);
    assert.match(echoed.log, /event \{"name":"x"\}/, `#invoke-log: ${echoed.log}`);
    await screenshot(page, 'function-code-replaced');

    // The API's refusal shows in #code-error as "ErrorCode: ErrorMessage"; the code stays.
    await page.setInputFiles('#code-upload-file', { name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from('this is not a zip archive') });
    await submit(page, '#code-upload-form');
    await expectText(page, '#code-error', /^\s*[A-Za-z][A-Za-z0-9.]*: \S/);
    assert.equal(await page.locator('#code-error').isVisible(), true, '#code-error is visible');
    assert.equal(String((await apiGet(page, fnBase(service, fn))).codeChecksum), String(after.codeChecksum), 'the refused zip was not stored');
    assertNoPageErrors(record, "the function page's Code card");
  });
});

test('the function page of a function with a trigger: #delete-function removes its triggers first', { timeout: TEST_TIMEOUT }, async () => {
  const service = uniqueName('del');
  const fn = 'hello';
  await withConsole([service], async ({ page, record }) => {
    await apiCreateWasmFunction(page, service, fn, eventHelloWasm());
    const t = await consoleApi(page, 'POST', `${fnBase(service, fn)}/triggers`, {
      body: { triggerName: 'slow', triggerType: 'timer', triggerConfig: { cronExpression: '@every 1h', enable: true, payload: '' } },
    });
    assert.equal(t.status, 200, t.text);
    await deleteFunctionViaUi(page, service, fn);
    await deleteServiceViaUi(page, service);
    assert.equal((await consoleApi(page, 'GET', `/2016-08-15/services/${service}`)).status, 404);
    assertNoPageErrors(record, 'deleting a function with a trigger');
  });
});

test('layers: the page lists each layer with its versions', { timeout: TEST_TIMEOUT }, async () => {
  const layer = uniqueName('layer');
  await withConsole([], async ({ page, record }) => {
    const zipFile = makeZip([{ name: 'python/helper.py', data: 'X = 1\n' }]).toString('base64');
    for (const description of ['first layer version', 'second layer version']) {
      const r = await consoleApi(page, 'POST', `/2016-08-15/layers/${layer}/versions`, {
        body: { description, compatibleRuntime: ['python3.10'], code: { zipFile } },
      });
      assert.equal(r.status, 200, `PublishLayerVersion answered ${r.status}: ${r.text}`);
    }
    try {
      await gotoRoute(page, '#/layers');
      const row = `#layers-table tr[data-name="${layer}"]`;
      await page.locator(row).waitFor({ state: 'visible' });
      await expectText(page, row, 'second layer version');
      await expectText(page, row, 'python3.10');
      // Its versions, both of them.
      await expectText(page, row, 'first layer version');
      const layers = (await apiGet(page, '/2016-08-15/layers')).layers || [];
      for (const l of layers) {
        await page.locator(`#layers-table tr[data-name="${l.layerName}"]`).first().waitFor({ state: 'attached' });
      }
      assertNoPageErrors(record, 'the layers page');
    } finally {
      for (const v of [1, 2]) await consoleApi(page, 'DELETE', `/2016-08-15/layers/${layer}/versions/${v}`).catch(() => {});
    }
  });
});

async function fillOrSelect(page, selector, value) {
  const tag = await page.locator(selector).evaluate((el) => el.tagName.toLowerCase());
  if (tag === 'select') {
    await page.waitForFunction(
      ([sel, v]) => [...document.querySelector(sel).options].some((o) => o.value === v),
      [selector, value],
    );
    await page.selectOption(selector, value);
  } else {
    await page.fill(selector, value);
  }
}

async function expectInputValue(page, selector, pattern) {
  await page
    .waitForFunction(
      ([sel, src, flags]) => {
        const el = document.querySelector(sel);
        return el && new RegExp(src, flags).test(el.value);
      },
      [selector, pattern.source, pattern.flags],
    )
    .catch(async () => {
      throw new assert.AssertionError({ message: `${selector} never held ${pattern}: ${JSON.stringify(await page.inputValue(selector).catch(() => '<none>'))}` });
    });
}
