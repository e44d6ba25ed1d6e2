// #/layers: every layer with its latest version and the list of its versions.

import { api, fc, listAll } from './api.js';
import { card, fmtBytes, fmtDate, h, loading, table, td } from './dom.js';
import { clearError, setError } from './ui.js';

/** The layers table (#layers-table, one row per layer). */
export function layersView(ctx, root) {
  document.title = 'Layers · wasm-fc console';
  const holder = h('div', {}, loading('Loading layers…'));
  root.append(h('div', { class: 'page-head' }, h('h1', { text: 'Layers' })), card('All layers', { id: 'layers-card' }, holder));
  load(ctx, holder);
}

const COLUMNS = ['Name', 'Latest version', 'Description', 'Compatible runtimes', 'Code size', 'Created', 'Versions'].map((label) => ({ label }));

async function load(ctx, holder) {
  try {
    const layers = await listAll(fc('layers'), 'layers');
    if (!ctx.alive) return;
    clearError('layers');
    const rows = layers.map((l) => {
      const versions = td('…', { class: 'layer-versions' });
      loadVersions(ctx, l.layerName, versions);
      return h('tr', { 'data-name': l.layerName },
        td(l.layerName), td(l.version), td(l.description),
        td((l.compatibleRuntime || []).join(', ')),
        td(fmtBytes(l.codesize ?? l.codeSize)), td(fmtDate(l.createTime)), versions);
    });
    holder.replaceChildren(table({ id: 'layers-table', caption: 'Layers', columns: COLUMNS, rows, empty: 'No layers yet' }));
  } catch (err) {
    if (!ctx.alive) return;
    holder.replaceChildren(table({ id: 'layers-table', caption: 'Layers', columns: COLUMNS, rows: [], empty: 'Could not load the layers' }));
    setError('layers', err);
  }
}

/** Fills a cell with a layer's versions ("1 (date), 2 (date)"). */
async function loadVersions(ctx, name, cell) {
  try {
    const answer = await api('GET', `${fc('layers', name, 'versions')}?limit=100`);
    if (!ctx.alive) return;
    const versions = (answer && answer.layers) || [];
    cell.replaceChildren(versions.length
      ? h('ul', { class: 'plain' }, versions.map((v) => h('li', { text: `v${v.version}${v.description ? ` — ${v.description}` : ''} (${fmtDate(v.createTime)})` })))
      : document.createTextNode('—'));
  } catch (err) {
    if (!ctx.alive) return;
    cell.textContent = '—';
    setError(`layer-${name}`, err);
  }
}
