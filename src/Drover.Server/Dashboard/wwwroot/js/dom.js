// Small DOM helpers: elements built with createElement (never innerHTML), so server text is always inert.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** h('a', {href: '#/'}, 'text', child…) */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function replace(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

export function badge(state) {
  const st = String(state ?? 'unknown');
  return h('span', { class: `badge st-${st.replace(/[^a-z_-]/gi, '')}` }, st);
}

export function notice(text, kind) {
  return h('p', { class: kind === 'error' ? 'notice error' : 'notice', role: kind === 'error' ? 'alert' : null }, text);
}

/** A table in a horizontally scrolling box (phones), head given as [label, 'num'?] pairs or strings. */
export function table(head, rows, attrs) {
  const ths = head.map((c) => (Array.isArray(c) ? h('th', { class: c[1], scope: 'col' }, c[0]) : h('th', { scope: 'col' }, c)));
  return h('div', { class: 'scroll' }, h('table', attrs || {}, h('thead', {}, h('tr', {}, ths)), h('tbody', {}, rows)));
}

export const fmt = {
  num(n) {
    return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US');
  },
  usd(n) {
    if (n === null || n === undefined) return '—';
    const v = Number(n);
    return v !== 0 && Math.abs(v) < 0.01 ? `$${v.toFixed(4)}` : `$${v.toFixed(2)}`;
  },
  // A job's or attempt's usage: an unknown cost is shown as such, never as $0.00.
  cost(u) {
    return !u || !u.cost_source || u.cost_source === 'unknown' ? '—' : fmt.usd(u.cost_usd);
  },
  pct(x) {
    return x === null || x === undefined ? '—' : `${(Number(x) * 100).toFixed(1)}%`;
  },
  secs(s) {
    if (s === null || s === undefined) return '—';
    const v = Number(s);
    if (v < 60) return `${v.toFixed(v < 10 ? 1 : 0)} s`;
    if (v < 3600) return `${Math.floor(v / 60)} min ${Math.round(v % 60)} s`;
    return `${Math.floor(v / 3600)} h ${Math.round((v % 3600) / 60)} min`;
  },
  ago(iso) {
    if (!iso) return '—';
    const d = (Date.now() - Date.parse(iso)) / 1000;
    if (d < 0) return 'in ' + fmt.secs(-d);
    return fmt.secs(d) + ' ago';
  },
  time(iso) {
    if (!iso) return '—';
    return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  },
};

export function timeEl(iso) {
  return iso ? h('time', { datetime: iso, title: fmt.time(iso) }, fmt.ago(iso)) : '—';
}

/** Runs fn at most once per `ms`, the last call winning. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
