// Failures as FC reports them: errorType, errorMessage and a stackTrace of
// strings. `callback(err)` is a HandledInvocationError; anything thrown, or a
// rejected promise, is an UnhandledInvocationError.

import { logger } from './console.js';

/**
 * SpiderMonkey's `fn@file:line:col` frames in V8's `at fn (file:line:col)`
 * form, keeping only the user's frames (code and layers), not the runtime's.
 */
function frames(error) {
  const stack = error && typeof error.stack === 'string' ? error.stack : '';
  const out = [];
  for (const frame of stack.split('\n')) {
    const at = frame.lastIndexOf('@');
    const location = frame.slice(at + 1);
    if (at < 0 || !(location.startsWith('/code/') || location.startsWith('/opt/'))) continue;
    // Code loaded through `new Function` is named `anonymous/...` by SpiderMonkey.
    const name = frame.slice(0, at).replace(/^anonymous\//, '') || '<anonymous>';
    out.push({ tag: 'text', val: `    at ${name} (${location})` });
  }
  return out;
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
