// Tool calls waiting for a person (SPEC §13): a table with Allow / Deny / Always (allow from now on for the job).
import { post } from './api.js';
import { fmt, h, notice, replace, table } from './dom.js';

function decide(a, decision, always, message, done) {
  return async (e) => {
    e.target.disabled = true;
    try {
      await post(`/api/approvals/${a.id}`, { decision, always, by: 'dashboard' });
      replace(message, notice(`Tool call ${a.id} ${decision === 'allow' ? 'allowed' : 'denied'}${always ? ' from now on for this job' : ''}.`));
    } catch (err) {
      replace(message, notice(`Tool call ${a.id}: ${err.message}`, 'error'));
    }
    await done();
  };
}

function button(label, cls, onClick, a) {
  const b = h('button', { type: 'button', class: cls, dataset: { approval: a.id }, 'aria-label': `${label} tool call ${a.id}` }, label);
  b.addEventListener('click', onClick);
  return b;
}

/** The waiting calls (an /api/approvals list); null when there are none. <done> redraws the page after a decision. */
export function approvalsCard(list, message, done) {
  if (!list?.length) return null;
  const rows = list.map((a) => h('tr', { class: 'alarm', dataset: { approvalId: a.id } },
    h('td', { class: 'num' }, a.id), h('td', {}, h('a', { href: `#/jobs/${a.job_id}` }, `#${a.job_id}`)), h('td', { class: 'num' }, a.attempt),
    h('td', { class: 'num' }, fmt.secs(a.age_s)), h('td', {}, a.tool), h('td', { class: 'mono why' }, a.arguments),
    h('td', {},
      button('Allow', 'primary', decide(a, 'allow', false, message, done), a), ' ',
      button('Deny', 'danger', decide(a, 'deny', false, message, done), a), ' ',
      button('Always', '', decide(a, 'allow', true, message, done), a))));
  return h('section', { class: 'card', 'aria-labelledby': 'h-approvals' },
    h('h2', { id: 'h-approvals' }, 'Tool calls waiting for you'),
    table(['ID', 'Job', ['Attempt', 'num'], ['Age', 'num'], 'Tool', 'Arguments', ''], rows, { id: 'approvals' }));
}
