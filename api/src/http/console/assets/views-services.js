// #/services (the list, a filter, the create form) and #/services/<s> (its
// functions, versions and aliases).

import { api, fc, listAll } from './api.js';
import { card, fillBody, field, fmtBytes, fmtDate, h, link, loading, routeHash, table, td } from './dom.js';
import { busy, clearError, notify, setError } from './ui.js';

/** A "Filter by name" input that hides the rows of `tableEl` whose data-name does not match. */
function filterInput(getTable) {
  const input = h('input', { id: 'filter', type: 'search', placeholder: 'name contains…', autocomplete: 'off', spellcheck: 'false' });
  const apply = () => applyFilter(getTable(), input.value);
  input.addEventListener('input', apply);
  return { input, apply, el: h('div', { class: 'field field-inline' }, h('label', { htmlFor: 'filter', text: 'Filter by name' }), input) };
}

/** Hides rows whose data-name does not contain `query` (case-insensitive). */
export function applyFilter(tableEl, query) {
  if (!tableEl) return;
  const q = query.trim().toLowerCase();
  for (const row of tableEl.querySelectorAll('tbody tr[data-name]')) {
    row.hidden = q !== '' && !row.dataset.name.toLowerCase().includes(q);
  }
}

// ------------------------------------------------------------------ #/services

/** The services list with a filter, and the form that creates a service. */
export function servicesView(ctx, root) {
  document.title = 'Services · wasm-fc console';
  const columns = [{ label: 'Name' }, { label: 'Description' }, { label: 'Last modified' }];
  const holder = h('div', {}, loading('Loading services…'));
  const filter = filterInput(() => root.querySelector('#services-table'));

  const load = async () => {
    try {
      const services = await listAll(fc('services'), 'services');
      if (!ctx.alive) return;
      clearError('services');
      const rows = services.map((s) =>
        h('tr', { 'data-name': s.serviceName }, td(link(s.serviceName, 'services', s.serviceName)), td(s.description), td(fmtDate(s.lastModifiedTime))),
      );
      holder.replaceChildren(table({ id: 'services-table', caption: 'Services', columns, rows, empty: 'No services yet' }));
      filter.apply();
    } catch (err) {
      if (!ctx.alive) return;
      holder.replaceChildren(table({ id: 'services-table', caption: 'Services', columns, rows: [], empty: 'Could not load the services' }));
      setError('services', err);
    }
  };

  root.append(
    h('div', { class: 'page-head' }, h('h1', { text: 'Services' })),
    h('div', { class: 'grid grid-main-side' },
      card('All services', { id: 'services-card' }, filter.el, holder),
      card('Create a service', { id: 'create-service-card' }, createServiceForm(load))),
  );
  load();
}

/** #create-service-form: POST /services, then reload the list. */
function createServiceForm(reload) {
  const name = h('input', { id: 'service-name', type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' });
  const description = h('textarea', { id: 'service-description', rows: '3' });
  const form = h('form', { id: 'create-service-form', class: 'form' },
    field('Name', name, { hint: 'Letters, digits, - and _; starts with a letter or _.' }),
    field('Description', description),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: 'Create service' })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await busy(form, 'Creating…', async () => {
      try {
        const created = await api('POST', fc('services'), { body: { serviceName: name.value.trim(), description: description.value } });
        clearError('create-service');
        notify(`Service ${created.serviceName} created`);
        form.reset();
        await reload();
      } catch (err) {
        setError('create-service', err);
      }
    });
  });
  return form;
}

// ------------------------------------------------------------------ #/services/<s>

/** A service: its functions, versions (publish) and aliases (create / move), and deletion. */
export function serviceView(ctx, root, service) {
  document.title = `${service} · wasm-fc console`;
  const description = h('p', { class: 'muted' });
  const deleteButton = h('button', { type: 'button', id: 'delete-service', class: 'btn btn-danger', text: 'Delete service' });
  deleteButton.addEventListener('click', () => deleteService(service));
  const state = { versions: [], aliases: [] };

  root.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('Services', 'services'), ' / '),
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', { text: service }), description),
      h('div', { class: 'head-actions' },
        h('a', { id: 'new-function', class: 'btn', href: routeHash('services', service, 'new-function'), text: 'New function' }),
        deleteButton)),
  );

  const functions = functionsSection(ctx, service);
  const versions = versionsSection(ctx, service, state, () => aliases.refreshVersions());
  const aliases = aliasesSection(ctx, service, state);
  root.append(functions.el, h('div', { class: 'grid grid-2' }, versions.el, aliases.el));

  api('GET', fc('services', service))
    .then((s) => {
      if (!ctx.alive) return;
      description.textContent = s.description || '';
    })
    .catch((err) => ctx.alive && setError('service', err));
  functions.load();
  versions.load().then(() => aliases.refreshVersions());
  aliases.load();
}

/**
 * #delete-service: a service that still has functions is left alone (delete them
 * first); else confirm(), delete its aliases and versions, then the service.
 */
async function deleteService(service) {
  try {
    const fns = await listAll(fc('services', service, 'functions'), 'functions');
    if (fns.length > 0) {
      setError('delete-service', new Error(`Delete the ${fns.length} function(s) of "${service}" first.`));
      return;
    }
    const aliases = await listAll(fc('services', service, 'aliases'), 'aliases');
    const versions = await listAll(fc('services', service, 'versions'), 'versions');
    const extra = aliases.length || versions.length ? ` with its ${aliases.length} alias(es) and ${versions.length} version(s)` : '';
    if (!window.confirm(`Delete service "${service}"${extra}?`)) return;
    for (const a of aliases) await api('DELETE', fc('services', service, 'aliases', a.aliasName));
    for (const v of versions) await api('DELETE', fc('services', service, 'versions', v.versionId));
    await api('DELETE', fc('services', service));
    notify(`Service ${service} deleted`);
    location.hash = '#/services';
  } catch (err) {
    setError('delete-service', err);
  }
}

/** The functions card: #filter, #functions-table, "No functions yet". */
function functionsSection(ctx, service) {
  const columns = ['Name', 'Runtime', 'Handler', 'Memory', 'Timeout', 'Code size', 'Last modified'].map((label) => ({ label }));
  const holder = h('div', {}, loading('Loading functions…'));
  const filter = filterInput(() => holder.querySelector('#functions-table'));
  const el = card('Functions', { id: 'functions-card' }, filter.el, holder);
  const load = async () => {
    try {
      const fns = await listAll(fc('services', service, 'functions'), 'functions');
      if (!ctx.alive) return;
      const rows = fns.map((f) =>
        h('tr', { 'data-name': f.functionName },
          td(link(f.functionName, 'services', service, 'functions', f.functionName)),
          td(f.runtime), td(f.handler),
          td(f.memorySize ? `${f.memorySize} MB` : ''), td(f.timeout ? `${f.timeout} s` : ''),
          td(fmtBytes(f.codeSize)), td(fmtDate(f.lastModifiedTime))),
      );
      holder.replaceChildren(table({ id: 'functions-table', caption: 'Functions', columns, rows, empty: 'No functions yet' }));
      filter.apply();
    } catch (err) {
      if (!ctx.alive) return;
      holder.replaceChildren(table({ id: 'functions-table', caption: 'Functions', columns, rows: [], empty: 'Could not load the functions' }));
      setError('functions', err);
    }
  };
  return { el, load };
}

/** The versions card: #publish-version-form and #versions-table (a Delete button per row). */
function versionsSection(ctx, service, state, onChange) {
  const columns = ['Version', 'Description', 'Created', ''].map((label) => ({ label }));
  const body = h('tbody', {});
  const tableEl = h('table', { id: 'versions-table' },
    h('caption', { class: 'sr-only', text: 'Versions' }),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c.label })))), body);
  fillBody(body, columns.length, [], 'Loading…');

  const descriptionInput = h('input', { id: 'version-description', type: 'text', autocomplete: 'off' });
  const form = h('form', { id: 'publish-version-form', class: 'form form-row' },
    field('Version description', descriptionInput),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: 'Publish version' })));

  const render = () => {
    const rows = state.versions.map((v) => {
      const del = h('button', { type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `Delete version ${v.versionId}`, text: 'Delete' });
      del.addEventListener('click', () => removeVersion(v.versionId));
      return h('tr', { 'data-version': v.versionId }, td(v.versionId), td(v.description), td(fmtDate(v.createdTime)), td(del));
    });
    fillBody(body, columns.length, rows, 'No versions yet');
  };
  const load = async () => {
    try {
      state.versions = await listAll(fc('services', service, 'versions'), 'versions');
      if (!ctx.alive) return;
      clearError('versions');
      render();
    } catch (err) {
      if (ctx.alive) setError('versions', err);
    }
  };
  const removeVersion = async (id) => {
    if (!window.confirm(`Delete version ${id} of "${service}"?`)) return;
    try {
      await api('DELETE', fc('services', service, 'versions', id));
      notify(`Version ${id} deleted`);
      await load();
      onChange();
    } catch (err) {
      setError('versions', err);
    }
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await busy(form, 'Publishing…', async () => {
      try {
        const v = await api('POST', fc('services', service, 'versions'), { body: { description: descriptionInput.value } });
        clearError('publish');
        notify(`Published version ${v.versionId}`);
        descriptionInput.value = '';
        await load();
        onChange(v.versionId);
      } catch (err) {
        setError('publish', err);
      }
    });
  });
  const el = card('Versions', { id: 'versions-card' }, form, h('div', { class: 'table-wrap' }, tableEl));
  return { el, load };
}

/** The aliases card: #alias-form (creates, or moves an existing alias with PUT) and #aliases-table. */
function aliasesSection(ctx, service, state) {
  const columns = ['Alias', 'Version', 'Description', 'Last modified', ''].map((label) => ({ label }));
  const body = h('tbody', {});
  const tableEl = h('table', { id: 'aliases-table' },
    h('caption', { class: 'sr-only', text: 'Aliases' }),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c.label })))), body);
  fillBody(body, columns.length, [], 'Loading…');

  const nameInput = h('input', { id: 'alias-name', type: 'text', required: true, autocomplete: 'off', list: 'alias-names', spellcheck: 'false' });
  const names = h('datalist', { id: 'alias-names' });
  const versionSelect = h('select', { id: 'alias-version', required: true });
  const form = h('form', { id: 'alias-form', class: 'form form-row' },
    field('Alias name', nameInput), names,
    field('Version', versionSelect),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: 'Save alias' })));

  const render = () => {
    const rows = state.aliases.map((a) => {
      const del = h('button', { type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `Delete alias ${a.aliasName}`, text: 'Delete' });
      del.addEventListener('click', () => removeAlias(a.aliasName));
      return h('tr', { 'data-name': a.aliasName },
        td(a.aliasName), td(a.versionId, { class: 'alias-version' }), td(a.description), td(fmtDate(a.lastModifiedTime)), td(del));
    });
    fillBody(body, columns.length, rows, 'No aliases yet');
    names.replaceChildren(...state.aliases.map((a) => h('option', { value: a.aliasName })));
  };
  const load = async () => {
    try {
      state.aliases = await listAll(fc('services', service, 'aliases'), 'aliases');
      if (!ctx.alive) return;
      clearError('aliases');
      render();
    } catch (err) {
      if (ctx.alive) setError('aliases', err);
    }
  };
  /** Refills the version choices (the newest first and selected). */
  const refreshVersions = () => {
    const ids = state.versions.map((v) => String(v.versionId)).sort((a, b) => Number(b) - Number(a));
    versionSelect.replaceChildren(...(ids.length ? ids.map((id) => h('option', { value: id, text: id })) : [h('option', { value: '', text: 'Publish a version first' })]));
  };
  /** POST the alias; when it exists already (made elsewhere), move it with PUT. */
  const createOrMove = async (alias, versionId) => {
    try {
      await api('POST', fc('services', service, 'aliases'), { body: { aliasName: alias, versionId } });
    } catch (err) {
      if (err.status !== 409 && !/exist/i.test(err.code || '')) throw err;
      await api('PUT', fc('services', service, 'aliases', alias), { body: { versionId } });
    }
  };
  const removeAlias = async (alias) => {
    if (!window.confirm(`Delete alias "${alias}"?`)) return;
    try {
      await api('DELETE', fc('services', service, 'aliases', alias));
      notify(`Alias ${alias} deleted`);
      await load();
    } catch (err) {
      setError('aliases', err);
    }
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const alias = nameInput.value.trim();
    const versionId = versionSelect.value;
    const exists = state.aliases.some((a) => a.aliasName === alias);
    await busy(form, 'Saving…', async () => {
      try {
        if (exists) await api('PUT', fc('services', service, 'aliases', alias), { body: { versionId } });
        else await createOrMove(alias, versionId);
        clearError('alias');
        notify(`Alias ${alias} → version ${versionId}`);
        await load();
      } catch (err) {
        setError('alias', err);
      }
    });
  });
  const el = card('Aliases', { id: 'aliases-card' }, form, h('div', { class: 'table-wrap' }, tableEl));
  return { el, load, refreshVersions };
}
