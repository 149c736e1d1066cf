// The service's public URLs with the browser session: the CSRF token on writes, errors as ApiError with the
// server's own explanation.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.error || body.detail)) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function csrfToken() {
  const row = document.cookie.split('; ').find((c) => c.startsWith('csrftoken='));
  return row ? decodeURIComponent(row.slice('csrftoken='.length)) : '';
}

export function url(path, params = {}) {
  const u = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  }
  return u.pathname + u.search;
}

async function answer(resp) {
  const type = resp.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await resp.json().catch(() => null) : null;
  if (!resp.ok) throw new ApiError(resp.status, body);
  return body;
}

export async function getJSON(path, params = {}) {
  const resp = await fetch(url(path, params), { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  return answer(resp);
}

export function postJSON(path, body = {}) {
  return sendJSON('POST', path, body);
}

export async function sendJSON(method, path, body = {}) {
  const resp = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrfToken() },
    body: JSON.stringify(body),
  });
  return answer(resp);
}
