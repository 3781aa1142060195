// Usage: gateway spend over a day, week or month, grouped by provider, model, job, engine, repo or label.
import { get } from './api.js';
import { fmt, h, notice, replace, table } from './dom.js';
import { horizontalBars } from './charts.js';

const PERIODS = ['day', 'week', 'month'];
const BYS = ['provider', 'model', 'job', 'engine', 'repo', 'label'];

export async function renderUsage(main, { params }) {
  const period = PERIODS.includes(params.get('period')) ? params.get('period') : 'day';
  const by = BYS.includes(params.get('by')) ? params.get('by') : 'provider';
  const select = (name, values, current) => {
    const el = h('select', { id: `u-${name}`, name }, values.map((v) => h('option', { value: v, selected: v === current }, v)));
    el.addEventListener('change', () => {
      const next = new URLSearchParams({ period, by, [name]: el.value });
      location.hash = `#/usage?${next}`;
    });
    return h('label', { for: `u-${name}` }, name === 'by' ? 'Group by' : 'Period', el);
  };
  const usage = await get(`/api/usage?period=${period}&by=${by}`);
  const rows = usage.rows || [];
  const cost = rows.map((r) => [r.key, Number(r.cost_usd)]);
  const tokens = rows.map((r) => [r.key, r.input_tokens + r.cached_input_tokens + r.output_tokens]);
  const total = rows.reduce((n, r) => n + Number(r.cost_usd), 0);
  replace(main, h('h1', {}, 'Usage'),
    h('div', { class: 'filters' }, select('period', PERIODS, period), select('by', BYS, by)),
    h('p', {}, `Since ${fmt.time(usage.since)}: `, h('strong', {}, fmt.usd(total)), ` over ${fmt.num(rows.reduce((n, r) => n + r.requests, 0))} requests.`),
    rows.length === 0 ? notice('No gateway requests in this period.') : [
      h('div', { class: 'grid' },
        h('section', { class: 'card' }, h('h2', {}, `Cost by ${by}`), horizontalBars(cost, `Cost by ${by}`, fmt.usd)),
        h('section', { class: 'card' }, h('h2', {}, `Tokens by ${by}`), horizontalBars(tokens, `Tokens by ${by}`, fmt.num))),
      table([by, ['Requests', 'num'], ['Failed', 'num'], ['Input', 'num'], ['Cached', 'num'], ['Output', 'num'], ['Reasoning', 'num'], ['Cost', 'num'], ['Unpriced', 'num']],
        rows.map((r) => h('tr', {}, h('td', {}, by === 'job' && /^\d+$/.test(r.key) ? h('a', { href: `#/jobs/${r.key}` }, `#${r.key}`) : r.key),
          [r.requests, r.failed, r.input_tokens, r.cached_input_tokens, r.output_tokens, r.reasoning_tokens].map((v) => h('td', { class: 'num' }, fmt.num(v))),
          h('td', { class: 'num' }, fmt.usd(r.cost_usd)), h('td', { class: 'num' }, fmt.num(r.unpriced_requests)))),
        { id: 'usage' }),
    ]);
  return null;
}
