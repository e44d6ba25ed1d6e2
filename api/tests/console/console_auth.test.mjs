// The console's sign-in, session cookie, CSRF protection, sign-out and headers, in a real browser.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  CONSOLE_URL,
  CSP,
  ENDPOINT,
  KEY_ID,
  SECRET,
  TEST_TIMEOUT,
  assertNoPageErrors,
  consoleApi,
  expectText,
  launchBrowser,
  openPage,
  purgeService,
  screenshot,
  signIn,
  submit,
  uniqueName,
} from './common.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function sessionCookie(context) {
  return (await context.cookies(`${ENDPOINT}/console/`)).find((c) => c.name === 'wfc_console');
}

test('the console page carries the CSP of the contract and shows the sign-in form', { timeout: TEST_TIMEOUT }, async () => {
  const { context, page, record } = await openPage(browser);
  try {
    const response = await page.goto(CONSOLE_URL);
    assert.equal(response.status(), 200);
    assert.equal(response.headers()['content-security-policy'], CSP, 'the CSP header of /console/');
    assert.match(response.headers()['content-type'] || '', /^text\/html/);

    // /console → /console/ (308), and the assets carry the CSP too.
    const bare = await context.request.get(`${ENDPOINT}/console`, { maxRedirects: 0 });
    assert.equal(bare.status(), 308, '/console redirects');
    assert.match(bare.headers()['location'] || '', /\/console\/$/);
    const script = await context.request.get(`${ENDPOINT}/console/assets/app.js`);
    assert.equal(script.status(), 200, '/console/assets/app.js is served');
    assert.match(script.headers()['content-type'] || '', /javascript/);
    assert.equal(script.headers()['content-security-policy'], CSP, 'the CSP header of an asset');

    await page.locator('#signin-form').waitFor({ state: 'visible' });
    await page.locator('#access-key-id').waitFor({ state: 'visible' });
    await page.locator('#access-key-secret').waitFor({ state: 'visible' });
    assert.equal(await page.getAttribute('#access-key-secret', 'type'), 'password', 'the secret is a password field');
    // Every sign-in input has a label.
    for (const id of ['access-key-id', 'access-key-secret']) {
      assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `a <label for="${id}">`);
    }
    assert.equal(await page.locator('#whoami').isVisible().catch(() => false), false, 'no #whoami before sign-in');
    await screenshot(page, 'signin-page');
    assertNoPageErrors(record, 'the sign-in page');
  } finally {
    await context.close();
  }
});

test('a wrong secret is refused and sets no cookie', { timeout: TEST_TIMEOUT }, async () => {
  const { context, page, record } = await openPage(browser);
  try {
    await page.goto(CONSOLE_URL);
    await page.locator('#signin-form').waitFor({ state: 'visible' });
    await page.fill('#access-key-id', KEY_ID);
    await page.fill('#access-key-secret', `${SECRET}-wrong`);
    await submit(page, '#signin-form');
    await expectText(page, '#signin-error', 'InvalidAccessKey');
    assert.equal(await page.getAttribute('#signin-error', 'role'), 'alert');
    assert.equal(await page.locator('#signin-error').isVisible(), true, '#signin-error is visible');
    assert.equal(await sessionCookie(context), undefined, 'no session cookie after a refused sign-in');
    assert.equal(await page.locator('#whoami').isVisible().catch(() => false), false, 'still signed out');
    const s = await context.request.get(`${ENDPOINT}/console/session`);
    assert.equal(s.status(), 401);
    await screenshot(page, 'signin-refused');
    assertNoPageErrors(record, 'the refused sign-in');
  } finally {
    await context.close();
  }
});

test('sign-in, cookie flags, CSRF, signatures still required, sign-out and replay', { timeout: TEST_TIMEOUT }, async () => {
  const { context, page, record } = await openPage(browser);
  const service = uniqueName('csrf');
  try {
    await page.goto(CONSOLE_URL);
    await signIn(page);
    assert.equal((await page.textContent('#whoami')).trim(), KEY_ID);

    // The cookie: HttpOnly, SameSite=Strict, Path=/console, invisible to scripts, no secret in it.
    const cookie = await sessionCookie(context);
    assert.ok(cookie, 'a wfc_console cookie after sign-in');
    assert.equal(cookie.httpOnly, true, 'wfc_console is HttpOnly');
    assert.equal(cookie.sameSite, 'Strict', 'wfc_console is SameSite=Strict');
    assert.equal(cookie.path, '/console', 'wfc_console is scoped to /console');
    assert.ok(!cookie.value.includes(SECRET), 'the cookie does not carry the secret');
    const documentCookie = await page.evaluate(() => document.cookie);
    assert.ok(!documentCookie.includes('wfc_console'), `document.cookie shows the session: ${documentCookie}`);
    // The secret is not kept anywhere a script can read it.
    const kept = await page.evaluate((secret) => {
      const all = [];
      for (const store of [localStorage, sessionStorage]) {
        for (let i = 0; i < store.length; i++) all.push(store.key(i), store.getItem(store.key(i)));
      }
      return all.some((v) => v && v.includes(secret)) || document.body.innerText.includes(secret);
    }, SECRET);
    assert.equal(kept, false, 'the secret is not kept in storage or shown on the page');

    // The session JSON.
    const session = await consoleApiRaw(page, 'GET', '/console/session');
    assert.equal(session.status, 200);
    assert.equal(session.json.accessKeyId, KEY_ID);
    assert.ok(typeof session.json.csrfToken === 'string' && session.json.csrfToken.length >= 16, 'a csrfToken');
    assert.ok(!('accessKeySecret' in session.json), 'the session JSON does not echo the secret');

    // A write without X-Csrf-Token is refused, and nothing is created.
    const noToken = await consoleApi(page, 'POST', '/2016-08-15/services', {
      body: { serviceName: service, description: 'no csrf' },
      csrf: false,
    });
    assert.equal(noToken.status, 403, `a POST without X-Csrf-Token answered ${noToken.status}: ${noToken.text}`);
    assert.equal(noToken.json && noToken.json.ErrorCode, 'InvalidCsrfToken', noToken.text);
    const wrongToken = await consoleApi(page, 'POST', '/2016-08-15/services', {
      body: { serviceName: service, description: 'wrong csrf' },
      csrf: 'x'.repeat(session.json.csrfToken.length),
    });
    assert.equal(wrongToken.status, 403, `a POST with a wrong X-Csrf-Token answered ${wrongToken.status}`);
    assert.equal(wrongToken.json && wrongToken.json.ErrorCode, 'InvalidCsrfToken', wrongToken.text);
    const deleteNoToken = await consoleApi(page, 'DELETE', `/2016-08-15/services/${service}`, { csrf: false });
    assert.equal(deleteNoToken.status, 403, 'a DELETE without X-Csrf-Token is refused too');
    const notThere = await consoleApi(page, 'GET', `/2016-08-15/services/${service}`);
    assert.equal(notThere.status, 404, `the refused write created the service: ${notThere.text}`);

    // With the token it works.
    const created = await consoleApi(page, 'POST', '/2016-08-15/services', {
      body: { serviceName: service, description: 'with csrf' },
    });
    assert.equal(created.status, 200, `CreateService with the token answered ${created.status}: ${created.text}`);
    assert.equal(created.json.serviceName, service);
    const there = await consoleApi(page, 'GET', `/2016-08-15/services/${service}`);
    assert.equal(there.status, 200);
    assert.ok(there.headers['x-fc-request-id'], 'the API answer comes through with its x-fc-request-id');

    // The API itself is not opened by the cookie: no signature, still 403 — from the page
    // (where the cookie's Path keeps it from being sent) and with the cookie forced on.
    const unsigned = await consoleApiRaw(page, 'GET', '/2016-08-15/services');
    assert.equal(unsigned.status, 403, `the unsigned API answered ${unsigned.status} from the signed-in page`);
    const forced = await fetch(`${ENDPOINT}/2016-08-15/services`, {
      headers: { Cookie: `wfc_console=${cookie.value}` },
    });
    assert.equal(forced.status, 403, 'the unsigned API with the session cookie is still refused');
    const forcedWrite = await fetch(`${ENDPOINT}/2016-08-15/services`, {
      method: 'POST',
      headers: {
        Cookie: `wfc_console=${cookie.value}`,
        'X-Csrf-Token': session.json.csrfToken,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ serviceName: `${service}-x` }),
    });
    assert.equal(forcedWrite.status, 403, 'an unsigned API write with cookie and token is refused');
    // Only the API prefixes are relayed.
    const other = await consoleApiRaw(page, 'GET', '/console/api/metrics');
    assert.ok(other.status >= 400 && other.status < 500, `/console/api/metrics answered ${other.status}: not relayed`);

    assert.equal((await consoleApi(page, 'DELETE', `/2016-08-15/services/${service}`)).status, 204);

    // Sign out: the session ends for the browser and for the old cookie value.
    await page.click('#signout');
    await page.locator('#signin-form').waitFor({ state: 'visible' });
    const afterOut = await consoleApiRaw(page, 'GET', '/console/session');
    assert.equal(afterOut.status, 401, 'GET /console/session after sign-out');
    assert.equal(afterOut.json && afterOut.json.ErrorCode, 'SessionRequired');
    assert.equal(await sessionCookie(context), undefined, 'the cookie is cleared at sign-out');

    await context.addCookies([
      {
        name: 'wfc_console',
        value: cookie.value,
        domain: cookie.domain,
        path: cookie.path,
        httpOnly: true,
        secure: cookie.secure,
        sameSite: 'Strict',
      },
    ]);
    const replayed = await consoleApiRaw(page, 'GET', '/console/session');
    assert.equal(replayed.status, 401, 'the old cookie value replayed after sign-out');
    const replayedApi = await consoleApiRaw(page, 'GET', '/console/api/2016-08-15/services');
    assert.equal(replayedApi.status, 401, 'the API through the console with the replayed cookie');
    const replayedWrite = await consoleApiRaw(page, 'POST', '/console/api/2016-08-15/services', {
      headers: { 'X-Csrf-Token': session.json.csrfToken, 'Content-Type': 'application/json' },
      body: JSON.stringify({ serviceName: `${service}-replay` }),
    });
    assert.ok(
      replayedWrite.status === 401 || replayedWrite.status === 403,
      `a write with the replayed cookie and old token answered ${replayedWrite.status}`,
    );
    // A reload with the dead cookie lands on the sign-in form.
    await page.reload();
    await page.locator('#signin-form').waitFor({ state: 'visible' });

    // Nothing created by the refused calls.
    await signIn(page);
    for (const name of [`${service}-x`, `${service}-replay`, service]) {
      const r = await consoleApi(page, 'GET', `/2016-08-15/services/${name}`);
      assert.equal(r.status, 404, `${name} exists: ${r.text}`);
    }
    assertNoPageErrors(record, 'the signed-in console');
  } finally {
    const signedIn = await consoleApiRaw(page, 'GET', '/console/session').then((r) => r.status === 200).catch(() => false);
    if (!signedIn) await signIn(page).catch(() => {});
    for (const name of [service, `${service}-x`, `${service}-replay`]) await purgeService(page, name);
    await context.close();
  }
});

test('keyboard sign-in; a reload keeps the session; a forged sign-out is refused', { timeout: TEST_TIMEOUT }, async () => {
  const { context, page, record } = await openPage(browser);
  try {
    await page.goto(CONSOLE_URL);
    // Signing in with the keyboard only: type, Tab to the secret, Enter.
    await page.locator('#signin-form').waitFor({ state: 'visible' });
    await page.focus('#access-key-id');
    await page.keyboard.type(KEY_ID);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'access-key-secret', 'Tab goes from the key id to the secret');
    await page.keyboard.type(SECRET);
    await page.keyboard.press('Enter');
    await expectText(page, '#whoami', KEY_ID);
    // A reload keeps the session (the cookie is the session).
    await page.reload();
    await expectText(page, '#whoami', KEY_ID);
    // DELETE /console/session without the CSRF header is refused: a forged sign-out cannot end it.
    const forged = await consoleApiRaw(page, 'DELETE', '/console/session');
    assert.equal(forged.status, 403, `DELETE /console/session without the CSRF header answered ${forged.status}`);
    assert.equal((await consoleApiRaw(page, 'GET', '/console/session')).status, 200, 'still signed in');
    await page.click('#signout');
    await page.locator('#signin-form').waitFor({ state: 'visible' });
    assert.equal((await consoleApiRaw(page, 'GET', '/console/session')).status, 401);
    assertNoPageErrors(record, 'sign-out');
  } finally {
    await context.close();
  }
});

test('a page of another site cannot use the session (fetch, no-cors, preflight, form post)', { timeout: TEST_TIMEOUT }, async () => {
  // 127.0.0.1 and localhost are different sites to the browser: a page served from the
  // other name plays the attacker, in the same browser profile as the signed-in console.
  const endpoint = new URL(ENDPOINT);
  const attackerOrigin = `${endpoint.protocol}//${endpoint.hostname === 'localhost' ? '127.0.0.1' : 'localhost'}:${endpoint.port}`;
  const { context, page, record } = await openPage(browser);
  const service = uniqueName('csrf-x');
  try {
    await page.goto(CONSOLE_URL);
    await signIn(page);
    const attacker = await context.newPage();
    // /metrics: an unauthenticated page without the console's CSP, so its scripts may fetch anywhere.
    await attacker.goto(`${attackerOrigin}/metrics`);
    const outcome = await attacker.evaluate(
      async ({ target, service }) => {
        const result = {};
        try {
          const r = await fetch(`${target}/console/session`, { credentials: 'include' });
          result.session = { status: r.status, body: await r.text() };
        } catch (error) {
          result.session = { blocked: String(error) };
        }
        const body = JSON.stringify({ serviceName: service });
        try {
          await fetch(`${target}/console/api/2016-08-15/services`, {
            method: 'POST',
            mode: 'no-cors',
            credentials: 'include',
            headers: { 'Content-Type': 'text/plain' },
            body,
          });
          result.noCors = 'sent';
        } catch (error) {
          result.noCors = String(error);
        }
        try {
          const r = await fetch(`${target}/console/api/2016-08-15/services`, {
            method: 'POST',
            credentials: 'include',
            headers: { 'Content-Type': 'application/json', 'X-Csrf-Token': 'guessed' },
            body,
          });
          result.cors = { status: r.status };
        } catch (error) {
          result.cors = { blocked: String(error) };
        }
        return result;
      },
      { target: ENDPOINT, service },
    );
    assert.ok(
      outcome.session.blocked || !/csrfToken/.test(outcome.session.body || ''),
      `another site read the session (and its CSRF token): ${JSON.stringify(outcome.session)}`,
    );
    assert.ok(outcome.cors.blocked || outcome.cors.status >= 400, `a cross-site write got through: ${JSON.stringify(outcome.cors)}`);

    // The classic form post (text/plain body that looks like JSON), as a top-level navigation.
    await attacker.evaluate(
      ({ target, service }) => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.enctype = 'text/plain';
        form.action = `${target}/console/api/2016-08-15/services`;
        const input = document.createElement('input');
        input.name = `{"serviceName":"${service}-form","x":"`;
        input.value = '"}';
        form.append(input);
        document.body.append(form);
        form.submit();
      },
      { target: ENDPOINT, service },
    );
    await attacker.waitForURL(/\/console\/api\/2016-08-15\/services/);
    const formAnswer = await attacker.evaluate(() => document.body.innerText);
    assert.ok(!formAnswer.includes(`"serviceName"`), `the form post created a service: ${formAnswer}`);

    for (const name of [service, `${service}-form`]) {
      const r = await consoleApi(page, 'GET', `/2016-08-15/services/${name}`);
      assert.equal(r.status, 404, `a cross-site request created ${name}: ${r.text}`);
    }
    // The console's own session is still fine.
    assert.equal((await consoleApi(page, 'GET', '/2016-08-15/services')).status, 200);
    assertNoPageErrors(record, 'the console during the cross-site attempts');
  } finally {
    for (const name of [service, `${service}-form`]) await purgeService(page, name);
    await context.close();
  }
});

/** A same-origin fetch of any path from the page; returns status, headers, text, json. */
async function consoleApiRaw(page, method, url, { headers = {}, body } = {}) {
  return page.evaluate(
    async ({ method, url, headers, body }) => {
      const r = await fetch(url, { method, headers, body, credentials: 'same-origin' });
      const text = await r.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      return { status: r.status, headers: Object.fromEntries(r.headers.entries()), text, json };
    },
    { method, url, headers, body },
  );
}
