// The function page's Code card (#code): replace the function's code with a
// .zip or a .wasm (#code-upload-form), and, for Python and Node.js functions,
// edit the handler's file in the page (#code-edit-form). Both send
// UpdateFunction with only `code`.

import { api, fc, sameOriginUrl } from './api.js';
import { codeFileBase64, zipBase64 } from './code.js';
import { card, errorSlot, field, h, setSlot } from './dom.js';
import { busy, clearError, errorText, notify, setError } from './ui.js';
import { readZip } from './zip.js';

/** The file extensions of the handler's module, for runtimes whose code the page can edit. */
function extensionsOf(runtime) {
  const r = (runtime || '').toLowerCase();
  if (r.startsWith('python')) return ['.py'];
  if (r.startsWith('nodejs')) return ['.js', '.mjs', '.cjs'];
  return [];
}

/**
 * The files that may hold the handler's module, most likely first: handler
 * `mod.func` → mod.py / mod.js (index.py / index.js without a module; for
 * Python, `pkg.mod.func` may also be pkg/mod.py). Empty for other runtimes.
 */
export function handlerFiles(runtime, handler) {
  const exts = extensionsOf(runtime);
  const text = (handler || '').trim();
  const dot = text.lastIndexOf('.');
  const mod = dot > 0 ? text.slice(0, dot) : 'index';
  const names = exts.map((ext) => mod + ext);
  if (exts[0] === '.py' && mod.includes('.')) names.push(`${mod.replace(/\./g, '/')}.py`);
  return names;
}

/** What the loaded editor text belongs to: a change of it reloads the editor. */
function keyOf(f) {
  return `${f.runtime}\n${f.handler}\n${f.codeChecksum}`;
}

/**
 * The #code card. `onUpdated(fn)` gets UpdateFunction's answer after each
 * upload (the configuration card shows the new code size and checksum);
 * `render(fn)` is called with the function whenever the page (re)loads it.
 */
export function codeSection(page, onUpdated) {
  const { service, fn } = page;
  const codeError = errorSlot('code-error');

  const file = h('input', { id: 'code-upload-file', type: 'file', accept: '.zip,.wasm,application/zip,application/wasm', required: true });
  const uploadForm = h('form', { id: 'code-upload-form', class: 'form' },
    field('New code (.zip or .wasm)', file, { hint: 'A .zip is uploaded as is; a .wasm is zipped as index.wasm.' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: 'Upload code' })));

  const editor = h('textarea', { id: 'code-edit', class: 'code', rows: '16', spellcheck: 'false', autocapitalize: 'off' });
  const editorLabel = h('label', { htmlFor: 'code-edit', text: 'Handler file' });
  const message = h('p', { id: 'code-edit-message', class: 'hint', role: 'status' });
  const editForm = h('form', { id: 'code-edit-form', class: 'form', hidden: true },
    h('div', { class: 'field' }, editorLabel, editor,
      h('p', { class: 'hint', text: 'Saving zips this file back with the other files of the code unchanged.' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: 'Save code' })));
  const editPart = h('div', { id: 'code-edit-part', hidden: true }, h('h3', { text: 'Edit in the page' }), message, editForm);

  /** The zip the editor came from: its entries and the edited file's name. */
  const state = { key: null, entries: [], fileName: '', seq: 0 };

  const showMessage = (text, bad = false) => {
    message.textContent = text;
    message.className = bad ? 'field-error' : 'hint';
    message.hidden = !text;
  };

  /** PUT …/functions/<f> with the new code; the page then shows the new size and checksum. */
  const upload = async (zipFile) => {
    const saved = await api('PUT', fc('services', service, 'functions', fn), { body: { code: { zipFile } } });
    if (!page.ctx.alive) return null;
    page.fnData = saved;
    setSlot(codeError, '');
    clearError('code');
    return saved;
  };
  const failed = (err) => {
    if (!page.ctx.alive) return;
    setSlot(codeError, errorText(err));
    if (err && err.code) setError('code', err);
  };

  uploadForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    setSlot(codeError, '');
    const picked = file.files && file.files[0];
    await busy(uploadForm, 'Uploading…', async () => {
      try {
        const zipFile = await codeFileBase64(picked, { asWasm: Boolean(picked && /\.wasm$/i.test(picked.name)) });
        const saved = await upload(zipFile);
        if (!saved) return;
        file.value = '';
        notify('Code uploaded');
        onUpdated(saved);
      } catch (err) {
        failed(err);
      }
    });
  });

  editForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    setSlot(codeError, '');
    if (!state.fileName) return;
    const files = state.entries.filter((e) => e.name !== state.fileName);
    const original = state.entries.find((e) => e.name === state.fileName);
    const edited = { name: state.fileName, data: editor.value, mode: original ? original.mode : 0 };
    // The edited file keeps its place in the zip (a new one goes last).
    const index = state.entries.indexOf(original);
    if (index >= 0) files.splice(index, 0, edited);
    else files.push(edited);
    await busy(editForm, 'Saving…', async () => {
      try {
        const saved = await upload(zipBase64(files));
        if (!saved) return;
        // The editor already holds what was saved: no reload.
        state.entries = files.map((f) => (f === edited ? { ...f, data: new TextEncoder().encode(f.data) } : f));
        state.key = keyOf(saved);
        showMessage(`Editing ${state.fileName}.`);
        notify('Code saved');
        onUpdated(saved);
      } catch (err) {
        failed(err);
      }
    });
  });

  /** GET …/code, download the zip and put the handler's file in the editor. */
  const load = async (f) => {
    const seq = ++state.seq;
    const candidates = handlerFiles(f.runtime, f.handler);
    state.key = keyOf(f);
    state.fileName = '';
    state.entries = [];
    editForm.hidden = true;
    showMessage(`Loading ${candidates[0]}…`);
    let entries;
    try {
      const code = await api('GET', `${fc('services', service, 'functions', fn)}/code`);
      if (seq !== state.seq || !page.ctx.alive) return;
      const response = await fetch(sameOriginUrl(code.url), { credentials: 'same-origin' });
      if (!response.ok) throw new Error(`the download answered ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (seq !== state.seq || !page.ctx.alive) return;
      try {
        entries = await readZip(bytes);
      } catch (err) {
        throw new Error(`The code zip cannot be read: ${err.message}. Upload a new .zip or .wasm instead.`);
      }
    } catch (err) {
      if (seq !== state.seq || !page.ctx.alive) return;
      state.key = null;
      if (err && err.code) setSlot(codeError, errorText(err));
      showMessage(err && err.code ? 'The code could not be loaded.' : err.message.startsWith('The code zip') ? err.message : `The code could not be downloaded: ${err.message}.`, true);
      return;
    }
    if (seq !== state.seq || !page.ctx.alive) return;
    const entry = candidates.map((name) => entries.find((e) => e.name === name)).find(Boolean);
    let text = '';
    if (entry) {
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(entry.data);
      } catch {
        state.key = null;
        showMessage(`${entry.name} is not UTF-8 text, so it cannot be edited here. Upload a new .zip instead.`, true);
        return;
      }
    }
    state.entries = entries;
    state.fileName = entry ? entry.name : candidates[0];
    editor.value = text;
    editorLabel.textContent = `Handler file (${state.fileName})`;
    showMessage(entry ? `Editing ${state.fileName}.` : `${state.fileName} is not in the code zip: saving adds it.`);
    editForm.hidden = false;
  };

  /** Shows the editor for Python / Node.js functions, (re)loading it when the code changed. */
  const render = (f) => {
    if (!f) return;
    const editable = handlerFiles(f.runtime, f.handler).length > 0;
    editPart.hidden = !editable;
    if (!editable) {
      state.seq++;
      state.key = null;
      return;
    }
    if (state.key !== keyOf(f)) load(f);
  };

  const el = card('Code', { id: 'code' }, codeError, uploadForm, editPart);
  return { el, render };
}
