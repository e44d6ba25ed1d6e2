// wasm-fc's Node.js runtime: Alibaba Function Compute's Node.js handler
// conventions on SpiderMonkey (StarlingMonkey) compiled to WebAssembly by
// componentize-js. Everything at the top level runs at build time and is in
// the pre-initialised memory image; the user's code is loaded from /code on
// the first call of each instance.

import { Buffer, resultBytes } from './buffer.js';
import { installConsole, setRequestId } from './console.js';
import { contextOf } from './context.js';
import { report } from './errors.js';
import { requestOf, responseOf } from './http.js';
import { functionOf } from './loader.js';

globalThis.Buffer = Buffer;
globalThis.global = globalThis;
globalThis.process = globalThis.process || { env: {}, version: 'v20.0.0', versions: {}, platform: 'wasi' };
installConsole();

function begin(record) {
  setRequestId(record.requestId);
  return contextOf(record);
}

/**
 * Runs `start(done)` and settles on the first of: `done(outcome)` (the
 * callback or `resp.send`), an exception, or the returned promise (when
 * `settleOnReturn`). Returns the outcome when that happens synchronously, else
 * a promise of it (componentize-js then runs the event loop until it settles).
 */
function run(start, settleOnReturn) {
  let outcome;
  let wake;
  const done = (result) => {
    if (outcome !== undefined) return;
    outcome = result;
    if (wake) wake(result);
  };
  try {
    const returned = start(done);
    if (returned && typeof returned.then === 'function') {
      returned.then(
        (value) => settleOnReturn && done({ value }),
        (error) => done({ error, handled: false }),
      );
    }
  } catch (error) {
    done({ error, handled: false });
  }
  if (outcome !== undefined) return outcome;
  return new Promise((resolve) => {
    wake = resolve;
  });
}

function conclude(outcome, toValue) {
  if (outcome.error !== undefined) throw report(outcome.error, outcome.handled);
  return toValue(outcome.value);
}

function finish(result, toValue) {
  return result instanceof Promise ? result.then((o) => conclude(o, toValue)) : conclude(result, toValue);
}

const callbackFor = (done) => (error, value) =>
  error !== undefined && error !== null ? done({ error, handled: true }) : done({ value });

export function initialize(record) {
  const context = begin(record);
  const result = run((done) => functionOf(context.function.initializer)(context, callbackFor(done)), true);
  return finish(result, () => undefined);
}

export function handle(event, record) {
  const context = begin(record);
  const result = run((done) => functionOf(context.function.handler)(Buffer.from(event), context, callbackFor(done)), true);
  return finish(result, resultBytes);
}

export function handleHttp(request, record) {
  const context = begin(record);
  const result = run((done) => functionOf(context.function.handler)(requestOf(request), responseOf(done), context), false);
  return finish(result, (response) => response);
}
