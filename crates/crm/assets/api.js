// The CRM's HTTP API as the pages use it: the session is the HttpOnly cookie the login set
// (the browser sends it; scripts never see it), and every change carries the CSRF token that
// GET /api/v1/me hands out. A 401 sends the browser to the login form, which brings it back.

let csrfToken = null;

/** An error answer of the API: {status, code, message, rule, currentRevision}. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || '';
    this.rule = error.rule || null;
    this.currentRevision = error.current_revision ?? null;
  }
}

/** Leaves for the login form, to come back to this page afterwards. */
export function toLogin(reason) {
  const next = encodeURIComponent(location.pathname);
  const extra = reason ? `&${reason}` : '';
  location.assign(`/?next=${next}${extra}`);
}

async function parse(response) {
  if (response.status === 204) return null;
  const type = response.headers.get('content-type') || '';
  return type.includes('application/json') ? response.json() : null;
}

/**
 * One request. `body` goes as JSON; `ifMatch` (a revision) as If-Match. Resolves to
 * {body, etag}; rejects with ApiError. 401 leaves for the login form.
 */
export async function request(method, path, { body, ifMatch } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (ifMatch !== undefined && ifMatch !== null) headers['If-Match'] = `"${ifMatch}"`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const parsed = await parse(response).catch(() => null);
  if (response.status === 401) {
    toLogin();
    throw new ApiError(401, parsed);
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  const etag = response.headers.get('etag');
  return { body: parsed, etag: etag ? Number(etag.replaceAll('"', '')) : null };
}

export const get = (path) => request('GET', path).then((r) => r.body);

/** The CSRF token of this session (after me() or login()), for requests built by hand. */
export const csrf = () => csrfToken;
export const post = (path, body, options = {}) => request('POST', path, { body, ...options });

/** Who is logged in (and the CSRF token for changes); the login form if nobody. */
export async function me() {
  const { body } = await request('GET', '/api/v1/me');
  csrfToken = body.csrf_token;
  return body.user;
}

/** Logs out (the CRM ends the session and clears the cookie) and goes to the login form. */
export async function logout() {
  try {
    await request('POST', '/api/v1/logout');
  } finally {
    location.assign('/');
  }
}

/** A page's login: the session goes into the cookie. */
export async function login(loginName, password) {
  const response = await fetch('/api/v1/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ login: loginName, password, cookie: true }),
    credentials: 'same-origin',
  });
  const body = await parse(response).catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  csrfToken = body.csrf_token;
  return body;
}

/**
 * Follows an SSE stream with the cookie. `handlers` maps event names to functions of the
 * parsed data; `onState(open)` hears the connection go and come back. EventSource reconnects
 * by itself; a stream that keeps failing may mean the session ended: /me finds out (and a
 * 401 leads to the login form).
 */
export function follow(path, handlers, onState = () => {}) {
  const source = new EventSource(path, { withCredentials: true });
  source.onopen = () => onState(true);
  source.onerror = () => {
    onState(false);
    me().catch(() => {});
  };
  for (const [name, handle] of Object.entries(handlers)) {
    source.addEventListener(name, (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      handle(data);
    });
  }
  return source;
}
