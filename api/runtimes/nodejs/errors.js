// Failures as FC reports them: errorType, errorMessage and a stackTrace of
// strings. `callback(err)` is a HandledInvocationError; anything thrown, or a
// rejected promise, is an UnhandledInvocationError.

import { logger } from './console.js';

/** SpiderMonkey's `fn@file:line:col` frames in V8's `at fn (file:line:col)` form. */
function frames(error) {
  const stack = error && typeof error.stack === 'string' ? error.stack : '';
  return stack
    .split('\n')
    .filter((frame) => frame && !frame.includes('/wasm-fc-runtime/'))
    .map((frame) => {
      const at = frame.lastIndexOf('@');
      if (at < 0) return frame;
      const name = frame.slice(0, at) || '<anonymous>';
      return `    at ${name} (${frame.slice(at + 1)})`;
    })
    .map((text) => ({ tag: 'text', val: text }));
}

export function report(error, handled) {
  const isError = error instanceof Error;
  const message = isError ? error.message : typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
  const type = isError ? error.name || 'Error' : 'Error';
  if (!handled) logger.error(`${type}: ${message}`);
  return {
    handled,
    errorType: type,
    errorMessage: message,
    stackTrace: frames(error),
  };
}
