// Overview: workers, counts per state, 14 days of outcomes and failure classes, spend today, alerts, gates.
import { get, getOptional, post } from './api.js';
import { badge, debounce, fmt, h, notice, replace, table, timeEl } from './dom.js';
import { horizontalBars, meter, outcomesByDay } from './charts.js';
import { subscribe } from './events.js';
import { approvalsCard } from './approvals.js';

const STATES = ['queued', 'running', 'blocked', 'succeeded', 'failed', 'cancelled'];

/** A lost worker, or one whose heartbeat is older than this, is shown in red (FleetHealth's default). */
export const STALE_S = 60;

export function workerRows(workers) {
  return workers.map((w) => {
    const stale = w.state !== 'stopped' && w.heartbeat_age_s > STALE_S;
    const alarm = w.state === 'lost' || stale;
    return h('tr', { class: alarm ? 'alarm' : null, dataset: { worker: w.name } },
      h('td', {}, w.name), h('td', {}, w.host), h('td', {}, badge(w.state)),
      h('td', { class: 'num' }, `${w.running.length}/${w.slots}`),
      h('td', { class: alarm ? 'num bad' : 'num' }, fmt.secs(w.heartbeat_age_s), stale ? ' (stale)' : ''),
      h('td', {}, w.running.map((id, i) => [i ? ', ' : '', h('a', { href: `#/jobs/${id}` }, `#${id}`)])));
  });
}

export const WORKER_HEAD = ['Worker', 'Host', 'State', ['Busy', 'num'], ['Heartbeat', 'num'], 'Running'];

function countsCard(counts) {
  return h('section', { class: 'card', 'aria-labelledby': 'h-counts' }, h('h2', { id: 'h-counts' }, 'Jobs by state'),
    h('div', { class: 'counts' }, STATES.map((st) =>
      h('a', { class: 'count', href: `#/jobs?state=${st}`, dataset: { state: st } }, h('strong', {}, fmt.num(counts[st] ?? 0)), badge(st)))));
}

export function gatesCard(status, providers, refresh) {
  const items = [];
  for (const p of providers || []) {
    const c = p.circuit || {};
    if (c.state && c.state !== 'closed') {
      items.push(h('li', { class: 'bad', dataset: { provider: p.name } },
        `provider ${p.name} circuit ${c.state.replace('_', '-')}${c.open_until ? ` until ${fmt.time(c.open_until)}` : ''}${c.last_error ? `: ${c.last_error}` : ''}`));
    }
  }
  for (const g of status.engine_gates || []) {
    const resume = h('button', { type: 'button', class: 'primary' }, 'Resume');
    resume.addEventListener('click', async () => {
      resume.disabled = true;
      await post('/api/fleet/resume', { engine: g.engine }).catch((e) => alert(e.message));
      refresh();
    });
    items.push(h('li', { dataset: { engine: g.engine } }, `engine ${g.engine} waits until ${fmt.time(g.until)}: ${g.reason} `, resume));
  }
  for (const g of status.gates || []) if (!g.startsWith('engine ')) items.push(h('li', {}, g));
  const toggle = h('button', { type: 'button', class: status.paused ? 'primary' : 'danger' }, status.paused ? 'Resume fleet' : 'Pause fleet');
  toggle.addEventListener('click', async () => {
    toggle.disabled = true;
    await post(status.paused ? '/api/fleet/resume' : '/api/fleet/pause').catch((e) => alert(e.message));
    refresh();
  });
  return h('section', { class: 'card', 'aria-labelledby': 'h-gates' }, h('h2', { id: 'h-gates' }, 'Gates'),
    h('p', {}, status.paused ? h('span', { class: 'bad' }, 'Fleet paused: no job is started.') : 'Fleet running.'),
    items.length ? h('ul', {}, items) : h('p', { class: 'muted' }, 'No engine is gated and no provider circuit is open.'), toggle);
}

function spendCard(usage, status) {
  const spent = (usage?.rows || []).reduce((n, r) => n + Number(r.cost_usd || 0), 0);
  const unpriced = (usage?.rows || []).reduce((n, r) => n + Number(r.unpriced_requests || 0), 0);
  const budgets = status.budgets || [];
  return h('section', { class: 'card', 'aria-labelledby': 'h-spend' }, h('h2', { id: 'h-spend' }, 'Spend today'),
    h('p', {}, h('strong', { class: 'big', id: 'spend-today' }, fmt.usd(spent)), h('span', { class: 'muted' }, ' through the gateway, last 24 h')),
    unpriced ? h('p', { class: 'muted' }, `${unpriced} requests without a price (cost unknown, not $0)`) : null,
    budgets.length
      ? budgets.map((b) => {
        const usd = b.limit_usd !== null && b.limit_usd !== undefined;
        const [used, limit, show] = usd
          ? [Number(b.spent_usd), Number(b.limit_usd), fmt.usd]
          : [b.spent_tokens, b.limit_tokens, (v) => `${fmt.num(v)} tokens`];
        return h('div', { class: 'budget', dataset: { scope: b.scope } },
          h('p', { class: used > limit ? 'bad' : null }, `Budget (${b.scope}): ${show(used)} of ${show(limit)}`),
          meter(used, limit, `${b.scope} budget: ${show(used)} of ${show(limit)}`));
      })
      : h('p', { class: 'muted' }, 'No daily budget reported by the server ([budgets] daily_usd in drover.toml).'),
    h('a', { href: '#/usage' }, 'Usage by provider, model, job…'));
}

function alertsCard(alerts) {
  const body = alerts === null
    ? h('p', { class: 'muted' }, 'Alerts unavailable on this server.')
    : alerts.filter((a) => !a.acked_at).length === 0
      ? h('p', { class: 'ok' }, 'No open alerts.')
      : h('ul', {}, alerts.filter((a) => !a.acked_at).slice(0, 6).map((a) => h('li', { class: 'bad' }, a.message, ' ', h('span', { class: 'muted' }, `×${a.count}`))));
  return h('section', { class: 'card', 'aria-labelledby': 'h-alerts' }, h('h2', { id: 'h-alerts' }, 'Open alerts'), body,
    h('a', { href: '#/alerts' }, 'All alerts'));
}

function reportCharts(report) {
  if (report === null) return h('section', { class: 'card' }, h('h2', {}, 'Last 14 days'), notice('Reports unavailable on this server.'));
  const days = report.days || [];
  const classes = Object.entries(report.overall?.failure_classes || {});
  return h('section', { class: 'card wide', 'aria-labelledby': 'h-14' }, h('h2', { id: 'h-14' }, 'Last 14 days'),
    h('h3', {}, 'Jobs per day by outcome'), outcomesByDay(days, 'Jobs per day by outcome'),
    h('h3', {}, 'Failures by class'), horizontalBars(classes, 'Failures by class', (v) => String(v)));
}

// The 14-day report reads every attempt and outcome of the window: read it once a minute, not on every event.
const REPORT_EVERY_MS = 60000;
let reportRead = { at: 0, value: null };

async function report14() {
  if (Date.now() - reportRead.at < REPORT_EVERY_MS) return reportRead.value;
  const value = await getOptional('/api/report?days=14').catch(() => null);
  reportRead = { at: Date.now(), value };
  return value;
}

async function load() {
  const [status, usage, alerts, report, providers, approvals] = await Promise.all([
    get('/api/status'),
    getOptional('/api/usage?period=day&by=provider').catch(() => null),
    getOptional('/api/alerts').then((r) => (r ? r.alerts : null)).catch(() => null),
    report14(),
    getOptional('/api/providers').then((r) => (r ? r.providers : null)).catch(() => null),
    getOptional('/api/approvals').then((r) => (r ? r.approvals : null)).catch(() => null),
  ]);
  return { status, usage, alerts, report, providers, approvals };
}

export async function renderOverview(main) {
  const message = h('div', { role: 'status' });
  const draw = async () => {
    const { status, usage, alerts, report, providers, approvals } = await load();
    replace(main,
      h('h1', {}, 'Overview'),
      message,
      approvalsCard(approvals, message, () => draw().catch(() => null)),
      h('div', { class: 'grid' }, countsCard(status.counts), gatesCard(status, providers, refresh), spendCard(usage, status), alertsCard(alerts)),
      h('h2', { id: 'h-workers' }, 'Workers'),
      status.workers.length
        ? table(WORKER_HEAD, workerRows(status.workers), { id: 'workers', 'aria-labelledby': 'h-workers' })
        : notice('No worker has registered yet (start `drover serve` or `drover worker`).'),
      reportCharts(report));
  };
  const refresh = debounce(() => draw().catch(() => null), 500);
  await draw();
  const unsubscribe = subscribe(() => refresh());
  const timer = setInterval(refresh, 10000);
  return () => {
    unsubscribe();
    clearInterval(timer);
  };
}
