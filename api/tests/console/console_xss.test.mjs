// User data that looks like HTML is shown as text everywhere the console shows it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  CONSOLE_URL,
  TEST_TIMEOUT,
  apiCreateWasmFunction,
  apiGet,
  assertNoPageErrors,
  consoleApi,
  createServiceViaUi,
  eventHelloWasm,
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
} from './common.mjs';

// event_hello cuts the name at the next double quote, so its payload has none.
const IMG = '<img src=x onerror=window.__xss=1>';
const IMG_QUOTED = '<img src=x onerror="window.__xss=1">';
const SCRIPT = '<script>window.__xss=1</script>';
const BOTH = `${IMG_QUOTED}${SCRIPT}`;
const GREET = `${IMG}${SCRIPT}`;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function openXssPage() {
  const opened = await openPage(browser, {
    extraInit: () => {
      window.__xss = 0;
    },
  });
  return opened;
}

/** No element made from the payloads, no script run by them, no page error so far. */
async function assertInert(page, record, where) {
  const state = await page.evaluate(() => ({
    xss: window.__xss,
    imgs: document.querySelectorAll('img[src="x"]').length,
    injectedScripts: [...document.querySelectorAll('script')].filter((s) => s.textContent.includes('__xss')).length,
    onerrorAttrs: document.querySelectorAll('[onerror]').length,
  }));
  assert.equal(state.imgs, 0, `${where}: an <img src="x"> element was made from user data`);
  assert.equal(state.injectedScripts, 0, `${where}: a <script> element was made from user data`);
  assert.equal(state.onerrorAttrs, 0, `${where}: an onerror attribute was made from user data`);
  assert.equal(state.xss, 0, `${where}: the payload ran (window.__xss = ${state.xss})`);
  assertNoPageErrors(record, where);
}

/** `text` is visible as text inside `selector` (in its textContent, and not as markup). */
async function expectLiteral(page, selector, text, where) {
  await expectText(page, selector, text).catch((e) => {
    e.message = `${where}: ${e.message}`;
    throw e;
  });
  const visible = await page.locator(selector).first().isVisible();
  assert.equal(visible, true, `${where}: ${selector} is visible`);
}

test('stored HTML in names, descriptions, env, payloads, results and logs stays text', { timeout: TEST_TIMEOUT }, async () => {
  const service = uniqueName('xss');
  const fn = 'hello';
  const { page, context, record } = await openXssPage();
  try {
    await page.goto(CONSOLE_URL);
    await signIn(page);

    // A service description, through the form.
    await createServiceViaUi(page, service, BOTH);
    assert.equal((await apiGet(page, `/2016-08-15/services/${service}`)).description, BOTH);
    await expectText(page, `#services-table tr[data-name="${service}"]`, BOTH).catch((e) => {
      e.message = `the service description is not shown as text in its row: ${e.message}`;
      throw e;
    });
    await screenshot(page, 'xss-services');
    await assertInert(page, record, '#/services');

    // A function description and an env value, through the API.
    await apiCreateWasmFunction(page, service, fn, eventHelloWasm(), {
      description: BOTH,
      // GREETING lands in the guest's JSON result, so it has no double quote (the result stays JSON).
      env: { GREETING: GREET, OTHER: BOTH },
    });
    await gotoRoute(page, servicePath(service));
    await page.locator(`#functions-table tr[data-name="${fn}"]`).waitFor({ state: 'visible' });
    await page.locator('h1').filter({ hasText: service }).first().waitFor({ state: 'visible' });
    // The service page shows the service's description when it shows one; either way, not as HTML.
    await assertInert(page, record, 'the service page');

    await gotoRoute(page, functionPath(service, fn));
    await page.locator('#config').waitFor({ state: 'visible' });
    await expectLiteral(page, '#config-env', BOTH, 'the env value in #config-env');
    await expectLiteral(page, '#config-env', GREET, 'the GREETING value in #config-env');
    // The editable env holds the literal text too.
    const cfgEnv = await page.inputValue('#cfg-env');
    assert.ok(cfgEnv.includes(`GREETING=${GREET}`) && cfgEnv.includes(`OTHER=${BOTH}`), `#cfg-env: ${cfgEnv}`);
    await assertInert(page, record, 'the function config');

    // An invocation payload whose name lands in the result and in the log (GREETING holds
    // HTML too, so the result is HTML on both sides of the comma).
    const answer = await invokeViaUi(page, JSON.stringify({ name: IMG }));
    assert.match(answer.status, /200/, `invoke: ${answer.status} ${answer.result}`);
    await expectLiteral(page, '#invoke-result', `${GREET}, ${IMG}`, 'the result');
    await expectLiteral(page, '#invoke-log', `greeting ${IMG}`, 'the log tail');
    await page.waitForFunction(
      ([id, text]) => [...document.querySelectorAll('#logs .log-record')].some((r) => r.textContent.includes(id) && r.textContent.includes(text)),
      [answer.requestId, `greeting ${IMG}`],
    ).catch(() => assert.fail('the log line with HTML never showed as text in #logs'));
    // The payload field keeps it as typed.
    assert.equal(await page.inputValue('#payload'), JSON.stringify({ name: IMG }));
    await assertInert(page, record, 'the invoke result and logs');

    // A failing invocation whose error message echoes the HTML (event_hello refuses a
    // payload without "name" and quotes it in the error).
    const failed = await invokeViaUi(page, BOTH);
    assert.match(`${failed.status} ${failed.result}`, /InvalidEvent/, 'a bad event fails with InvalidEvent');
    await expectText(page, '#invoke-result', 'window.__xss=1');
    await assertInert(page, record, 'a failed invocation');

    // A trigger payload, through the form; the table shows the trigger (and maybe its config).
    await page.fill('#trigger-name', 'xss');
    await page.selectOption('#trigger-type', 'timer');
    await page.fill('#trigger-config', JSON.stringify({ cronExpression: '@every 1h', enable: true, payload: BOTH }));
    await submit(page, '#trigger-form');
    await page.locator('#triggers-table tr[data-name="xss"]').waitFor({ state: 'visible' });
    const trigger = await apiGet(page, `/2016-08-15/services/${service}/functions/${fn}/triggers/xss`);
    const storedPayload = typeof trigger.triggerConfig === 'string' ? JSON.parse(trigger.triggerConfig).payload : trigger.triggerConfig.payload;
    assert.equal(storedPayload, BOTH);
    // A trigger config the API refuses, with HTML in it: the error shows as text.
    await page.fill('#trigger-name', 'bad');
    await page.fill('#trigger-config', JSON.stringify({ cronExpression: IMG_QUOTED, enable: true, payload: '' }));
    await submit(page, '#trigger-form');
    await page.waitForFunction(() => {
      const el = document.querySelector('#trigger-config-error');
      return el && el.textContent.trim() !== '';
    }).catch(() => assert.fail('#trigger-config-error stayed empty for a bad cron'));
    await screenshot(page, 'xss-function');
    await assertInert(page, record, 'the triggers');

    // A route naming a function that does not exist, with HTML in it: the error and
    // headings show it as text.
    await gotoRoute(page, functionPath(service, IMG));
    await page.waitForFunction(() => (document.querySelector('#error') || {}).textContent);
    await assertInert(page, record, 'a route with HTML in it');
    // A service name with HTML is refused by the API; its error shows as text.
    await gotoRoute(page, '#/services');
    await page.locator('#create-service-form').waitFor({ state: 'visible' });
    await page.fill('#service-name', IMG);
    await page.fill('#service-description', '');
    await submit(page, '#create-service-form');
    await page.waitForFunction(() => {
      const errs = [...document.querySelectorAll('#error, [role="alert"]')].map((e) => e.textContent.trim()).filter(Boolean);
      return errs.length > 0;
    }).catch(() => assert.fail('no error shown for a service name the API refuses'));
    // The filter field with HTML in it.
    await page.fill('#filter', IMG);
    await page.locator(`#services-table tr[data-name="${service}"]`).waitFor({ state: 'hidden' });
    await assertInert(page, record, 'the services page with HTML typed in');

    // The watch page lists the trigger (its payload is not shown there, the names are).
    await gotoRoute(page, '#/watch');
    await page.locator(`#timers-table tr[data-trigger="${service}/${fn}/xss"]`).waitFor({ state: 'attached' });
    await assertInert(page, record, 'the watch page');

    // A full reload of each page with the stored data (nothing depends on in-page state).
    const reloads = [
      ['#/services', `#services-table tr[data-name="${service}"]`],
      [servicePath(service), `#functions-table tr[data-name="${fn}"]`],
      [functionPath(service, fn), '#config-env'],
      ['#/watch', `#timers-table tr[data-trigger="${service}/${fn}/xss"]`],
      ['#/layers', '#layers-table'],
    ];
    for (const [route, ready] of reloads) {
      await page.goto(CONSOLE_URL + route);
      await page.locator('#whoami').waitFor({ state: 'visible' });
      await page.locator(ready).first().waitFor({ state: 'attached' });
      await assertInert(page, record, `a reload of ${route}`);
    }
    await page.goto(CONSOLE_URL + functionPath(service, fn));
    await page.locator('#logs .log-record').first().waitFor({ state: 'attached' });
    await expectText(page, '#logs', `greeting ${IMG}`);
    await expectText(page, '#config-env', BOTH);
    await assertInert(page, record, 'the function page after a reload');
  } finally {
    await purgeService(page, service);
    await context.close();
  }
});
