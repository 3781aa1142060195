// The dashboard: hash routes (#/, #/jobs, #/jobs/ID, …), each a view that renders into <main> and returns a
// function that stops whatever it keeps running (timers, event subscriptions) when the route changes.
import { onLoggedOut, post } from './api.js';
import { h, notice, replace } from './dom.js';
import * as events from './events.js';
import { renderOverview } from './overview.js';
import { renderJobs } from './jobs.js';
import { renderJob } from './job.js';
import { renderWorkers, renderProviders } from './fleet.js';
import { renderUsage } from './usage.js';
import { renderAlerts } from './alerts.js';
import { renderReports } from './reports.js';
import { renderSchedules } from './schedules.js';
import { renderProposals } from './proposals.js';

const routes = [
  [/^\/?$/, 'overview', renderOverview],
  [/^\/jobs$/, 'jobs', renderJobs],
  [/^\/jobs\/(\d+)$/, 'jobs', renderJob],
  [/^\/workers$/, 'workers', renderWorkers],
  [/^\/providers$/, 'providers', renderProviders],
  [/^\/usage$/, 'usage', renderUsage],
  [/^\/alerts$/, 'alerts', renderAlerts],
  [/^\/reports$/, 'reports', renderReports],
  [/^\/schedules$/, 'schedules', renderSchedules],
  [/^\/proposals$/, 'proposals', renderProposals],
];

const main = document.getElementById('main');
const live = document.getElementById('live');
let stop = null;
let routeSeq = 0;
let loggedOut = false;

function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = decodeURIComponent(q < 0 ? raw : raw.slice(0, q));
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  return { path, params };
}

async function route() {
  if (loggedOut) return;
  if (stop) {
    stop();
    stop = null;
  }
  delete main.dataset.ready;
  const { path, params } = parseHash();
  const match = routes.find(([re]) => re.test(path));
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (match && a.dataset.nav === match[1]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!match) {
    routeSeq += 1;
    replace(main, h('h1', {}, 'Not found'), notice(`No page at #${path}.`), h('a', { href: '#/' }, 'Back to the overview'));
    return;
  }
  const [re, name, render] = match;
  document.title = `Drover · ${name}`;
  const ctx = { params, args: path.match(re).slice(1) };
  // Each route draws into its own element: a slow render finishing after the next navigation lands in a detached
  // element and is stopped at once, instead of drawing over the page now shown.
  const seq = ++routeSeq;
  const view = h('div', { class: 'view' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, view);
  let stopView = null;
  try {
    stopView = (await render(view, ctx)) || null;
  } catch (e) {
    replace(view, h('h1', {}, 'Error'), notice(e.message || String(e), 'error'));
  }
  if (seq !== routeSeq) {
    if (stopView) stopView();
    return;
  }
  stop = stopView;
  // First render done (its data loaded): tests and screenshots wait for this.
  main.dataset.ready = '1';
}

function showLoggedOut() {
  if (loggedOut) return;
  loggedOut = true;
  if (stop) stop();
  events.disconnect();
  live.textContent = 'logged out';
  live.className = 'live off';
  replace(main, h('h1', {}, 'Logged out'),
    notice('Your session has ended. Run `drover dashboard` on the server machine for a new login link.'));
}

onLoggedOut(showLoggedOut);
document.getElementById('logout').addEventListener('click', async () => {
  await post('/logout').catch(() => null);
  showLoggedOut();
});
window.addEventListener('hashchange', () => {
  route();
  main.focus({ preventScroll: true });
});
events.connect((up) => {
  if (loggedOut) return;
  live.textContent = up ? 'live' : 'reconnecting…';
  live.className = up ? 'live on' : 'live off';
});
route();
