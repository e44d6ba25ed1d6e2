// Python and Node.js functions from the console's in-page templates (needs the runtimes:
// WASM_FC_RUNTIMES=1).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  CONSOLE_URL,
  RUNTIMES,
  TEST_TIMEOUT,
  apiGet,
  assertNoPageErrors,
  consoleApi,
  deleteFunctionViaUi,
  deleteServiceViaUi,
  expectRoute,
  expectText,
  functionPath,
  gotoRoute,
  eventually,
  invokeViaUi,
  launchBrowser,
  makeZip,
  openPage,
  purgeService,
  screenshot,
  servicePath,
  signIn,
  submit,
  uniqueName,
  zipEntryNames,
} from './common.mjs';

const SKIP = !RUNTIMES;
if (SKIP) {
  console.log(
    '!!!!!!!! console_template.test.mjs: the Python and Node.js template invocations are SKIPPED: WASM_FC_RUNTIMES is not 1, so the server has no Python/Node.js runtimes !!!!!!!!',
  );
}

let browser;
before(async () => {
  if (!SKIP) browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const LANGS = [
  {
    source: 'python',
    runtime: 'python3.10',
    file: 'index.py',
    templateMarker: 'def handler(event, context):',
    // The answer is computed, so it cannot be the page echoing the source.
    code: [
      'def handler(event, context):',
      '    print("template log " + "py-" + str(6 * 7))',
      '    return "py-" + str(6 * 7) + "-done"',
      '',
    ].join('\n'),
    expectedResult: 'py-42-done',
    expectedLog: 'template log py-42',
  },
  {
    source: 'nodejs',
    runtime: 'nodejs18',
    file: 'index.js',
    templateMarker: 'exports.handler',
    code: [
      'exports.handler = (event, context, callback) => {',
      "  console.log('template log ' + 'js-' + (6 * 7));",
      "  callback(null, 'js-' + (6 * 7) + '-done');",
      '};',
      '',
    ].join('\n'),
    expectedResult: 'js-42-done',
    expectedLog: 'template log js-42',
  },
];

for (const lang of LANGS) {
  test(`a ${lang.source} function from the template, as is and edited`, { timeout: TEST_TIMEOUT, skip: SKIP && 'WASM_FC_RUNTIMES != 1' }, async () => {
    const service = uniqueName(`tpl-${lang.source}`);
    const { context, page, record } = await openPage(browser);
    try {
      await page.goto(CONSOLE_URL);
      await signIn(page);
      const created = await consoleApi(page, 'POST', '/2016-08-15/services', { body: { serviceName: service, description: '' } });
      assert.equal(created.status, 200, created.text);

      // 1. The template untouched works.
      await openNewFunction(page, service, lang);
      const template = await page.inputValue('#code-editor');
      assert.ok(template.includes(lang.templateMarker), `the ${lang.source} template holds ${lang.templateMarker}: ${template}`);
      await page.fill('#function-name', 'as-is');
      await screenshot(page, `new-function-${lang.source}`);
      await submit(page, '#create-function-form');
      await expectRoute(page, functionPath(service, 'as-is'));
      const asIs = await invokeViaUi(page, '{"name":"template"}');
      assert.match(asIs.status, /200/, `the untouched ${lang.source} template: ${asIs.status} ${asIs.result}`);
      const asIsFn = await apiGet(page, `/2016-08-15/services/${service}/functions/as-is`);
      assert.equal(asIsFn.runtime, lang.runtime);
      assert.equal(asIsFn.handler, 'index.handler');

      // 2. Edited in #code-editor.
      await openNewFunction(page, service, lang);
      await page.fill('#function-name', 'edited');
      await page.fill('#code-editor', lang.code);
      await submit(page, '#create-function-form');
      await expectRoute(page, functionPath(service, 'edited'));
      const edited = await invokeViaUi(page, '{"name":"template"}');
      assert.match(edited.status, /200/, `the edited ${lang.source} function: ${edited.status} ${edited.result}`);
      assert.ok(edited.result.includes(lang.expectedResult), `#invoke-result: ${edited.result}`);
      assert.ok(edited.log.includes(lang.expectedLog), `#invoke-log: ${edited.log}`);
      await expectText(page, '#logs', lang.expectedLog);
      await screenshot(page, `function-${lang.source}`);

      // The stored code is the zip of that one file.
      const href = await page.getAttribute('#download-code', 'href');
      const download = await context.request.get(new URL(href, page.url()).toString());
      assert.equal(download.status(), 200);
      assert.deepEqual(zipEntryNames(await download.body()), [lang.file]);

      await deleteFunctionViaUi(page, service, 'edited');
      await deleteFunctionViaUi(page, service, 'as-is');
      await deleteServiceViaUi(page, service);
      assertNoPageErrors(record, `the ${lang.source} template`);
    } finally {
      await purgeService(page, service);
      await context.close();
    }
  });
}

test("a Python function's code edited on its page (#code-edit)", { timeout: TEST_TIMEOUT, skip: SKIP && 'WASM_FC_RUNTIMES != 1' }, async () => {
  const service = uniqueName('code-edit');
  const fnPath = (f) => `/2016-08-15/services/${service}/functions/${f}`;
  const { context, page, record } = await openPage(browser);
  try {
    await page.goto(CONSOLE_URL);
    await signIn(page);
    const created = await consoleApi(page, 'POST', '/2016-08-15/services', { body: { serviceName: service, description: '' } });
    assert.equal(created.status, 200, created.text);

    // 1. From the template: the editor holds index.py as created.
    await openNewFunction(page, service, LANGS[0]);
    await page.fill('#function-name', 'py');
    await submit(page, '#create-function-form');
    await expectRoute(page, functionPath(service, 'py'));
    await page.locator('#code-edit-form').waitFor({ state: 'visible' });
    assert.equal(await page.locator('label[for="code-edit"]').count(), 1, 'the code editor has a label');
    await page.waitForFunction(() => document.querySelector('#code-edit').value.includes('def handler(event, context):'));
    assert.match(await page.locator('label[for="code-edit"]').textContent(), /index\.py/, 'the label names index.py');
    const first = await invokeViaUi(page, '{"name":"template"}');
    assert.ok(first.result.includes('hello from Python'), `the template first: ${first.result}`);
    const before = await apiGet(page, fnPath('py'));

    await page.fill('#code-edit', [
      'def handler(event, context):',
      '    print("edited log " + "py-" + str(7 * 6))',
      '    return "py-" + str(7 * 6) + "-edited"',
      '',
    ].join('\n'));
    await submit(page, '#code-edit-form');
    const after = await eventually(async () => {
      const f = await apiGet(page, fnPath('py'));
      return String(f.codeChecksum) !== String(before.codeChecksum) && f;
    }, 'Save code did not replace the code');
    await expectText(page, '#code-checksum', String(after.codeChecksum));
    await page.waitForFunction(() => !document.querySelector('#code-edit-form').hasAttribute('aria-busy'));
    const edited = await invokeViaUi(page, '{"name":"template"}');
    assert.match(edited.status, /200/, `after Save code: ${edited.status} ${edited.result}`);
    assert.ok(edited.result.includes('py-42-edited'), `#invoke-result after Save code: ${edited.result}`);
    assert.ok(edited.log.includes('edited log py-42'), `#invoke-log after Save code: ${edited.log}`);
    await screenshot(page, 'function-code-edited');
    const code = await apiGet(page, `${fnPath('py')}/code`);
    const download = await context.request.get(new URL(code.url, page.url()).toString());
    assert.deepEqual(zipEntryNames(await download.body()), ['index.py'], 'the saved zip holds index.py only');

    // 2. A DEFLATE zip with a module handler (main.handler → main.py) and a second file:
    // the editor shows main.py, and saving keeps helper.py.
    const zip = makeZip([
      { name: 'helper.py', data: 'def word():\n    return "help" + "er"\n' },
      { name: 'main.py', data: 'import helper\n\n\ndef handler(event, context):\n    return "zip-" + helper.word()\n' },
    ], { deflate: true });
    const made = await consoleApi(page, 'POST', `/2016-08-15/services/${service}/functions`, {
      body: { functionName: 'zipped', runtime: 'python3.10', handler: 'main.handler', memorySize: 128, timeout: 30, code: { zipFile: zip.toString('base64') } },
    });
    assert.equal(made.status, 200, made.text);
    await gotoRoute(page, functionPath(service, 'zipped'));
    await page.locator('#code-edit-form').waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.querySelector('#code-edit').value.includes('helper.word()'));
    const zippedBefore = await apiGet(page, fnPath('zipped'));
    await page.fill('#code-edit', 'import helper\n\n\ndef handler(event, context):\n    return "kept-" + helper.word() + "-" + str(3 * 3)\n');
    await submit(page, '#code-edit-form');
    await eventually(async () => String((await apiGet(page, fnPath('zipped'))).codeChecksum) !== String(zippedBefore.codeChecksum), 'Save code did not replace the zipped code');
    await page.waitForFunction(() => !document.querySelector('#code-edit-form').hasAttribute('aria-busy'));
    const kept = await invokeViaUi(page, '{}');
    assert.ok(kept.result.includes('kept-helper-9'), `#invoke-result with helper.py kept: ${kept.status} ${kept.result}`);
    const zippedCode = await apiGet(page, `${fnPath('zipped')}/code`);
    const zippedDownload = await context.request.get(new URL(zippedCode.url, page.url()).toString());
    assert.deepEqual(zipEntryNames(await zippedDownload.body()), ['helper.py', 'main.py'], 'the other files stay');

    // 3. A download the page cannot read as a zip: a clear message, no editor.
    await page.route('**/_wasm-fc/code/**', (route) => route.fulfill({ status: 200, contentType: 'application/zip', body: 'this is not a zip archive' }));
    await gotoRoute(page, servicePath(service));
    await gotoRoute(page, functionPath(service, 'py'));
    await expectText(page, '#code-edit-message', /code zip cannot be read/);
    assert.equal(await page.locator('#code-edit-form').isVisible(), false, 'no editor for an unreadable zip');
    assert.equal(await page.locator('#code-upload-form').isVisible(), true, 'uploading stays possible');
    await page.unroute('**/_wasm-fc/code/**');

    assertNoPageErrors(record, "the Code card's editor");
  } finally {
    await purgeService(page, service);
    await context.close();
  }
});

// What needs no runtime: the form fills in each template and hides the editor for uploads.
test('the templates fill the new-function form (no runtime needed)', { timeout: TEST_TIMEOUT }, async () => {
  const service = uniqueName('tpl-form');
  const localBrowser = browser || (await launchBrowser());
  const { context, page, record } = await openPage(localBrowser);
  try {
    await page.goto(CONSOLE_URL);
    await signIn(page);
    const created = await consoleApi(page, 'POST', '/2016-08-15/services', { body: { serviceName: service, description: '' } });
    assert.equal(created.status, 200, created.text);
    for (const lang of LANGS) {
      await openNewFunction(page, service, lang);
      assert.equal(await page.locator('label[for="code-editor"]').count(), 1, 'the editor has a label');
    }
    for (const source of ['zip', 'wasm']) {
      await page.selectOption('#code-source', source);
      await page.locator('#code-editor').waitFor({ state: 'hidden' });
      assert.equal(await page.inputValue('#runtime'), 'custom', `${source}: runtime custom`);
      assert.equal(await page.inputValue('#handler'), 'index.handler', `${source}: handler index.handler`);
    }
    // Back to a template: the editor comes back with the template in it.
    await page.selectOption('#code-source', 'python');
    await page.locator('#code-editor').waitFor({ state: 'visible' });
    assert.ok((await page.inputValue('#code-editor')).includes(LANGS[0].templateMarker));
    assertNoPageErrors(record, 'the new-function form');
  } finally {
    await purgeService(page, service);
    await context.close();
    if (!browser) await localBrowser.close();
  }
});

async function openNewFunction(page, service, lang) {
  await gotoRoute(page, `${servicePath(service)}/new-function`);
  await page.locator('#create-function-form').waitFor({ state: 'visible' });
  await page.selectOption('#code-source', lang.source);
  await page.locator('#code-editor').waitFor({ state: 'visible' });
  await page.waitForFunction((marker) => document.querySelector('#code-editor').value.includes(marker), lang.templateMarker);
  assert.equal(await page.inputValue('#runtime'), lang.runtime, `the ${lang.source} template's runtime`);
  assert.equal(await page.inputValue('#handler'), 'index.handler', `the ${lang.source} template's handler`);
}
