// One EventSource for the page: the server's event log from "now" on (since=latest), resumed by the browser with
// Last-Event-ID after a drop. The session cookie authenticates it (EventSource cannot send headers).

// The stream names each event by its type; EventSource only delivers named events to listeners of that name.
const TYPES = [
  'job.submitted', 'job.superseded', 'job.claimed', 'job.progress', 'job.retrying', 'job.requeued', 'job.released', 'job.verdict_held',
  'job.succeeded', 'job.failed', 'job.cancelled', 'job.blocked', 'job.answered', 'job.approved', 'job.rejected',
  'job.lost', 'job.fenced', 'worker.started', 'worker.stopped', 'worker.lost', 'fleet.paused', 'fleet.resumed',
  'engine.gated', 'engine.breaker_opened', 'engine.breaker_closed', 'engine.resumed', 'fleet.max_running',
  'provider.circuit', 'budget.alert', 'budget.exceeded', 'alert.raised', 'alert.acked',
];

const subscribers = new Set();
let source = null;

function deliver(e) {
  let data = null;
  try {
    data = JSON.parse(e.data);
  } catch {
    return;
  }
  for (const fn of subscribers) fn(data);
}

/** Opens the stream; `status` gets true/false as it connects and drops. */
export function connect(status) {
  if (source) return;
  source = new EventSource('/api/events/stream?since=latest');
  source.addEventListener('open', () => status(true));
  source.addEventListener('error', () => status(false));
  source.addEventListener('message', deliver);
  for (const t of TYPES) source.addEventListener(t, deliver);
}

export function disconnect() {
  source?.close();
  source = null;
}

/** fn(event) for every event ({id, at, type, job_id, worker, data}); returns the unsubscribe function. */
export function subscribe(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}
