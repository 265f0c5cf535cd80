// The login form: logs in for a cookie session and goes to the page the person came from, or
// to their own (the wallboard for supervisors, the desk for operators).
import { ApiError, login } from './api.js';

const PAGES = ['/desk', '/wallboard', '/admin/prompts', '/admin/ivr'];
const form = document.getElementById('login-form');
const message = document.getElementById('login-message');
const params = new URLSearchParams(location.search);

function say(text) {
  message.textContent = text;
  message.hidden = !text;
}

if (params.has('denied')) {
  say('Your roles do not open that page. Log in as someone whose roles do.');
}

/** Only the pages of this CRM: never an address elsewhere. */
function safeNext(next, roles) {
  if (!next || !next.startsWith('/') || next.startsWith('//')) return null;
  const path = next.split('?')[0];
  const known = PAGES.includes(path) || /^\/desk\/sr\/[A-Za-z0-9-]{1,64}$/.test(path);
  if (!known) return null;
  if (path === '/wallboard' && !roles.includes('supervisor')) return null;
  if (path.startsWith('/admin/') && !roles.includes('administrator')) return null;
  return path;
}

function home(roles) {
  if (roles.includes('supervisor')) return '/wallboard';
  if (roles.some((r) => ['operator', 'second_level', 'rejections'].includes(r))) return '/desk';
  if (roles.includes('administrator')) return '/admin/prompts';
  return null;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  say('');
  const button = document.getElementById('login-button');
  button.disabled = true;
  try {
    const answer = await login(form.login.value.trim(), form.password.value);
    const roles = answer.user.roles;
    const target = safeNext(params.get('next'), roles) || home(roles);
    if (target) {
      location.assign(target);
    } else {
      say('Logged in, but your roles have no page here yet.');
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 429) say(error.message);
    else if (error instanceof ApiError && error.status === 401) say('Wrong login or password.');
    else say(`Cannot log in: ${error.message}`);
  } finally {
    button.disabled = false;
  }
});
