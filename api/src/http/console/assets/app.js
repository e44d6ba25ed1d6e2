// The console's entry point: the session (sign in / sign out), the header and
// the hash router that mounts one view at a time.

import { loadSession, session, signIn, signOut } from './api.js';
import { h, link } from './dom.js';
import { ViewContext, clearErrors, errorText, setError } from './ui.js';
import { functionView } from './views-function.js';
import { layersView } from './views-layers.js';
import { newFunctionView } from './views-new-function.js';
import { serviceView, servicesView } from './views-services.js';
import { watchView } from './views-watch.js';

const $ = (id) => document.getElementById(id);

/** Hash routes: a pattern over the encoded path and the view it mounts. */
const ROUTES = [
  [/^\/services$/, servicesView],
  [/^\/services\/([^/]+)$/, serviceView],
  [/^\/services\/([^/]+)\/new-function$/, newFunctionView],
  [/^\/services\/([^/]+)\/functions\/([^/]+)$/, functionView],
  [/^\/layers$/, layersView],
  [/^\/watch$/, watchView],
];

let current = null;

/** Decodes one route segment (a bad escape is kept as typed). */
function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Mounts the view of location.hash (after stopping the previous one). */
function route() {
  if (!session.current) return;
  if (current) current.dispose();
  clearErrors();
  const ctx = new ViewContext();
  current = ctx;
  const root = $('view');
  root.replaceChildren();
  const path = (location.hash || '').replace(/^#/, '') || '/services';
  if (path === '/' || path === '') {
    location.replace('#/services');
    return;
  }
  markNav(path);
  for (const [pattern, view] of ROUTES) {
    const m = pattern.exec(path);
    if (m) {
      try {
        view(ctx, root, ...m.slice(1).map(decode));
      } catch (err) {
        setError('view', err);
      }
      focusHeading(root);
      return;
    }
  }
  document.title = 'Not found · wasm-fc console';
  root.append(h('h1', { tabindex: '-1', text: 'Page not found' }), h('p', {}, 'Go to ', link('Services', 'services'), '.'));
}

/** aria-current on the nav link of the current section. */
function markNav(path) {
  const section = path.split('/')[1] || 'services';
  for (const a of document.querySelectorAll('.mainnav a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

/** Moves focus to the new view's heading (for keyboard and screen-reader users). */
function focusHeading(root) {
  const heading = root.querySelector('h1');
  if (heading && document.activeElement && !root.contains(document.activeElement)) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

/** Shows the signed-in app for a session. */
function showApp(s) {
  session.current = s;
  $('boot').hidden = true;
  $('signin').hidden = true;
  $('whoami').textContent = s.accessKeyId;
  $('topbar').hidden = false;
  $('app').hidden = false;
  route();
}

/** Shows the sign-in form (ends any view); `err` goes to #signin-error. */
function showSignIn(err) {
  session.current = null;
  if (current) current.dispose();
  current = null;
  clearErrors();
  $('view').replaceChildren();
  $('boot').hidden = true;
  $('topbar').hidden = true;
  $('app').hidden = true;
  $('whoami').textContent = '';
  $('signin').hidden = false;
  const slot = $('signin-error');
  slot.textContent = err ? errorText(err) : '';
  slot.hidden = !err;
  document.title = 'Sign in · wasm-fc console';
  $('access-key-id').focus();
}

/** The sign-in form: POST /console/session, then the app. */
async function onSignIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector('button[type="submit"]');
  const slot = $('signin-error');
  slot.hidden = true;
  button.disabled = true;
  try {
    const s = await signIn($('access-key-id').value.trim(), $('access-key-secret').value);
    $('access-key-secret').value = '';
    showApp(s);
  } catch (err) {
    slot.textContent = errorText(err);
    slot.hidden = false;
  } finally {
    button.disabled = false;
  }
}

/** Sign out: DELETE /console/session (with the CSRF header), then the sign-in form. */
async function onSignOut() {
  try {
    await signOut();
    showSignIn();
  } catch (err) {
    setError('signout', err);
  }
}

/** Start: GET /console/session decides between the sign-in form and the app. */
async function boot() {
  session.onUnauthorized = (err) => showSignIn(err);
  window.addEventListener('hashchange', route);
  $('signin-form').addEventListener('submit', onSignIn);
  $('signout').addEventListener('click', onSignOut);
  try {
    const s = await loadSession();
    if (s) showApp(s);
    else showSignIn();
  } catch (err) {
    showSignIn(err);
  }
}

boot();
