// Charts drawn as inline SVG from the data alone: no library, no inline style (colours come from app.css classes).
import { h, s } from './dom.js';

const OUTCOMES = ['succeeded', 'failed', 'cancelled'];

/** Jobs per day stacked by outcome; days = [{date, jobs: {succeeded, failed, cancelled}}]. */
export function outcomesByDay(days, title) {
  const W = 640, H = 200, left = 34, bottom = 22, top = 8;
  const totals = days.map((d) => OUTCOMES.reduce((n, k) => n + (d.jobs?.[k] || 0), 0));
  const max = Math.max(1, ...totals);
  const step = (W - left) / Math.max(1, days.length);
  const bar = Math.max(2, step * 0.7);
  const y = (v) => top + (H - top - bottom) * (1 - v / max);
  const parts = [
    s('line', { class: 'axis', x1: left, y1: H - bottom, x2: W, y2: H - bottom }),
    s('text', { x: left - 4, y: top + 8, 'text-anchor': 'end' }, String(max)),
    s('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end' }, '0'),
  ];
  days.forEach((d, i) => {
    const x = left + i * step + (step - bar) / 2;
    let base = 0;
    for (const k of OUTCOMES) {
      const v = d.jobs?.[k] || 0;
      if (v > 0) {
        parts.push(s('rect', { class: `s-${k}`, x: x.toFixed(1), y: y(base + v).toFixed(1), width: bar.toFixed(1),
          height: (y(base) - y(base + v)).toFixed(1) }, s('title', {}, `${d.date}: ${v} ${k}`)));
      }
      base += v;
    }
    if (days.length <= 16 || i % Math.ceil(days.length / 10) === 0) {
      parts.push(s('text', { x: (x + bar / 2).toFixed(1), y: H - 6, 'text-anchor': 'middle' }, String(d.date).slice(5)));
    }
  });
  const summary = days.map((d, i) => `${d.date}: ${totals[i]}`).join(', ');
  return h('figure', { class: 'chart-box' },
    s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}. ${summary}` }, s('title', {}, title), parts),
    h('figcaption', { class: 'legend' }, OUTCOMES.map((k) => h('span', { class: `l-${k}` }, k))));
}

/** Horizontal bars of label → value, largest first; format renders a value. */
export function horizontalBars(entries, title, format) {
  const rows = entries.filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, 12);
  if (rows.length === 0) return h('p', { class: 'muted' }, `${title}: nothing yet.`);
  const W = 640, rowH = 22, labelW = 170, valueW = 90;
  const H = rows.length * rowH + 4;
  const max = Math.max(...rows.map(([, v]) => v));
  const parts = rows.flatMap(([label, v], i) => {
    const y = i * rowH + 2;
    const w = Math.max(1, ((W - labelW - valueW) * v) / max);
    const text = String(label).length > 26 ? `${String(label).slice(0, 25)}…` : String(label);
    return [
      s('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end' }, text),
      s('rect', { class: 's-bar', x: labelW, y: y + 3, width: w.toFixed(1), height: rowH - 7 }, s('title', {}, `${label}: ${format(v)}`)),
      s('text', { x: labelW + w + 6, y: y + 15 }, format(v)),
    ];
  });
  const summary = rows.map(([l, v]) => `${l} ${format(v)}`).join(', ');
  return s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}: ${summary}` }, s('title', {}, title), parts);
}

/** A used/limit meter; red when over. */
export function meter(used, limit, label) {
  const W = 200, H = 12;
  const frac = limit > 0 ? Math.min(1, used / limit) : 0;
  return s('svg', { class: 'meter chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'none' },
    s('rect', { class: 's-track', x: 0, y: 0, width: W, height: H, rx: 6 }),
    s('rect', { class: used > limit && limit > 0 ? 's-over' : 's-bar', x: 0, y: 0, width: (W * frac).toFixed(1), height: H, rx: 6 }));
}
