// Small SVG charts (bars and lines) over a time axis. Each <svg> carries a
// <title>, an aria-label and `data-total` (the sum of its values).

const SVG = 'http://www.w3.org/2000/svg';
const W = 320;
const H = 140;
const PAD = { left: 38, right: 8, top: 18, bottom: 20 };

function svgEl(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A "nice" upper bound for an axis (1, 2, 5 × 10^n). */
function niceMax(value) {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * exp >= value) return m * exp;
  return 10 * exp;
}

function shortNum(n) {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(+n.toFixed(2));
}

function timeLabel(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The frame: the svg with title, axis lines, y max label and the time labels. */
function frame({ title, total, max, unit, times }) {
  const svg = svgEl('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': `${title}: ${shortNum(total)}${unit ? ` ${unit}` : ''} in the last hour`,
    'data-total': String(Math.round(total * 1000) / 1000),
    class: 'chart',
  });
  svg.append(svgEl('title', {}, `${title} (last hour)`));
  const x0 = PAD.left;
  const y0 = H - PAD.bottom;
  svg.append(svgEl('line', { x1: x0, y1: PAD.top, x2: x0, y2: y0, class: 'axis' }));
  svg.append(svgEl('line', { x1: x0, y1: y0, x2: W - PAD.right, y2: y0, class: 'axis' }));
  svg.append(svgEl('line', { x1: x0, y1: PAD.top, x2: W - PAD.right, y2: PAD.top, class: 'gridline' }));
  svg.append(svgEl('text', { x: x0 - 4, y: PAD.top + 4, 'text-anchor': 'end', class: 'tick' }, shortNum(max)));
  svg.append(svgEl('text', { x: x0 - 4, y: y0, 'text-anchor': 'end', class: 'tick' }, '0'));
  if (times.length) {
    svg.append(svgEl('text', { x: x0, y: H - 5, 'text-anchor': 'start', class: 'tick' }, timeLabel(times[0])));
    svg.append(svgEl('text', { x: W - PAD.right, y: H - 5, 'text-anchor': 'end', class: 'tick' }, timeLabel(times[times.length - 1])));
  }
  return svg;
}

/**
 * A bar chart of points [{ t (ms), v }]: one bar per point; `total` defaults
 * to the sum of the values.
 */
export function barChart({ title, unit = '', points, className = 'bar' }) {
  const values = points.map((p) => (typeof p.v === 'number' && Number.isFinite(p.v) ? p.v : 0));
  const total = values.reduce((a, b) => a + b, 0);
  const max = niceMax(Math.max(0, ...values));
  const svg = frame({ title, total, max, unit, times: points.map((p) => p.t) });
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(points.length, 1);
  points.forEach((p, i) => {
    const v = values[i];
    if (v <= 0) return;
    const height = Math.max(1, (v / max) * plotH);
    const bar = svgEl('rect', {
      x: PAD.left + i * step + 0.5,
      y: H - PAD.bottom - height,
      width: Math.max(1, step - 1),
      height,
      class: className,
    });
    bar.append(svgEl('title', {}, `${timeLabel(p.t)}: ${shortNum(v)}${unit ? ` ${unit}` : ''}`));
    svg.append(bar);
  });
  return svg;
}

/**
 * A line chart of several series [{ name, className, points: [{ t, v|null }] }];
 * gaps where v is null. `data-total` is the sum of the first series' values.
 */
export function lineChart({ title, unit = '', series }) {
  const first = series[0] ? series[0].points : [];
  const total = first.reduce((a, p) => a + (typeof p.v === 'number' && Number.isFinite(p.v) ? p.v : 0), 0);
  const all = series.flatMap((s) => s.points.map((p) => p.v)).filter((v) => typeof v === 'number' && Number.isFinite(v));
  const max = niceMax(Math.max(0, ...all));
  const svg = frame({ title, total, max, unit, times: first.map((p) => p.t) });
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const count = Math.max(first.length, 1);
  const xOf = (i) => PAD.left + (i + 0.5) * (plotW / count);
  const yOf = (v) => H - PAD.bottom - (v / max) * plotH;
  series.forEach((s, si) => {
    let d = '';
    let pen = false;
    s.points.forEach((p, i) => {
      if (typeof p.v !== 'number' || !Number.isFinite(p.v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${xOf(i).toFixed(1)} ${yOf(p.v).toFixed(1)} `;
      pen = true;
      const dot = svgEl('circle', { cx: xOf(i).toFixed(1), cy: yOf(p.v).toFixed(1), r: 2.4, class: `dot ${s.className}` });
      dot.append(svgEl('title', {}, `${s.name} ${timeLabel(p.t)}: ${shortNum(p.v)}${unit ? ` ${unit}` : ''}`));
      svg.append(dot);
    });
    if (d) svg.insertBefore(svgEl('path', { d: d.trim(), class: `line ${s.className}`, fill: 'none' }), svg.querySelector('circle'));
    // Legend, top right.
    const lx = W - PAD.right - (series.length - si) * 48;
    svg.append(svgEl('rect', { x: lx, y: 5, width: 8, height: 8, class: `legend ${s.className}` }));
    svg.append(svgEl('text', { x: lx + 11, y: 12.5, class: 'tick' }, s.name));
  });
  return svg;
}
