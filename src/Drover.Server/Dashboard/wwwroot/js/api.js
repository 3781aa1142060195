// The Drover API over the session cookie: same origin only, JSON in and out.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const listeners = new Set();

/** Called with no argument when the session is gone (401), so the page can say how to log in again. */
export function onLoggedOut(fn) {
  listeners.add(fn);
}

async function send(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  if (r.status === 401) listeners.forEach((fn) => fn());
  if (!r.ok) {
    let message = `${r.status} ${r.statusText}`;
    try {
      const err = await r.json();
      if (err && err.error) message = err.error;
    } catch {
      // not JSON
    }
    throw new ApiError(r.status, message);
  }
  return r.status === 204 ? null : r.json();
}

export const get = (path) => send('GET', path);
export const post = (path, body) => send('POST', path, body);

/** GET that answers null when the server has no such endpoint (404): features built separately may be missing. */
export async function getOptional(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** GET of text/plain with its response headers (the job log). */
export async function getText(path) {
  const r = await fetch(path, { credentials: 'same-origin' });
  if (r.status === 401) listeners.forEach((fn) => fn());
  if (!r.ok) throw new ApiError(r.status, `${r.status} ${r.statusText}`);
  return { text: await r.text(), headers: r.headers };
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}
