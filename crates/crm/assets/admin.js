// Shared by the administration pages: who is logged in, the message line, changes sent with
// the CSRF token (raw bodies too: recordings, archives, script text), and the audit table.
import { ApiError, csrf, get, logout, me, toLogin } from './api.js';
import { dateTime, el, fill, words } from './format.js';

const $ = (id) => document.getElementById(id);

/** A refusal of the engine or the CRM: the message, and a script's problems by line. */
export class AdminError extends ApiError {
  constructor(status, body) {
    super(status, body);
    this.problems = (body && body.problems) || [];
  }
}

/** Shows `text` on the message line: an error unless `ok`. */
export function say(text, ok = false) {
  const message = $('message');
  message.textContent = text;
  message.dataset.kind = ok ? 'ok' : 'error';
  message.hidden = !text;
}

/**
 * A change: `method` on `path` with `body` (a Blob, an ArrayBuffer or a string, sent as it
 * is). Resolves to the JSON answer; rejects with AdminError.
 */
export async function change(method, path, body, type = 'application/octet-stream') {
  const headers = { Accept: 'application/json', 'X-CSRF-Token': csrf() };
  if (body !== undefined) headers['Content-Type'] = type;
  const response = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (response.status === 401) {
    toLogin();
    throw new AdminError(401, parsed);
  }
  if (!response.ok) throw new AdminError(response.status, parsed);
  return parsed;
}

/** The recent changes, newest first, into the table #audit. */
export async function showAudit() {
  const { changes } = await get('/api/v1/admin/audit?limit=20');
  const rows = changes.map((c) =>
    el(
      'tr',
      { dataset: { action: c.action, subject: c.subject } },
      el('td', {}, dateTime(c.at_unix_ms)),
      el('td', {}, c.login),
      el('td', {}, words(c.action)),
      el('td', {}, c.subject),
      el('td', { class: 'detail' }, c.detail),
    ),
  );
  fill(
    document.querySelector('#audit tbody'),
    rows.length ? rows : el('tr', {}, el('td', { colspan: 5, class: 'idle' }, 'No changes yet.')),
  );
}

/** Logs the page in (the login form if nobody is); administrators only. */
export async function startPage() {
  const user = await me();
  $('user-name').textContent = `${user.name} (${user.login})`;
  $('logout').addEventListener('click', () => logout());
  if (!user.roles.includes('administrator')) {
    toLogin('denied');
    throw new Error('administrators only');
  }
  return user;
}

/** Runs `work` with `button` disabled; says a refusal. */
export async function busy(button, work) {
  button.disabled = true;
  try {
    return await work();
  } catch (error) {
    say(error.message || String(error));
    return undefined;
  } finally {
    button.disabled = false;
  }
}
