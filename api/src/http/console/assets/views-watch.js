// #/watch: the async queue, timers with their next fire times, event-source
// triggers (from /metrics) and the cluster's nodes; refreshed every 5 s.

import { api, ext, parsePrometheus, plainGet } from './api.js';
import { card, fillBody, fmtDate, fmtNum, h, link, td } from './dom.js';
import { clearError, setError } from './ui.js';

/** The watch page. */
export function watchView(ctx, root) {
  document.title = 'Watch · wasm-fc console';
  const stats = statsSection();
  const timers = tableSection('timers-table', 'Timers', ['Trigger', 'Qualifier', 'Schedule', 'Enabled', 'Next fire times'], 'No timers yet');
  const sources = tableSection('event-sources-table', 'Event-source triggers',
    ['Trigger', 'Connected', 'Seen', 'Delivered', 'Failed', 'Dead-lettered', 'Dropped', 'Mean lag'], 'No event-source triggers yet');
  const nodes = tableSection('nodes-table', 'Nodes', ['Node', 'Address', 'Version', 'Started', 'Last heartbeat', 'Load (1 min)', 'In flight', 'Async held'], 'No nodes');

  root.append(
    h('div', { class: 'page-head' }, h('h1', { text: 'Watch' }), h('p', { class: 'muted', text: 'Refreshed every 5 seconds.' })),
    stats.el,
    card('Timers', { id: 'timers-card' }, timers.el),
    card('Event sources', { id: 'event-sources-card' }, sources.el),
    card('Nodes', { id: 'nodes-card' }, nodes.el),
  );

  const refresh = () => Promise.all([
    loadStats(ctx, stats),
    loadTimers(ctx, timers),
    loadEventSources(ctx, sources),
    loadNodes(ctx, nodes),
  ]);
  ctx.poll(5000, refresh).start();
}

/** A table with a fixed head whose body is refilled. */
function tableSection(id, caption, labels, empty) {
  const body = h('tbody', {});
  fillBody(body, labels.length, [], 'Loading…');
  const el = h('div', { class: 'table-wrap' }, h('table', { id },
    h('caption', { class: 'sr-only', text: caption }),
    h('thead', {}, h('tr', {}, labels.map((l) => h('th', { scope: 'col', text: l })))), body));
  return { el, fill: (rows) => fillBody(body, labels.length, rows, empty) };
}

// ------------------------------------------------------------------ stats

/** The figures of /_wasm-fc/stats, #queue-depth first. */
function statsSection() {
  const figures = {
    asyncQueueDepth: ['Async queue depth', 'queue-depth'],
    liveInstances: ['Live instances'],
    coldStarts: ['Cold starts'],
    warmHits: ['Warm hits'],
    throttled: ['Throttled'],
    timerFires: ['Timer fires'],
    timerLagP99Ms: ['Timer lag p99 (ms)'],
  };
  const values = {};
  const tiles = Object.entries(figures).map(([key, [label, id]]) => {
    values[key] = h('span', { class: 'stat-value', id, text: '…' });
    return h('div', { class: 'stat' }, h('span', { class: 'stat-label', text: label }), values[key]);
  });
  return { el: h('section', { class: 'stats', 'aria-label': 'Platform figures' }, tiles), values };
}

async function loadStats(ctx, stats) {
  try {
    const s = await plainGet('/_wasm-fc/stats');
    if (!ctx.alive) return;
    clearError('stats');
    for (const [key, el] of Object.entries(stats.values)) {
      el.textContent = typeof s[key] === 'number' ? fmtNum(s[key]) : '—';
    }
  } catch (err) {
    if (ctx.alive) setError('stats', err);
  }
}

// ------------------------------------------------------------------ timers

/** #timers-table: one row per timer, tr[data-trigger="s/f/t"], cells .cron and .next-fire. */
async function loadTimers(ctx, section) {
  try {
    const answer = await api('GET', ext('timers'));
    if (!ctx.alive) return;
    clearError('timers');
    const rows = ((answer && answer.timers) || []).map((t) =>
      h('tr', { 'data-trigger': `${t.serviceName}/${t.functionName}/${t.triggerName}` },
        td([link(`${t.serviceName}/${t.functionName}`, 'services', t.serviceName, 'functions', t.functionName), ` / ${t.triggerName}`]),
        td(t.qualifier),
        td(t.cronExpression, { class: 'cron mono' }),
        td(t.enable === false ? 'No' : 'Yes'),
        td((t.nextFireTimes || []).map(fmtDate).join('\n'), { class: 'next-fire multiline' })),
    );
    section.fill(rows);
  } catch (err) {
    if (ctx.alive) setError('timers', err);
  }
}

// ------------------------------------------------------------------ event sources

/** Per trigger: outcome counts, mean lag and connected, from /metrics. */
export function eventSourceFigures(samples) {
  const byTrigger = new Map();
  const get = (trigger) => {
    if (!byTrigger.has(trigger)) byTrigger.set(trigger, { trigger, outcomes: {}, lagSum: 0, lagCount: 0, connected: null });
    return byTrigger.get(trigger);
  };
  for (const s of samples) {
    const trigger = s.labels.trigger;
    if (!trigger || !s.name.startsWith('wasm_fc_event_source_')) continue;
    const row = get(trigger);
    if (s.name === 'wasm_fc_event_source_events_total') row.outcomes[s.labels.outcome] = (row.outcomes[s.labels.outcome] || 0) + s.value;
    else if (s.name === 'wasm_fc_event_source_delivery_lag_seconds_sum') row.lagSum += s.value;
    else if (s.name === 'wasm_fc_event_source_delivery_lag_seconds_count') row.lagCount += s.value;
    else if (s.name === 'wasm_fc_event_source_connected') row.connected = s.value;
  }
  return [...byTrigger.values()].sort((a, b) => a.trigger.localeCompare(b.trigger));
}

/** A lag in seconds as text (ms under a second). */
function fmtLag(seconds) {
  if (!Number.isFinite(seconds)) return '—';
  return seconds < 1 ? `${fmtNum(seconds * 1000, 1)} ms` : `${fmtNum(seconds, 2)} s`;
}

/** #event-sources-table: tr[data-trigger], cells .lag, .delivered, .failed, .dead-lettered. */
async function loadEventSources(ctx, section) {
  try {
    const text = await plainGet('/metrics', { json: false });
    if (!ctx.alive) return;
    clearError('event-sources');
    const rows = eventSourceFigures(parsePrometheus(text)).map((r) => {
      const n = (outcome) => fmtNum(r.outcomes[outcome] || 0, 0);
      const connected = r.connected === null ? '—' : r.connected > 0 ? 'Yes' : 'No';
      return h('tr', { 'data-trigger': r.trigger },
        td(r.trigger, { class: 'mono' }), td(connected, { class: 'connected' }),
        td(n('seen'), { class: 'seen num' }), td(n('delivered'), { class: 'delivered num' }),
        td(n('failed'), { class: 'failed num' }), td(n('dead_lettered'), { class: 'dead-lettered num' }),
        td(n('dropped'), { class: 'dropped num' }),
        td(r.lagCount > 0 ? fmtLag(r.lagSum / r.lagCount) : '—', { class: 'lag num' }));
    });
    section.fill(rows);
  } catch (err) {
    if (ctx.alive) setError('event-sources', err);
  }
}

// ------------------------------------------------------------------ nodes

/** #nodes-table: tr[data-node] per live node. */
async function loadNodes(ctx, section) {
  try {
    const answer = await plainGet('/_wasm-fc/nodes');
    if (!ctx.alive) return;
    clearError('nodes');
    const self = answer && answer.self;
    const rows = ((answer && answer.nodes) || []).map((n) =>
      h('tr', { 'data-node': n.nodeId },
        td(`${n.nodeId}${n.nodeId === self ? ' (this node)' : ''}`, { class: 'mono' }),
        td(n.address), td(n.version), td(fmtDate(n.startedTime)), td(fmtDate(n.lastHeartbeatTime)),
        td(typeof n.load1 === 'number' ? fmtNum(n.load1) : '—'), td(n.inFlight), td(n.asyncHeld)));
    section.fill(rows);
  } catch (err) {
    if (ctx.alive) setError('nodes', err);
  }
}
