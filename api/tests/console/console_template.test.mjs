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
  invokeViaUi,
  launchBrowser,
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
