// Jobs: a filtered, cursor-paged table (newest first) that follows the event stream without reloading the page.
import { get, query } from './api.js';
import { badge, debounce, fmt, h, notice, replace, timeEl } from './dom.js';
import { subscribe } from './events.js';

const STATES = ['', 'queued', 'running', 'blocked', 'succeeded', 'failed', 'cancelled'];
const PAGE = 50;
const FILTERS = ['state', 'engine', 'label', 'q'];

// Cursors of the pages before this one, so "Newer" can go back; kept across re-renders of the same filters.
let history = { key: '', stack: [] };

function row(j) {
  return h('tr', { dataset: { jobId: j.id } },
    h('td', { class: 'num' }, h('a', { href: `#/jobs/${j.id}` }, `#${j.id}`)),
    h('td', { class: 'title' }, h('a', { href: `#/jobs/${j.id}` }, j.title)),
    h('td', { class: 'state' }, badge(j.state)),
    h('td', {}, j.engine),
    h('td', { class: 'num opt', title: 'attempts started; failures of those allowed' }, `${j.attempt} · ${j.failures}/${j.max_attempts} failed`),
    h('td', { class: 'opt' }, j.worker || '—'),
    h('td', { class: 'why opt' }, j.why || (j.class ? `${j.class}: ${j.reason || ''}` : '')),
    h('td', { class: 'num opt' }, fmt.cost(j.usage)),
    h('td', {}, timeEl(j.updated_at)));
}

function filterForm(params) {
  const state = h('select', { name: 'state', id: 'f-state' }, STATES.map((s) => h('option', { value: s, selected: params.get('state') === s && s !== '' }, s || 'any')));
  const input = (name, label, placeholder) => h('label', { for: `f-${name}` }, label,
    h('input', { name, id: `f-${name}`, value: params.get(name) || '', placeholder, autocomplete: 'off', type: name === 'q' ? 'search' : 'text' }));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter jobs' },
    h('label', { for: 'f-state' }, 'State', state),
    input('engine', 'Engine', 'shell, claude…'),
    input('label', 'Label', 'key=value'),
    input('q', 'Title contains', 'text'),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'),
    h('a', { href: '#/jobs', class: 'button' }, 'Clear'));
  const apply = () => {
    const next = new URLSearchParams();
    for (const f of FILTERS) {
      const v = form.elements[f].value.trim();
      if (v) next.set(f, v);
    }
    const text = next.toString();
    location.hash = text ? `#/jobs?${text}` : '#/jobs';
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply();
  });
  state.addEventListener('change', apply);
  return form;
}

export async function renderJobs(main, { params }) {
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) || null]));
  const key = JSON.stringify(filters);
  if (history.key !== key) history = { key, stack: [] };
  const cursor = params.get('cursor');
  const tbody = h('tbody', { id: 'jobs-body' });
  const status = h('p', { class: 'muted', role: 'status', id: 'jobs-status' });
  const pager = h('div', { class: 'pager' });
  replace(main,
    h('h1', {}, 'Jobs'),
    filterForm(params),
    h('div', { class: 'scroll' }, h('table', { id: 'jobs', 'aria-label': 'Jobs, newest first' },
      h('thead', {}, h('tr', {}, [['ID'], ['Title'], ['State'], ['Engine'], ['Attempt', 'opt'], ['Worker', 'opt'], ['Why / last failure', 'opt'], ['Cost', 'opt'], ['Updated']]
        .map(([c, cls]) => h('th', { scope: 'col', class: cls }, c)))),
      tbody)),
    status, pager);

  const withCursor = (c) => {
    const next = new URLSearchParams(params);
    if (c) next.set('cursor', c);
    else next.delete('cursor');
    const text = next.toString();
    return text ? `#/jobs?${text}` : '#/jobs';
  };

  let page = null;
  const load = async () => {
    try {
      page = await get(`/api/jobs${query({ ...filters, limit: PAGE, cursor })}`);
    } catch (e) {
      replace(status, notice(e.message, 'error'));
      return;
    }
    replace(tbody, page.jobs.map(row));
    replace(status, page.jobs.length === 0 ? 'No jobs match.' : `${page.jobs.length} jobs${cursor ? ` older than #${cursor}` : ''}; live.`);
    const newer = h('button', { type: 'button', disabled: !cursor }, 'Newer');
    newer.addEventListener('click', () => {
      location.hash = withCursor(history.stack.pop() || null);
    });
    const older = h('button', { type: 'button', disabled: !page.next_cursor }, 'Older');
    older.addEventListener('click', () => {
      history.stack.push(cursor);
      location.hash = withCursor(page.next_cursor);
    });
    replace(pager, newer, older, cursor ? h('a', { href: withCursor(null) }, 'Newest') : null);
  };

  // The first page is re-read (it may gain a new job); a later page only refreshes the rows it shows.
  const changed = new Set();
  const refresh = debounce(async () => {
    const ids = [...changed];
    changed.clear();
    if (!cursor) return load();
    for (const id of ids) {
      const tr = tbody.querySelector(`tr[data-job-id="${id}"]`);
      if (!tr) continue;
      const job = await get(`/api/jobs/${id}`).catch(() => null);
      if (job) tr.replaceWith(row(job));
    }
    return null;
  }, 250);
  await load();
  const unsubscribe = subscribe((e) => {
    if (e.job_id === null || e.job_id === undefined) return;
    changed.add(e.job_id);
    refresh();
  });
  let ticks = 0;
  const timer = setInterval(() => {
    for (const t of tbody.querySelectorAll('time')) t.textContent = fmt.ago(t.getAttribute('datetime'));
    // A safety net for an event type this page does not know: the first page is re-read every 30 s anyway.
    if (!cursor && ++ticks % 6 === 0) load();
  }, 5000);
  return () => {
    unsubscribe();
    clearInterval(timer);
  };
}
