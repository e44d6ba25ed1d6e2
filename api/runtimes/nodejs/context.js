// FC's Node.js `context` object, built from the WIT record.

import { logger } from './console.js';

export function contextOf(record) {
  const f = record.function;
  const s = record.service;
  const c = record.credentials;
  return {
    requestId: record.requestId,
    credentials: {
      accessKeyId: c.accessKeyId,
      accessKeySecret: c.accessKeySecret,
      securityToken: c.securityToken,
    },
    function: {
      name: f.name,
      handler: f.handler,
      memory: f.memorySize,
      timeout: f.timeout,
      initializer: f.initializer,
    },
    service: {
      name: s.name,
      logProject: s.logProject,
      logStore: s.logStore,
      qualifier: s.qualifier,
      versionId: s.versionId,
    },
    region: record.region,
    accountId: record.accountId,
    instanceId: record.instanceId,
    logger,
    // FC never waits for the event loop after the callback; kept for compatibility.
    callbackWaitsForEmptyEventLoop: false,
  };
}
