// The function page's live parts: the log (#logs, follow mode polls every
// second) and the charts of the last hour (#charts, every 10 s).

import { api, ext } from './api.js';
import { barChart, lineChart } from './chart.js';
import { card, fmtDate, fmtNum, h, loading } from './dom.js';
import { clearError, setError } from './ui.js';

/** Newest log records kept in the page. */
const MAX_RECORDS = 500;
/** Follow mode re-reads this much before the newest record seen (records reach the file a little late). */
const LOG_OVERLAP_MS = 3000;

// ------------------------------------------------------------------ logs

/** #logs: the live log (one .log-record per invocation) and #follow-logs (polls every 1 s). */
export function logsSection(page) {
  const { service, fn, ctx } = page;
  const follow = h('input', { id: 'follow-logs', type: 'checkbox', checked: true });
  const list = h('div', { id: 'logs', class: 'logs', role: 'log', 'aria-label': 'Live log', tabindex: '0' }, h('p', { class: 'empty', text: 'Loading the log…' }));
  const clearButton = h('button', { type: 'button', class: 'btn btn-small btn-secondary', text: 'Clear' });
  const seen = new Set();
  let newest = 0;
  let loaded = false;

  const poll = async () => {
    const since = newest ? `&since=${newest - LOG_OVERLAP_MS}` : '';
    try {
      const answer = await api('GET', `${ext('logs', service, fn)}?limit=${MAX_RECORDS}${since}`);
      if (!ctx.alive) return;
      clearError('logs');
      addRecords(answer && answer.records ? answer.records : []);
    } catch (err) {
      if (ctx.alive) setError('logs', err);
    }
  };
  const addRecords = (records) => {
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    if (!loaded) {
      list.replaceChildren();
      loaded = true;
    }
    for (const r of records) {
      const key = `${r.requestId}|${r.timeMs}`;
      if (seen.has(key)) continue;
      seen.add(key);
      newest = Math.max(newest, r.timeMs || 0);
      list.append(logRecord(r, triggerLabel(page, r.trigger)));
    }
    const all = list.querySelectorAll('.log-record');
    for (let i = 0; i < all.length - MAX_RECORDS; i++) all[i].remove();
    if (!list.querySelector('.log-record')) {
      if (!list.querySelector('.empty')) list.append(h('p', { class: 'empty', text: 'No invocations yet' }));
    } else {
      const empty = list.querySelector('.empty');
      if (empty) empty.remove();
    }
    if (atBottom) list.scrollTop = list.scrollHeight;
  };
  const poller = ctx.poll(1000, poll);
  follow.addEventListener('change', () => (follow.checked ? poller.start() : poller.stop()));
  clearButton.addEventListener('click', () => {
    list.replaceChildren(h('p', { class: 'empty', text: 'No invocations yet' }));
  });
  const actions = h('div', { class: 'head-actions' },
    h('label', { class: 'check', htmlFor: 'follow-logs' }, follow, ' Follow'), clearButton);
  const el = card('Live log', { id: 'logs-card', actions }, list);
  return {
    el,
    start: () => follow.checked && poller.start(),
    stop: () => {
      poller.stop();
      follow.checked = false;
    },
    now: () => (follow.checked ? poller.now() : poll()),
  };
}

/** How a record was started: "invoke", "async invoke" or "<type> trigger <name>". */
function triggerLabel(page, trigger) {
  if (!trigger || trigger === 'invoke') return 'invoke';
  if (trigger === 'async') return 'async invoke';
  const t = page.triggers.find((x) => x.triggerName === trigger);
  return t ? `${t.triggerType} trigger ${trigger}` : `trigger ${trigger}`;
}

/** One .log-record: time, request id, status, duration, memory, cold start, how it started, and the log text. */
function logRecord(r, via) {
  const ok = r.status === 'success';
  return h('article', { class: `log-record ${ok ? '' : 'log-failed'}`, 'data-request-id': r.requestId },
    h('div', { class: 'log-meta' },
      h('time', { datetime: new Date(r.timeMs).toISOString(), text: fmtDate(r.timeMs) }),
      h('span', { class: `badge ${ok ? 'badge-good' : 'badge-bad'}`, text: r.status }),
      h('span', { class: 'mono', text: r.requestId }),
      h('span', { text: `${fmtNum(r.durationMs)} ms` }),
      h('span', { text: `${fmtNum(r.maxMemoryMb)} MB` }),
      h('span', { class: r.coldStart ? 'badge badge-cold' : 'badge', text: r.coldStart ? 'cold start' : 'warm' }),
      h('span', { class: 'muted', text: `${via}${r.qualifier ? ` · ${r.qualifier}` : ''}` })),
    h('pre', { class: 'log-text', text: r.log || '(no output)' }));
}

// ------------------------------------------------------------------ charts

/** #charts: invocations, errors, duration p50/p99 and cold starts over the last hour; every 10 s. */
export function chartsSection(page) {
  const { service, fn, ctx } = page;
  const boxes = {
    invocations: chartBox('chart-invocations', 'Invocations'),
    errors: chartBox('chart-errors', 'Errors'),
    duration: chartBox('chart-duration', 'Duration p50 / p99 (ms)'),
    coldStarts: chartBox('chart-cold-starts', 'Cold starts'),
  };
  const el = card('Last hour', { id: 'charts-card' }, h('div', { id: 'charts', class: 'charts' }, Object.values(boxes).map((b) => b.el)));
  const load = async () => {
    try {
      const data = await api('GET', ext('metrics', service, fn));
      if (!ctx.alive) return;
      clearError('charts');
      const pts = (data && data.points) || [];
      const series = (key) => pts.map((p) => ({ t: p.startMs, v: p[key] }));
      boxes.invocations.show(barChart({ title: 'Invocations', points: series('invocations') }));
      boxes.errors.show(barChart({ title: 'Errors', points: series('errors'), className: 'bar bar-bad' }));
      boxes.duration.show(lineChart({
        title: 'Duration',
        unit: 'ms',
        series: [
          { name: 'p50', className: 's-p50', points: series('durationP50Ms') },
          { name: 'p99', className: 's-p99', points: series('durationP99Ms') },
        ],
      }));
      boxes.coldStarts.show(barChart({ title: 'Cold starts', points: series('coldStarts'), className: 'bar bar-cold' }));
    } catch (err) {
      if (ctx.alive) setError('charts', err);
    }
  };
  const poller = ctx.poll(10000, load);
  return { el, start: () => poller.start(), stop: () => poller.stop(), now: () => poller.now() };
}

/** One chart's figure: a heading and the place of its <svg>. */
function chartBox(id, title) {
  const holder = h('div', { class: 'chart-holder' }, loading());
  const el = h('figure', { id, class: 'chart-box' }, h('figcaption', { text: title }), holder);
  return { el, show: (svg) => holder.replaceChildren(svg) };
}
