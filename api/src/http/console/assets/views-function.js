// #/services/<s>/functions/<f>: configuration (view and edit), invoke,
// triggers (with the HTTP request tool); the Code card is in
// views-function-code.js, the live log and the charts in views-function-live.js.

import { api, base64ToText, fc, sameOriginUrl, session, statusText } from './api.js';
import { card, configObject, errorSlot, field, fmtBytes, fmtDate, formatEnv, h, link, loading, parseEnv, routeHash, setSlot, table, td } from './dom.js';
import { codeSection } from './views-function-code.js';
import { chartsSection, logsSection } from './views-function-live.js';
import { busy, clearError, errorText, notify, setError } from './ui.js';

/** The function page. */
export function functionView(ctx, root, service, fn) {
  document.title = `${fn} · ${service} · wasm-fc console`;
  const page = { ctx, service, fn, fnData: null, triggers: [] };
  const deleteButton = h('button', { type: 'button', id: 'delete-function', class: 'btn btn-danger', text: 'Delete function' });
  deleteButton.addEventListener('click', () => deleteFunction(page));
  page.description = h('p', { class: 'muted' });

  root.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('Services', 'services'), ' / ', link(service, 'services', service), ' / '),
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { text: fn }), page.description), h('div', { class: 'head-actions' }, deleteButton)),
  );
  const config = configSection(page);
  const code = codeSection(page, (saved) => {
    config.refresh(saved);
    config.loadCodeLink();
  });
  // Whenever the page shows the function anew (loaded, configuration saved, code replaced).
  page.onFunction = (data) => code.render(data);
  const invoke = invokeSection(page);
  const triggers = triggersSection(page);
  const charts = chartsSection(page);
  const logs = logsSection(page);
  page.http = h('div', { id: 'http-card-holder' });
  page.afterInvoke = () => {
    logs.now();
    ctx.after(400, () => charts.now());
  };
  root.append(
    h('div', { class: 'grid grid-2' }, config.el, invoke.el),
    h('div', { class: 'grid grid-2' }, triggers.el, config.formEl),
    code.el,
    page.http,
    charts.el,
    logs.el,
  );

  api('GET', fc('services', service, 'functions', fn))
    .then((data) => {
      if (!ctx.alive) return;
      page.fnData = data;
      config.render(data);
    })
    .catch((err) => {
      if (!ctx.alive) return;
      config.failed();
      setError('function', err);
      if (err.status === 404) {
        logs.stop();
        charts.stop();
      }
    });
  config.loadCodeLink();
  // The log names the trigger type of each record, so it starts once the triggers are known.
  triggers.load().finally(() => logs.start());
  charts.start();
}

// ------------------------------------------------------------------ configuration

/** #config (what the function is) and #config-form (edit it). */
function configSection(page) {
  const { service, fn } = page;
  const body = h('div', {}, loading('Loading configuration…'));
  const download = h('a', { id: 'download-code', class: 'btn btn-secondary', text: 'Download code (.zip)' });
  const el = h('section', { class: 'card', id: 'config', 'aria-labelledby': 'config-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'config-title', text: 'Configuration' }), download), body);

  const form = configForm(page, (data) => render(data));
  /** Shows the function (description and #config; the form keeps what is typed in it). */
  const refresh = (data) => {
    page.description.textContent = data.description || '';
    body.replaceChildren(configList(data));
    if (page.onFunction) page.onFunction(data);
  };
  const render = (data) => {
    refresh(data);
    form.fill(data);
  };
  const failed = () => {
    body.replaceChildren(h('p', { class: 'empty', text: 'Could not load this function.' }));
    form.failed();
  };
  const loadCodeLink = async () => {
    try {
      const code = await api('GET', `${fc('services', service, 'functions', fn)}/code`);
      if (!page.ctx.alive) return;
      download.href = code.url;
      download.setAttribute('download', `${fn}.zip`);
    } catch (err) {
      if (page.ctx.alive) download.textContent = 'Code not available';
    }
  };
  return { el, formEl: form.el, render, refresh, failed, loadCodeLink };
}

/** The <dl> of a function's configuration, with #code-size, #code-checksum and #config-env. */
function configList(f) {
  const row = (label, value, id) => [h('dt', { text: label }), h('dd', { id, text: value === undefined || value === null || value === '' ? '—' : String(value) })];
  const env = Object.entries(f.environmentVariables || {});
  const envTable = h('table', { id: 'config-env', class: 'kv' },
    h('caption', { class: 'sr-only', text: 'Environment variables' }),
    h('tbody', {}, env.length
      ? env.map(([k, v]) => h('tr', { 'data-name': k }, h('th', { scope: 'row', class: 'mono', text: k }), h('td', { class: 'mono', text: v })))
      : h('tr', {}, h('td', { class: 'empty', text: 'No environment variables' }))));
  return h('dl', { class: 'props' },
    row('Runtime', f.runtime),
    row('Handler', f.handler),
    row('Memory', f.memorySize ? `${f.memorySize} MB` : ''),
    row('Timeout', f.timeout ? `${f.timeout} s` : ''),
    row('Code size', typeof f.codeSize === 'number' ? `${f.codeSize} bytes (${fmtBytes(f.codeSize)})` : f.codeSize, 'code-size'),
    row('Code checksum', f.codeChecksum, 'code-checksum'),
    row('Initializer', f.initializer),
    f.initializer ? row('Initialization timeout', f.initializationTimeout ? `${f.initializationTimeout} s` : '') : null,
    row('Created', fmtDate(f.createdTime)),
    row('Last modified', fmtDate(f.lastModifiedTime)),
    h('dt', { text: 'Environment' }), h('dd', {}, envTable));
}

/** Which config field an API error message names ('' = none). */
function fieldOf(message) {
  const m = (message || '').toLowerCase();
  if (/initiali[sz]/.test(m)) return 'initializer';
  if (/memory/.test(m)) return 'memory-size';
  if (/environment|\benv/.test(m)) return 'env';
  if (/handler/.test(m)) return 'handler';
  if (/timeout/.test(m)) return 'timeout';
  return '';
}

/** #config-form: PUT only the fields that changed; errors next to the field they name. */
function configForm(page, onSaved) {
  const { service, fn } = page;
  const c = {
    handler: h('input', { id: 'cfg-handler', type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' }),
    'memory-size': h('input', { id: 'cfg-memory-size', type: 'number', step: '1' }),
    timeout: h('input', { id: 'cfg-timeout', type: 'number', step: '1' }),
    env: h('textarea', { id: 'cfg-env', class: 'code', rows: '4', spellcheck: 'false', placeholder: 'KEY=VALUE' }),
    initializer: h('input', { id: 'cfg-initializer', type: 'text', autocomplete: 'off', spellcheck: 'false' }),
  };
  const slots = Object.fromEntries(Object.keys(c).map((k) => [k, errorSlot(`cfg-${k}-error`)]));
  const formError = errorSlot('config-form-error');
  const form = h('form', { id: 'config-form', class: 'form', hidden: true },
    field('Handler', c.handler, { error: slots.handler }),
    h('div', { class: 'grid grid-2 tight' },
      field('Memory (MB)', c['memory-size'], { error: slots['memory-size'] }),
      field('Timeout (s)', c.timeout, { error: slots.timeout })),
    field('Environment variables', c.env, { hint: 'One KEY=VALUE per line.', error: slots.env }),
    field('Initializer', c.initializer, { error: slots.initializer }),
    formError,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: 'Save configuration' })));
  const clearSlots = () => [...Object.values(slots), formError].forEach((s) => setSlot(s, ''));

  const fill = (f) => {
    form.hidden = false;
    waiting.remove();
    c.handler.value = f.handler || '';
    c['memory-size'].value = f.memorySize ?? '';
    c.timeout.value = f.timeout ?? '';
    c.env.value = formatEnv(f.environmentVariables);
    c.initializer.value = f.initializer || '';
  };
  /** The changed fields, or throws with the field to blame. */
  const changes = () => {
    const f = page.fnData || {};
    const out = {};
    if (c.handler.value.trim() !== (f.handler || '')) out.handler = c.handler.value.trim();
    const memory = Number(c['memory-size'].value);
    if (memory !== f.memorySize) out.memorySize = memory;
    const timeout = Number(c.timeout.value);
    if (timeout !== f.timeout) out.timeout = timeout;
    let env;
    try {
      env = parseEnv(c.env.value);
    } catch (err) {
      err.field = 'env';
      throw err;
    }
    if (JSON.stringify(sorted(env)) !== JSON.stringify(sorted(f.environmentVariables || {}))) out.environmentVariables = env;
    if (c.initializer.value.trim() !== (f.initializer || '')) out.initializer = c.initializer.value.trim();
    return out;
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearSlots();
    let body;
    try {
      body = changes();
    } catch (err) {
      setSlot(slots[err.field] || formError, err.message);
      return;
    }
    if (Object.keys(body).length === 0) {
      notify('Nothing to save: the configuration is unchanged');
      return;
    }
    await busy(form, 'Saving…', async () => {
      try {
        const saved = await api('PUT', fc('services', service, 'functions', fn), { body });
        if (!page.ctx.alive) return;
        page.fnData = saved;
        clearError('config');
        onSaved(saved);
        notify('Configuration saved');
      } catch (err) {
        if (!page.ctx.alive) return;
        setSlot(slots[fieldOf(err.errorMessage || err.message)] || formError, errorText(err));
        setError('config', err);
      }
    });
  });
  const waiting = loading('Loading configuration…');
  const el = card('Edit configuration', { id: 'config-form-card' }, waiting, form);
  return { el, fill, failed: () => (waiting.textContent = 'Could not load this function.') };
}

function sorted(obj) {
  return Object.keys(obj).sort().map((k) => [k, obj[k]]);
}

// ------------------------------------------------------------------ invoke

/** #invoke-form and its results (#invoke-status … #invoke-log). */
function invokeSection(page) {
  const payload = h('textarea', { id: 'payload', class: 'code', rows: '5', spellcheck: 'false' });
  payload.value = '{"name":"world"}';
  const type = h('select', { id: 'invocation-type' }, h('option', { value: 'Sync', text: 'Sync' }), h('option', { value: 'Async', text: 'Async' }));
  const qualifier = h('input', { id: 'qualifier', type: 'text', placeholder: 'LATEST', autocomplete: 'off', spellcheck: 'false' });
  const out = {
    status: h('dd', { id: 'invoke-status', text: '—' }),
    requestId: h('dd', { id: 'invoke-request-id', class: 'mono' }),
    duration: h('dd', { id: 'invoke-duration', text: '—' }),
    memory: h('dd', { id: 'invoke-memory', text: '—' }),
    result: h('pre', { id: 'invoke-result', class: 'output', tabindex: '0', 'aria-label': 'Result' }),
    log: h('pre', { id: 'invoke-log', class: 'output', tabindex: '0', 'aria-label': 'Log tail' }),
  };
  const form = h('form', { id: 'invoke-form', class: 'form' },
    field('Payload', payload),
    h('div', { class: 'grid grid-2 tight' }, field('Invocation type', type), field('Qualifier (version or alias)', qualifier)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: 'Invoke' })));
  const results = h('div', { class: 'invoke-results' },
    h('dl', { class: 'props props-inline' },
      h('dt', { text: 'Status' }), out.status,
      h('dt', { text: 'Request id' }), out.requestId,
      h('dt', { text: 'Duration' }), out.duration,
      h('dt', { text: 'Max memory' }), out.memory),
    h('h3', { text: 'Result' }), out.result,
    h('h3', { text: 'Log' }), out.log);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await busy(form, 'Invoking…', () => invoke(page, { payload: payload.value, type: type.value, qualifier: qualifier.value.trim() }, out));
  });
  const el = card('Invoke', { id: 'invoke-card' }, form, results);
  return { el };
}

/** POST …/invocations and shows the answer. */
async function invoke(page, { payload, type, qualifier }, out) {
  const path = `${fc('services', page.service, 'functions', page.fn, 'invocations')}${qualifier ? `?qualifier=${encodeURIComponent(qualifier)}` : ''}`;
  out.status.textContent = 'Invoking…';
  // The log tail comes with sync answers only (the API refuses Tail for async ones).
  const headers = { 'x-fc-invocation-type': type, 'Content-Type': 'application/octet-stream' };
  if (type === 'Sync') headers['x-fc-log-type'] = 'Tail';
  let response;
  try {
    response = await api('POST', path, { body: payload, headers, raw: true });
  } catch (err) {
    if (!page.ctx.alive) return;
    out.status.textContent = errorText(err);
    setError('invoke', err);
    return;
  }
  if (!page.ctx.alive) return;
  const text = await response.text();
  const header = (name) => response.headers.get(name) || '';
  const errorType = header('x-fc-error-type');
  let status = `${response.status} ${statusText(response.status)}`.trim();
  if (!response.ok) {
    let detail = text;
    try {
      const body = JSON.parse(text);
      if (body.ErrorCode) detail = `${body.ErrorCode}: ${body.ErrorMessage}`;
    } catch {
      // keep the text
    }
    status = `${status} — ${detail}`;
    setError('invoke', { message: detail });
  } else {
    clearError('invoke');
    if (errorType) status = `${status} — function error: ${errorType}`;
  }
  out.status.textContent = status;
  out.status.className = !response.ok || errorType ? 'bad' : 'good';
  out.duration.textContent = header('x-fc-invocation-duration') ? `${header('x-fc-invocation-duration')} ms` : '—';
  out.memory.textContent = header('x-fc-max-memory-usage') ? `${header('x-fc-max-memory-usage')} MB` : '—';
  out.result.textContent = pretty(text) || (response.status === 202 ? '(accepted: the result goes to the live log below)' : '');
  const logResult = header('x-fc-log-result');
  out.log.textContent = logResult ? base64ToText(logResult) : '';
  out.requestId.textContent = header('x-fc-request-id');
  page.afterInvoke();
}

/** JSON laid out one member per line (`"key":value`, as compact as the wire); anything else as is. */
function pretty(text) {
  if (!text) return '';
  try {
    return layout(JSON.parse(text), '');
  } catch {
    return text;
  }
}

function layout(value, indent) {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + layout(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}:${layout(value[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

// ------------------------------------------------------------------ triggers

const TRIGGER_TYPES = ['timer', 'http', 'oss', 'log', 'eventbridge'];

/** The config template of a trigger type (and its source ARN, for oss/log). */
function triggerTemplate(type, sessionInfo) {
  const region = (sessionInfo && sessionInfo.region) || 'local';
  const account = (sessionInfo && sessionInfo.accountId) || '1234567890123456';
  switch (type) {
    case 'timer':
      return { config: { cronExpression: '@every 1m', enable: true, payload: '' } };
    case 'http':
      return { config: { authType: 'anonymous', methods: ['GET', 'POST'] } };
    case 'oss':
      return { config: { events: ['oss:ObjectCreated:*'], filter: { key: { prefix: '', suffix: '' } } }, sourceArn: `acs:oss:${region}:${account}:bucket` };
    case 'log':
      return {
        config: {
          sourceConfig: { logstore: 'app-logs' },
          jobConfig: { maxRetryTime: 3, triggerInterval: 60 },
          functionParameter: {},
          logConfig: { project: 'my-project', logstore: 'trigger-logs' },
          enable: true,
        },
        sourceArn: `acs:log:${region}:${account}:project/my-project`,
      };
    default:
      return {
        config: {
          triggerEnable: true,
          asyncInvocationType: false,
          eventSourceConfig: {
            eventSourceType: 'RabbitMQ',
            eventSourceParameters: { sourceRabbitMQParameters: { InstanceId: 'local', VirtualHostName: '/', QueueName: 'orders' } },
          },
          runOptions: { mode: 'event-streaming', batchWindow: { CountBasedWindow: 10, TimeBasedWindow: 2 }, errorsTolerance: 'ALL' },
          eventSinkConfig: { deliveryOption: { mode: 'event-driven', eventSchema: 'CloudEvents' } },
        },
      };
  }
}

/** A one-line summary of a trigger's config. */
function triggerSummary(t) {
  const c = configObject(t.triggerConfig);
  if (t.triggerType === 'timer') return `${c.cronExpression || ''}${c.enable === false ? ' (disabled)' : ''}`;
  if (t.triggerType === 'http') return `${c.authType || ''} ${(c.methods || []).join(', ')}`;
  const text = JSON.stringify(c);
  return text.length > 90 ? `${text.slice(0, 90)}…` : text;
}

/** #triggers-table (a Delete button per row) and #trigger-form. */
function triggersSection(page) {
  const { service, fn } = page;
  const columns = ['Name', 'Type', 'Qualifier', 'Config', ''].map((label) => ({ label }));
  const holder = h('div', {}, loading('Loading triggers…'));
  const load = async () => {
    try {
      const list = await api('GET', `${fc('services', service, 'functions', fn, 'triggers')}?limit=100`);
      if (!page.ctx.alive) return;
      page.triggers = (list && list.triggers) || [];
      clearError('triggers');
      const rows = page.triggers.map((t) => {
        const del = h('button', { type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `Delete trigger ${t.triggerName}`, text: 'Delete' });
        del.addEventListener('click', () => removeTrigger(t.triggerName));
        return h('tr', { 'data-name': t.triggerName },
          td(t.triggerName), td(t.triggerType), td(t.qualifier || 'LATEST'), td(triggerSummary(t), { class: 'mono small' }), td(del));
      });
      holder.replaceChildren(table({ id: 'triggers-table', caption: 'Triggers', columns, rows, empty: 'No triggers yet' }));
      renderHttp(page);
    } catch (err) {
      if (page.ctx.alive) setError('triggers', err);
    }
  };
  const removeTrigger = async (name) => {
    if (!window.confirm(`Delete trigger "${name}"?`)) return;
    try {
      await api('DELETE', fc('services', service, 'functions', fn, 'triggers', name));
      notify(`Trigger ${name} deleted`);
      await load();
    } catch (err) {
      setError('triggers', err);
    }
  };
  const el = card('Triggers', { id: 'triggers-card' }, holder, triggerForm(page, load));
  return { el, load };
}

/** #trigger-form: the type fills #trigger-config with its template; errors in #trigger-config-error. */
function triggerForm(page, reload) {
  const { service, fn } = page;
  const name = h('input', { id: 'trigger-name', type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' });
  const type = h('select', { id: 'trigger-type' }, TRIGGER_TYPES.map((t) => h('option', { value: t, text: t })));
  const config = h('textarea', { id: 'trigger-config', class: 'code', rows: '7', spellcheck: 'false' });
  const sourceArn = h('input', { id: 'trigger-source-arn', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const qualifier = h('input', { id: 'trigger-qualifier', type: 'text', placeholder: 'LATEST', autocomplete: 'off', spellcheck: 'false' });
  const configError = errorSlot('trigger-config-error');
  const arnField = field('Source ARN', sourceArn);
  const form = h('form', { id: 'trigger-form', class: 'form' },
    h('h3', { text: 'Add a trigger' }),
    h('div', { class: 'grid grid-3 tight' }, field('Trigger name', name), field('Type', type), field('Qualifier', qualifier)),
    arnField,
    field('Config (JSON)', config, { error: configError }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: 'Add trigger' })));
  const fillTemplate = () => {
    const t = triggerTemplate(type.value, session.current);
    config.value = JSON.stringify(t.config, null, 2);
    arnField.hidden = !t.sourceArn;
    sourceArn.value = t.sourceArn || '';
  };
  type.addEventListener('change', fillTemplate);
  fillTemplate();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    setSlot(configError, '');
    let triggerConfig;
    try {
      triggerConfig = JSON.parse(config.value);
    } catch (err) {
      setSlot(configError, `The config is not JSON: ${err.message}`);
      return;
    }
    const body = { triggerName: name.value.trim(), triggerType: type.value, triggerConfig };
    if (qualifier.value.trim()) body.qualifier = qualifier.value.trim();
    if (!arnField.hidden && sourceArn.value.trim()) body.sourceArn = sourceArn.value.trim();
    await busy(form, 'Adding…', async () => {
      try {
        await api('POST', fc('services', service, 'functions', fn, 'triggers'), { body });
        if (!page.ctx.alive) return;
        clearError('add-trigger');
        notify(`Trigger ${body.triggerName} added`);
        name.value = '';
        await reload();
      } catch (err) {
        if (!page.ctx.alive) return;
        setSlot(configError, errorText(err));
        setError('add-trigger', err);
      }
    });
  });
  return form;
}

/** The HTTP trigger card: #http-url and #http-request-form (for the first HTTP trigger). */
function renderHttp(page) {
  const t = page.triggers.find((x) => x.triggerType === 'http');
  if (!t) {
    page.http.replaceChildren();
    return;
  }
  const c = configObject(t.triggerConfig);
  const url = t.urlInternet || `${location.origin}/2016-08-15/proxy/${encodeURIComponent(page.service)}.${encodeURIComponent(t.qualifier || 'LATEST')}/${encodeURIComponent(page.fn)}/`;
  const method = h('select', { id: 'http-method' }, ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => h('option', { value: m, text: m })));
  const path = h('input', { id: 'http-path', type: 'text', value: '/', autocomplete: 'off', spellcheck: 'false' });
  const body = h('textarea', { id: 'http-body', class: 'code', rows: '3', spellcheck: 'false' });
  const response = h('pre', { id: 'http-response', class: 'output', tabindex: '0', 'aria-label': 'Response' });
  const form = h('form', { id: 'http-request-form', class: 'form' },
    h('div', { class: 'grid grid-http tight' }, field('Method', method), field('Path and query', path)),
    field('Body', body),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: 'Send request' })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(form, 'Sending…', () => sendHttp(url, method.value, path.value, body.value, response));
  });
  const note = c.authType === 'function'
    ? h('p', { class: 'hint', text: 'This trigger wants signed requests (authType function); the request tool sends none.' })
    : null;
  page.http.replaceChildren(card(`HTTP trigger ${t.triggerName}`, { id: 'http-card' },
    h('p', {}, 'URL: ', h('code', { id: 'http-url', text: url })),
    h('p', { class: 'muted', text: `Auth: ${c.authType || '—'} · Methods: ${(c.methods || []).join(', ') || '—'}` }),
    note, form, h('h3', { text: 'Response' }), response));
}

/** Sends one request to the HTTP trigger (same origin only, as the CSP requires) and shows the answer. */
async function sendHttp(baseUrl, method, path, body, out) {
  const target = sameOriginUrl(baseUrl.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`));
  out.textContent = 'Sending…';
  try {
    const init = { method, credentials: 'omit' };
    if (method !== 'GET' && method !== 'HEAD') init.body = body;
    const r = await fetch(target, init);
    const text = await r.text();
    const headers = [...r.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
    out.textContent = `${r.status} ${statusText(r.status)}\n${headers}\n\n${text}`;
  } catch (err) {
    out.textContent = `NetworkError: ${err.message}`;
  }
}

// ------------------------------------------------------------------ delete

/** #delete-function: confirm(), delete its triggers, then the function; back to the service. */
async function deleteFunction(page) {
  const { service, fn } = page;
  if (!window.confirm(`Delete function "${fn}" and its triggers?`)) return;
  try {
    const list = await api('GET', `${fc('services', service, 'functions', fn, 'triggers')}?limit=100`);
    for (const t of (list && list.triggers) || []) {
      await api('DELETE', fc('services', service, 'functions', fn, 'triggers', t.triggerName));
    }
    await api('DELETE', fc('services', service, 'functions', fn));
    notify(`Function ${fn} deleted`);
    location.hash = routeHash('services', service);
  } catch (err) {
    setError('delete-function', err);
  }
}
