// One job: state, why it waits, actions, facts, attempts, a live log tail, events and the spec.
import { get, getText, post } from './api.js';
import { badge, debounce, fmt, h, notice, replace, table, timeEl } from './dom.js';
import { subscribe } from './events.js';
import { approvalsCard } from './approvals.js';

const LOG_KEEP = 256 * 1024;

function actionButton(label, cls, run) {
  const b = h('button', { type: 'button', class: cls }, label);
  b.addEventListener('click', async () => {
    b.disabled = true;
    await run();
    b.disabled = false;
  });
  return b;
}

function actions(job, act) {
  const out = [];
  if (['queued', 'running', 'blocked'].includes(job.state))
    out.push(actionButton('Cancel job', 'danger', () => act('cancel')));
  if (['failed', 'cancelled'].includes(job.state))
    out.push(actionButton('Retry', 'primary', () => act('retry')));
  const forms = [];
  if (job.state === 'blocked' && job.blocked_on === 'question') {
    const text = h('textarea', { id: 'answer-text', name: 'answer', rows: 3, required: true });
    const form = h('form', { class: 'inline', id: 'answer-form', 'aria-label': 'Answer the question' },
      h('label', { for: 'answer-text' }, `Question: ${job.question}`, text),
      h('button', { type: 'submit', class: 'primary' }, 'Send answer'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      act('answer', { answer: text.value });
    });
    forms.push(form);
  }
  if (job.state === 'blocked' && job.blocked_on === 'approval') {
    const reason = h('input', { id: 'review-reason', name: 'reason', placeholder: 'optional' });
    forms.push(h('div', { class: 'inline' },
      h('label', { for: 'review-reason' }, 'Review note', reason),
      actionButton('Approve', 'primary', () => act('approve', { approve: true, reason: reason.value || null })),
      actionButton('Reject', 'danger', () => act('approve', { approve: false, reason: reason.value || null }))));
  }
  return [h('div', { class: 'actions' }, out), forms];
}

function facts(job) {
  const u = job.usage || {};
  const rows = [
    ['Engine', job.engine], ['Priority', job.priority], ['Attempts', `${job.attempt} started, ${job.failures} failed of ${job.max_attempts} allowed`],
    ['Worker', job.worker || '—'], ['Branch', job.branch ? h('code', {}, job.branch) : '—'],
    ['Head', job.head ? h('code', {}, job.head.slice(0, 12)) : '—'],
    ['Diff', job.diff ? `${job.diff.files} files, +${job.diff.added} −${job.diff.deleted}` : '—'],
    ['Tokens', `${fmt.num(u.input_tokens)} in (${fmt.num(u.cached_input_tokens)} cached), ${fmt.num(u.output_tokens)} out`],
    ['Cost', `${u.cost_source === 'unknown' || !u.cost_source ? 'unknown' : `${fmt.usd(u.cost_usd)} (${u.cost_source})`}${u.model ? ` · ${u.model}` : ''}`],
    ['Gateway', job.gateway_spend ? `${job.gateway_spend.requests} requests, ${fmt.usd(job.gateway_spend.cost_usd)}` : '—'],
    ['Labels', Object.entries(job.labels || {}).map(([k, v]) => `${k}=${v}`).join(', ') || '—'],
    ['Created', timeEl(job.created_at)], ['Updated', timeEl(job.updated_at)],
  ];
  if (job.summary) rows.push(['Summary', job.summary]);
  return h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function attempts(list) {
  if (!list?.length) return h('p', { class: 'muted' }, 'No attempt yet.');
  return h('ol', { class: 'timeline', id: 'attempts' }, list.map((a) => h('li', { class: `st-${a.state}` },
    h('strong', {}, `Attempt ${a.n}`), ' ', badge(a.state), a.class ? [' ', badge(a.class)] : null,
    h('div', { class: 'muted' }, `on ${a.worker} · started ${fmt.time(a.started_at)}`,
      a.duration_s !== null ? ` · ${fmt.secs(a.duration_s)}` : ' · running',
      a.exit_code !== null ? ` · exit ${a.exit_code}` : '',
      a.usage?.cost_usd && a.usage.cost_source !== 'unknown' ? ` · ${fmt.cost(a.usage)}` : '',
      a.diff ? ` · ${a.diff.files} files +${a.diff.added} −${a.diff.deleted}` : ''),
    a.reason ? h('div', {}, a.reason) : null)));
}

function eventsTable(list) {
  if (!list?.length) return h('p', { class: 'muted' }, 'No events.');
  return table(['ID', 'At', 'Type', 'Worker', 'Data'], list.slice().reverse().map((e) => h('tr', {},
    h('td', { class: 'num' }, e.id), h('td', {}, fmt.time(e.at)), h('td', {}, e.type), h('td', {}, e.worker || ''),
    h('td', { class: 'mono why' }, JSON.stringify(e.data)))));
}

/** Polls the log endpoint (offset/attempt headers, see LogStreaming) and appends to <pre>; follows new attempts. */
function logTail(id, pre, latestAttempt) {
  let attempt = null;
  let offset = 0;
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    let ended = true;
    try {
      const path = `/api/jobs/${id}/log?offset=${offset}${attempt ? `&attempt=${attempt}` : ''}`;
      const { text, headers } = await getText(path);
      const n = Number(headers.get('X-Drover-Attempt'));
      if (attempt === null && n > 0) attempt = n;
      offset = Number(headers.get('X-Drover-Offset') || offset);
      ended = headers.get('X-Drover-Attempt-Ended') === '1';
      if (text) {
        const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
        pre.textContent = (pre.textContent + text).slice(-LOG_KEEP);
        if (atBottom) pre.scrollTop = pre.scrollHeight;
      }
      if (ended && attempt !== null && latestAttempt() > attempt) {
        attempt += 1;
        offset = 0;
        pre.textContent += `\n── attempt ${attempt} ──\n`;
        ended = false;
      }
    } catch {
      ended = false;
    }
    if (!stopped) timer = setTimeout(tick, ended ? 3000 : 700);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export async function renderJob(main, { args }) {
  const id = Number(args[0]);
  const logPre = h('pre', { class: 'log', id: 'log', tabindex: 0, 'aria-label': 'Log', 'aria-live': 'off' });
  const top = h('div');
  const detail = h('div');
  const message = h('div', { role: 'status' });
  let job = null;

  const act = async (verb, body) => {
    try {
      await post(`/api/jobs/${id}/${verb}`, body);
      replace(message, notice(`${verb}: done.`));
      await draw();
    } catch (e) {
      replace(message, notice(`${verb}: ${e.message}`, 'error'));
    }
  };

  const draw = async () => {
    job = await get(`/api/jobs/${id}`);
    const keepFocus = document.activeElement?.id;
    replace(top,
      h('h1', {}, `#${job.id} ${job.title} `, badge(job.state)),
      job.why ? h('p', { class: 'notice', id: 'why' }, h('strong', {}, 'Why it waits: '), job.why) : null,
      job.class ? h('p', { class: 'notice error' }, h('strong', {}, `Last failure (${job.class}): `), job.reason || '') : null,
      actions(job, act),
      approvalsCard(job.pending_approvals, message, () => draw().catch(() => null)));
    replace(detail,
      h('div', { class: 'grid' },
        h('section', { class: 'card' }, h('h2', {}, 'Job'), facts(job)),
        h('section', { class: 'card' }, h('h2', {}, 'Attempts'), attempts(job.attempts))),
      h('h2', {}, 'Events'), eventsTable(job.events),
      h('h2', {}, 'Spec'), h('pre', { class: 'spec', tabindex: 0 }, JSON.stringify(job.spec, null, 2)));
    if (keepFocus && document.getElementById(keepFocus)) document.getElementById(keepFocus).focus();
  };

  try {
    await draw();
  } catch (e) {
    replace(main, h('h1', {}, `Job #${id}`), notice(e.message, 'error'), h('a', { href: '#/jobs' }, 'All jobs'));
    return null;
  }
  replace(main, h('p', {}, h('a', { href: '#/jobs' }, '← Jobs')), top, message,
    h('h2', {}, 'Log'), logPre, detail);
  const stopLog = logTail(id, logPre, () => job?.attempt ?? 0);
  const refresh = debounce(() => draw().catch(() => null), 300);
  const unsubscribe = subscribe((e) => {
    if (e.job_id === id) refresh();
  });
  return () => {
    stopLog();
    unsubscribe();
  };
}
