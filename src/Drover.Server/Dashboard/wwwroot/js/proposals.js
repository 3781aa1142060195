// Proposals (SPEC §12): jobs other jobs proposed with DROVER_PROPOSE, waiting for a person; Accept queues one,
// Reject cancels it (with an optional reason) and its key is not proposed again for [proposals] remember.
import { getOptional, post } from './api.js';
import { debounce, fmt, h, notice, replace, table } from './dom.js';
import { subscribe } from './events.js';

function decide(p, accept, reason, message, done) {
  return async (e) => {
    e.target.disabled = true;
    try {
      if (accept) await post(`/api/proposals/${p.id}/accept`);
      else await post(`/api/proposals/${p.id}/reject`, reason.value.trim() ? { reason: reason.value.trim() } : {});
      replace(message, notice(`Proposal ${p.id} ${accept ? 'accepted: it is queued' : 'rejected'}.`));
    } catch (err) {
      replace(message, notice(`Proposal ${p.id}: ${err.message}`, 'error'));
    }
    await done();
  };
}

function button(label, cls, onClick, p) {
  const b = h('button', { type: 'button', class: cls, dataset: { proposal: p.id }, 'aria-label': `${label} proposal ${p.id}` }, label);
  b.addEventListener('click', onClick);
  return b;
}

function row(p, message, done) {
  const reason = h('input', { type: 'text', maxlength: '1000', placeholder: 'reason (optional)', 'aria-label': `Reason to reject proposal ${p.id}` });
  return h('tr', { dataset: { proposalId: p.id } },
    h('td', {}, h('a', { href: `#/jobs/${p.id}` }, `#${p.id}`)),
    h('td', {}, h('div', {}, p.title), h('div', { class: 'muted why' }, p.prompt)),
    h('td', {}, h('a', { href: `#/jobs/${p.proposed_by}` }, `#${p.proposed_by}`)),
    h('td', { class: 'num' }, fmt.secs(p.age_s)),
    h('td', {}, p.engine),
    h('td', { class: 'mono' }, p.repo),
    h('td', {},
      button('Accept', 'primary', decide(p, true, reason, message, done), p), ' ',
      reason, ' ',
      button('Reject', 'danger', decide(p, false, reason, message, done), p)));
}

export async function renderProposals(main) {
  const message = h('div', { role: 'status' });
  const draw = async () => {
    const data = await getOptional('/api/proposals');
    if (data === null) {
      replace(main, h('h1', {}, 'Proposals'), notice('Proposals unavailable on this server.'));
      return;
    }
    const rows = data.proposals.map((p) => row(p, message, () => draw().catch(() => null)));
    replace(main, h('h1', {}, 'Proposals'), message,
      rows.length ? table(['Job', 'Title', 'Proposed by', ['Age', 'num'], 'Engine', 'Repo', ''], rows, { id: 'proposals' })
        : notice('No proposals waiting. A job proposes work by printing DROVER_PROPOSE {json spec} lines.'));
  };
  await draw();
  const refresh = debounce(() => draw().catch(() => null), 500);
  return subscribe((e) => {
    if (e.type === 'job.proposed' || e.type === 'job.proposal_accepted' || e.type === 'job.cancelled') refresh();
  });
}
