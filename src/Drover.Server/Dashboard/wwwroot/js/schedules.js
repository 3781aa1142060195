// Schedules: name, cron, time zone, next run, last job, each with a Run now button.
import { getOptional, post } from './api.js';
import { badge, debounce, h, notice, replace, table, timeEl } from './dom.js';
import { subscribe } from './events.js';

export async function renderSchedules(main) {
  const message = h('div', { role: 'status' });
  const draw = async () => {
    const data = await getOptional('/api/schedules');
    if (data === null) {
      replace(main, h('h1', {}, 'Schedules'), notice('Schedules unavailable on this server.'));
      return;
    }
    const rows = data.schedules.map((s) => {
      const run = h('button', { type: 'button', dataset: { schedule: s.name } }, 'Run now');
      run.addEventListener('click', async () => {
        run.disabled = true;
        try {
          const r = await post(`/api/schedules/${encodeURIComponent(s.name)}/run`);
          replace(message, notice(`Schedule ${s.name}: job ${r.job.id} submitted.`));
        } catch (e) {
          replace(message, notice(e.message, 'error'));
        }
        await draw();
      });
      const last = s.last_job == null ? h('span', { class: 'muted' }, 'none yet')
        : h('span', {}, h('a', { href: `#/jobs/${s.last_job}` }, `#${s.last_job}`), ' ', s.last_job_state ? badge(s.last_job_state) : '');
      return h('tr', {}, h('td', {}, s.name), h('td', {}, h('code', {}, s.cron)), h('td', {}, s.timezone),
        h('td', {}, s.next_run.startsWith('9999') ? 'never' : timeEl(s.next_run)), h('td', {}, last),
        h('td', {}, `${s.overlap} / ${s.catch_up}`), h('td', {}, s.from_config ? 'drover.toml' : 'cli'), h('td', {}, run));
    });
    replace(main, h('h1', {}, 'Schedules'), message,
      rows.length ? table(['Name', 'Cron', 'Time zone', 'Next run', 'Last job', 'Overlap / catch-up', 'From', ''], rows, { id: 'schedules' })
        : notice('No schedules. Add one with drover schedule add, or [[schedules]] in drover.toml.'));
  };
  await draw();
  const refresh = debounce(() => draw().catch(() => null), 500);
  return subscribe((e) => {
    if (e.type.startsWith('schedule.') || e.type === 'job.succeeded' || e.type === 'job.failed' || e.type === 'job.claimed') refresh();
  });
}
