// #/services/<s>/new-function: create a function from a .zip, a single .wasm
// (zipped as index.wasm) or an in-page Python / Node.js template.

import { api, fc } from './api.js';
import { codeFileBase64, zipBase64 } from './code.js';
import { card, errorSlot, field, h, link, parseEnv, routeHash, setSlot } from './dom.js';
import { busy, clearError, errorText, notify, setError } from './ui.js';

const PYTHON_TEMPLATE = `# An event function: \`event\` is the payload (bytes), the return value is the result.
import json


def handler(event, context):
    text = event.decode("utf-8", "replace") if isinstance(event, (bytes, bytearray)) else str(event)
    print("received event: " + text)
    return json.dumps({"message": "hello from Python", "eventBytes": len(text)})
`;

const NODE_TEMPLATE = `// An event function: \`event\` is the payload (a Buffer); pass the result to callback.
exports.handler = (event, context, callback) => {
  const text = event.toString();
  console.log('received event: ' + text);
  callback(null, JSON.stringify({ message: 'hello from Node.js', eventBytes: text.length }));
};
`;

/** What each code source sets: runtime, handler, and the template file. */
const SOURCES = {
  zip: { label: 'Upload a .zip', runtime: 'custom', accept: '.zip,application/zip' },
  wasm: { label: 'Upload a single .wasm (zipped as index.wasm)', runtime: 'custom', accept: '.wasm,application/wasm' },
  python: { label: 'Python template (index.py)', runtime: 'python3.10', file: 'index.py', template: PYTHON_TEMPLATE },
  nodejs: { label: 'Node.js template (index.js)', runtime: 'nodejs18', file: 'index.js', template: NODE_TEMPLATE },
};

const RUNTIMES = ['custom', 'custom.debian10', 'custom.debian11', 'custom.debian12', 'python3.10', 'python3.12', 'python3.9', 'nodejs18', 'nodejs20', 'nodejs16'];

/** The create-function form; on success, the function's page. */
export function newFunctionView(ctx, root, service) {
  document.title = `New function · ${service} · wasm-fc console`;
  const f = formControls();
  const form = h('form', { id: 'create-function-form', class: 'form' },
    h('div', { class: 'grid grid-2 tight' },
      h('div', {},
        field('Function name', f.name),
        field('Description', f.description),
        field('Code', f.source),
        h('div', { id: 'code-file-field' }, field('Code file', f.file, { hint: 'A .zip is uploaded as is; a .wasm is zipped as index.wasm.' })),
        field('Runtime', f.runtime), f.runtimes,
        field('Handler', f.handler),
        h('div', { class: 'grid grid-2 tight' }, field('Memory (MB)', f.memory), field('Timeout (s)', f.timeout)),
        field('Initializer', f.initializer, { hint: 'Optional, e.g. index.initializer.' })),
      h('div', {},
        h('div', { id: 'code-editor-field' }, field('Code editor', f.editor)),
        field('Environment variables', f.env, { hint: 'One KEY=VALUE per line.', error: f.envError }))),
    f.formError,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn', text: 'Create function' }),
      h('a', { href: routeHash('services', service), class: 'btn btn-secondary', text: 'Cancel' })));

  f.source.addEventListener('change', () => applySource(form, f));
  applySource(form, f);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(ctx, service, form, f);
  });

  root.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('Services', 'services'), ' / ', link(service, 'services', service), ' / '),
    h('div', { class: 'page-head' }, h('h1', { text: 'New function' })),
    card(`Create a function in ${service}`, { id: 'create-function-card' }, form),
  );
}

/** The form's controls. */
function formControls() {
  const source = h('select', { id: 'code-source' }, Object.entries(SOURCES).map(([value, s]) => h('option', { value, text: s.label })));
  return {
    name: h('input', { id: 'function-name', type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' }),
    description: h('input', { id: 'function-description', type: 'text', autocomplete: 'off' }),
    source,
    file: h('input', { id: 'code-file', type: 'file' }),
    editor: h('textarea', { id: 'code-editor', class: 'code', rows: '16', spellcheck: 'false', autocapitalize: 'off' }),
    runtime: h('input', { id: 'runtime', type: 'text', required: true, list: 'runtime-options', autocomplete: 'off', spellcheck: 'false' }),
    runtimes: h('datalist', { id: 'runtime-options' }, RUNTIMES.map((r) => h('option', { value: r }))),
    handler: h('input', { id: 'handler', type: 'text', required: true, value: 'index.handler', autocomplete: 'off', spellcheck: 'false' }),
    memory: h('input', { id: 'memory-size', type: 'number', min: '1', step: '1', value: '128' }),
    timeout: h('input', { id: 'timeout', type: 'number', min: '1', step: '1', value: '30' }),
    env: h('textarea', { id: 'env', class: 'code', rows: '4', spellcheck: 'false', placeholder: 'GREETING=hello' }),
    envError: errorSlot('env-error'),
    initializer: h('input', { id: 'initializer', type: 'text', autocomplete: 'off', spellcheck: 'false' }),
    formError: errorSlot('create-function-error'),
  };
}

/** Shows the file input or the editor for the chosen source, with its runtime and handler. */
function applySource(form, f) {
  const source = SOURCES[f.source.value];
  const isTemplate = Boolean(source.template);
  form.querySelector('#code-file-field').hidden = isTemplate;
  form.querySelector('#code-editor-field').hidden = !isTemplate;
  if (isTemplate) f.editor.value = source.template;
  else f.file.setAttribute('accept', source.accept);
  f.runtime.value = source.runtime;
  f.handler.value = 'index.handler';
}

/** The base64 zip of the chosen code. */
async function codeZip(f) {
  const source = SOURCES[f.source.value];
  if (source.template) return zipBase64([{ name: source.file, data: f.editor.value }]);
  // A single .wasm (or a .wasm picked under "zip") is zipped as index.wasm.
  return codeFileBase64(f.file.files && f.file.files[0], { asWasm: f.source.value === 'wasm' });
}

/** POST the function; go to its page. */
async function submit(ctx, service, form, f) {
  setSlot(f.formError, '');
  setSlot(f.envError, '');
  let environmentVariables;
  try {
    environmentVariables = parseEnv(f.env.value);
  } catch (err) {
    setSlot(f.envError, err.message);
    f.env.focus();
    return;
  }
  await busy(form, 'Creating…', async () => {
    try {
      const functionName = f.name.value.trim();
      const body = {
        functionName,
        runtime: f.runtime.value.trim(),
        handler: f.handler.value.trim(),
        memorySize: Number(f.memory.value),
        timeout: Number(f.timeout.value),
        environmentVariables,
        code: { zipFile: await codeZip(f) },
      };
      if (f.description.value) body.description = f.description.value;
      if (f.initializer.value.trim()) body.initializer = f.initializer.value.trim();
      await api('POST', fc('services', service, 'functions'), { body });
      if (!ctx.alive) return;
      clearError('create-function');
      notify(`Function ${functionName} created`);
      location.hash = routeHash('services', service, 'functions', functionName);
    } catch (err) {
      if (!ctx.alive) return;
      setSlot(f.formError, errorText(err));
      if (err.code) setError('create-function', err);
    }
  });
}
