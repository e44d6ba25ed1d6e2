// Exercises FC's Node.js conventions; the event's "action" picks what to do.
const helper = require('./lib/helper');
const dep = require('dep');

let initialized = 0;

exports.initializer = function (context, callback) {
  initialized += 1;
  console.log('initializer ran for', context.function.name);
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  const action = JSON.parse(event.toString()).action || 'context';
  switch (action) {
    case 'context':
      console.log('console line');
      context.logger.info('logger line');
      return callback(null, {
        isBuffer: Buffer.isBuffer(event),
        requestId: context.requestId,
        credentials: context.credentials,
        function: context.function,
        service: context.service,
        region: context.region,
        accountId: context.accountId,
        helper: helper.shout('hi'),
        dep: dep.version,
        initialized,
      });
    case 'handled':
      return callback(new Error('handled failure'));
    case 'throw':
      throw new TypeError('thrown failure');
    case 'later':
      return setTimeout(() => callback(null, 'called back later'), 20);
    case 'buffer':
      return callback(null, Buffer.from('AAFyYXc=', 'base64'));
    case 'builtin':
      try {
        require('fs');
        return callback(null, 'fs loaded');
      } catch (error) {
        return callback(null, error.message);
      }
    case 'spin':
      for (;;) {}
    case 'alloc': {
      const hoard = [];
      for (;;) hoard.push(new Uint8Array(16 << 20).fill(1));
    }
    case 'net':
      return fetch(`http://127.0.0.1:${JSON.parse(event.toString()).port}/healthz`).then(
        () => callback(null, 'connected'),
        (error) => callback(null, `refused: ${error}`),
      );
    default:
      return callback(null, 'unknown action');
  }
};

exports.asyncHandler = async (event, context) => {
  const value = await new Promise((resolve) => setTimeout(() => resolve(event.toString()), 5));
  return `async ${value}`;
};
