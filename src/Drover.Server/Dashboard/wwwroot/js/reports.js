// Reports: the last 30 days against the targets, with the phase gate line.
import { getOptional } from './api.js';
import { fmt, h, notice, replace, table } from './dom.js';
import { outcomesByDay } from './charts.js';

export async function renderReports(main) {
  const report = await getOptional('/api/report?days=30');
  const intro = h('p', { class: 'muted' }, 'The same report prints from the command line with ', h('code', {}, 'drover report'),
    ' (add --json for scripts). Uptime and capacity are per UTC day; a day is at target when both meet the targets.');
  if (report === null) {
    replace(main, h('h1', {}, 'Reports'), notice('Reports unavailable on this server.'), intro);
    return null;
  }
  const t = report.targets || {};
  const o = report.overall || {};
  const gate = report.gate || {};
  const rows = (report.days || []).slice().reverse().map((d) => h('tr', { class: d.at_target ? null : 'alarm' },
    h('td', {}, d.date), h('td', { class: 'num' }, fmt.pct(d.uptime)), h('td', { class: 'num' }, fmt.pct(d.capacity)),
    h('td', {}, d.at_target ? h('span', { class: 'ok' }, 'yes') : h('span', { class: 'bad' }, 'no')),
    h('td', { class: 'num' }, fmt.num(d.jobs?.succeeded)), h('td', { class: 'num' }, fmt.num(d.jobs?.failed)), h('td', { class: 'num' }, fmt.num(d.jobs?.cancelled)),
    h('td', {}, Object.entries(d.failure_classes || {}).map(([k, v]) => `${k} ${v}`).join(', ') || '—'),
    h('td', { class: 'num' }, fmt.num(d.worker_losses)), h('td', { class: 'num' }, fmt.secs(d.mttr_s)), h('td', { class: 'num' }, fmt.usd(d.spend_usd))));
  replace(main, h('h1', {}, 'Reports'),
    h('p', { class: gate.ready ? 'notice' : 'notice error', id: 'gate' }, h('strong', {}, gate.line || 'No gate line.')),
    gate.missing?.length ? h('ul', {}, gate.missing.map((m) => h('li', {}, m))) : null,
    h('p', {}, `${report.from} to ${report.to}: uptime ${fmt.pct(o.uptime)} (target ${fmt.pct(t.uptime)}), capacity ${fmt.pct(o.capacity)} (target ${fmt.pct(t.capacity)}), `,
      `${o.days_at_target ?? 0} of ${o.days_counted ?? 0} days at target (need ${t.days ?? '?'}), MTTR ${fmt.secs(o.mttr_s)}, spend ${fmt.usd(o.spend_usd)}.`),
    intro,
    outcomesByDay(report.days || [], 'Jobs per day by outcome'),
    table(['Date', ['Uptime', 'num'], ['Capacity', 'num'], 'At target', ['Succeeded', 'num'], ['Failed', 'num'], ['Cancelled', 'num'], 'Failure classes', ['Worker losses', 'num'], ['MTTR', 'num'], ['Spend', 'num']],
      rows, { id: 'report-days' }),
    report.workers?.length ? [h('h2', {}, 'Workers'), table(['Name', 'Host', ['Uptime', 'num'], ['Busy', 'num'], ['Available', 'num'], ['Capacity', 'num']],
      report.workers.map((w) => h('tr', {}, h('td', {}, w.name), h('td', {}, w.host), h('td', { class: 'num' }, fmt.pct(w.uptime)),
        h('td', { class: 'num' }, fmt.secs(w.busy_s)), h('td', { class: 'num' }, fmt.secs(w.available_s)), h('td', { class: 'num' }, fmt.pct(w.capacity)))))] : null);
  return null;
}
