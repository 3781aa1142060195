// Alerts: open first, each with an Ack button.
import { getOptional, post } from './api.js';
import { debounce, fmt, h, notice, replace, table, timeEl } from './dom.js';
import { subscribe } from './events.js';

export async function renderAlerts(main) {
  const message = h('div', { role: 'status' });
  const draw = async () => {
    const data = await getOptional('/api/alerts?all=1');
    if (data === null) {
      replace(main, h('h1', {}, 'Alerts'), notice('Alerts unavailable on this server.'));
      return;
    }
    const alerts = [...data.alerts].sort((a, b) => (a.acked_at ? 1 : 0) - (b.acked_at ? 1 : 0) || Date.parse(b.last_at) - Date.parse(a.last_at));
    const rows = alerts.map((a) => {
      const ack = a.acked_at ? h('span', { class: 'muted' }, `${a.acked_by ?? 'acked'} ${fmt.ago(a.acked_at)}`) : h('button', { type: 'button', dataset: { alert: a.id } }, 'Ack');
      if (!a.acked_at) {
        ack.addEventListener('click', async () => {
          ack.disabled = true;
          try {
            await post(`/api/alerts/${a.id}/ack`);
            replace(message, notice(`Alert ${a.id} acknowledged.`));
          } catch (e) {
            replace(message, notice(e.message, 'error'));
          }
          await draw();
        });
      }
      return h('tr', { class: a.acked_at ? null : 'alarm' }, h('td', {}, a.kind), h('td', {}, a.subject), h('td', {}, a.message),
        h('td', {}, timeEl(a.first_at)), h('td', {}, timeEl(a.last_at)), h('td', { class: 'num' }, a.count), h('td', {}, ack));
    });
    replace(main, h('h1', {}, 'Alerts'), message,
      alerts.length ? table(['Kind', 'Subject', 'Message', 'First', 'Last', ['Count', 'num'], ''], rows, { id: 'alerts' }) : notice('No alerts.'));
  };
  await draw();
  const refresh = debounce(() => draw().catch(() => null), 500);
  const unsubscribe = subscribe((e) => {
    if (e.type.startsWith('alert.') || e.type.startsWith('worker.')) refresh();
  });
  return unsubscribe;
}
