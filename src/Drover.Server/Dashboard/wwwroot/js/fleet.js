// Workers and providers.
import { get } from './api.js';
import { badge, debounce, fmt, h, notice, replace, table } from './dom.js';
import { subscribe } from './events.js';
import { STALE_S, WORKER_HEAD, workerRows } from './overview.js';
import { meter } from './charts.js';

function live(draw, ms) {
  const refresh = debounce(() => draw().catch(() => null), 500);
  const unsubscribe = subscribe((e) => {
    if (!e.type.startsWith('job.progress')) refresh();
  });
  const timer = setInterval(refresh, ms);
  return () => {
    unsubscribe();
    clearInterval(timer);
  };
}

export async function renderWorkers(main) {
  const draw = async () => {
    const { workers } = await get('/api/workers');
    const rows = workerRows(workers);
    rows.forEach((tr, i) => tr.append(h('td', {}, workers[i].capabilities.join(', ')), h('td', { class: 'num' }, workers[i].pid)));
    replace(main, h('h1', {}, 'Workers'),
      h('p', { class: 'muted' }, `A lost worker, or a heartbeat older than ${STALE_S} s, is shown in red.`),
      workers.length ? table([...WORKER_HEAD, 'Capabilities', ['PID', 'num']], rows, { id: 'workers' }) : notice('No worker has registered yet.'));
  };
  await draw();
  return live(draw, 5000);
}

function limit(used, max, label) {
  if (!max) return h('span', { class: 'muted' }, `${fmt.num(used)} (no limit)`);
  return h('div', {}, `${fmt.num(used)} / ${fmt.num(max)}`, meter(used, max, `${label}: ${used} of ${max}`));
}

export async function renderProviders(main) {
  const draw = async () => {
    const { providers } = await get('/api/providers');
    const rows = providers.map((p) => h('tr', { class: p.circuit.state === 'open' ? 'alarm' : null },
      h('td', {}, h('strong', {}, p.name), h('div', { class: 'muted' }, `${p.kind} · ${p.models.join(', ')}`)),
      h('td', {}, badge(p.circuit.state), p.circuit.probe_due ? ' probe due' : '',
        p.circuit.open_until ? h('div', { class: 'muted' }, `until ${fmt.time(p.circuit.open_until)}`) : null,
        p.circuit.last_error ? h('div', { class: 'muted' }, p.circuit.last_error) : null,
        p.circuit.quota_until ? h('div', { class: 'bad' }, `quota until ${fmt.time(p.circuit.quota_until)}`) : null),
      h('td', {}, limit(p.used.rpm, p.limits.rpm, 'requests per minute')),
      h('td', {}, limit(p.used.rpd, p.limits.rpd, 'requests per day')),
      h('td', {}, limit(p.used.tpm, p.limits.tpm, 'tokens per minute')),
      h('td', {}, limit(p.used.in_flight, p.limits.max_concurrent, 'concurrent calls')),
      h('td', { class: 'num' }, fmt.num(p.last_hour.calls), ' / ', fmt.pct(p.last_hour.error_rate)),
      h('td', { class: 'num' }, p.last_hour.latency_p50_ms === null ? '—' : `${Math.round(p.last_hour.latency_p50_ms)} / ${Math.round(p.last_hour.latency_p99_ms)} ms`),
      h('td', {}, p.health ? badge(p.health) : '—')));
    replace(main, h('h1', {}, 'Providers'),
      providers.length
        ? table(['Provider', 'Circuit', 'Req/min', 'Req/day', 'Tokens/min', 'In flight', ['Calls / errors (1 h)', 'num'], ['Latency p50 / p99', 'num'], 'Health'], rows, { id: 'providers' })
        : notice('No provider is configured ([[providers]] in drover.toml).'));
  };
  await draw();
  return live(draw, 10000);
}
