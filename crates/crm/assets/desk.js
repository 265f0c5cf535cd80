// The operator's desktop: my state (over POST /api/v1/desk/state), the screen pop of the
// call offered to me (pushed on GET /api/v1/desk/events), the SR it opened, worked with the
// case commands, and a search box. /desk/sr/{number} opens the desk on one SR.
import { ApiError, follow, get, me, logout, post } from './api.js';
import { clock, duration, el, fill, words } from './format.js';
import { openCase } from './desk-case.js';
import { initSearch } from './desk-search.js';
import {
  initSoftphone, softphoneConnected, softphoneEnded, softphoneOffered, softphoneState,
} from './desk-softphone.js';

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------------------------------
// my state

let stateSince = null;

function showState(event) {
  const badge = $('my-state');
  badge.textContent = words(event.state);
  badge.dataset.state = event.state;
  $('my-reason').textContent = event.reason ? `(${words(event.reason)})` : '';
  $('my-answered').textContent = event.answered_today ?? '–';
  stateSince = Date.now() - (event.in_state_ms || 0);
  tick();
}

function tick() {
  $('my-time').textContent = stateSince === null ? '–' : duration(Date.now() - stateSince);
}

function sayState(text) {
  $('state-message').textContent = text;
  $('state-message').hidden = !text;
}

async function setState(action) {
  sayState('');
  const body = { action };
  if (action === 'not_ready') body.reason = $('not-ready-reason').value;
  try {
    await post('/api/v1/desk/state', body);
  } catch (error) {
    sayState(error instanceof ApiError ? error.message : `Cannot reach the CRM: ${error.message}`);
  }
}

// ------------------------------------------------------------------------------------------
// the call

/**
 * Shows a call: `pop` has the shape of an `offered` event ({service_request, waited_ms,
 * customer, candidates}); `phase` says where the call is.
 */
function showCall(pop, phase) {
  const sr = pop.service_request;
  const call = sr.call || {};
  $('call-idle').hidden = true;
  $('call-body').hidden = false;
  $('call').dataset.callId = sr.call_id || '';
  $('pop-sr').textContent = sr.number;
  $('pop-sr-state').textContent = words(sr.state);
  $('pop-sr-state').dataset.state = sr.state;
  $('pop-phase').textContent = phase;
  $('pop-caller').textContent = call.caller_number || 'withheld';
  $('pop-queue').textContent = call.queue || '–';
  $('pop-waited').textContent = duration(pop.waited_ms ?? call.waited_ms);
  $('pop-arrived').textContent = clock(call.started_at_unix_ms || sr.created_at_unix_ms);
  const ivr = (call.ivr_data || []).flatMap((entry) => [
    el('dt', {}, words(entry.key)),
    el('dd', { dataset: { key: entry.key } }, entry.value),
  ]);
  fill($('pop-ivr'), ivr.length ? ivr : el('dd', {}, 'no choices'));
  showCustomer(pop);
}

function recentList(requests) {
  if (!requests || requests.length === 0) return el('p', { class: 'idle' }, 'No earlier SRs.');
  return el(
    'ul',
    { class: 'recent' },
    requests.map((r) =>
      el(
        'li',
        {},
        el('a', { href: `/desk/sr/${encodeURIComponent(r.number)}`, onclick: (e) => openSr(e, r.number) }, r.number),
        ` ${words(r.state)} · ${clock(r.created_at_unix_ms)} ${new Date(r.created_at_unix_ms).toLocaleDateString()}`,
        r.service_area ? ` · ${r.service_area}` : '',
      ),
    ),
  );
}

function showCustomer(pop) {
  const box = $('pop-customer');
  if (pop.customer) {
    const c = pop.customer.customer;
    $('pop-customer-title').textContent = 'Identified customer';
    fill(
      box,
      el('p', { class: 'customer-name', id: 'pop-customer-name' }, c.display_name || '(guest)'),
      c.tax_code ? el('p', {}, `Tax code ${c.tax_code}`) : null,
      c.discrepancy ? el('p', { class: 'warn' }, `Data flagged: ${c.discrepancy.note}`) : null,
      el('h4', {}, 'Recent SRs'),
      recentList(pop.customer.recent_requests),
    );
  } else if (pop.candidates && pop.candidates.length > 0) {
    $('pop-customer-title').textContent = 'Not identified: customers at this number';
    fill(
      box,
      el(
        'ul',
        { class: 'candidates' },
        pop.candidates.map((c) => el('li', {}, c.display_name || '(guest)', c.tax_code ? ` · ${c.tax_code}` : '')),
      ),
    );
  } else {
    $('pop-customer-title').textContent = 'Customer';
    fill(box, el('p', { class: 'idle' }, 'Not identified, and nobody known at this number.'));
  }
}

async function popOf(sr) {
  const call = sr.call || {};
  const pop = { service_request: sr, waited_ms: call.waited_ms, customer: null, candidates: [] };
  try {
    if (call.customer) {
      pop.customer = await get(`/api/v1/customers/${encodeURIComponent(call.customer)}/pop?limit=10`);
    } else if (call.caller_number) {
      const found = await get(`/api/v1/customers?caller_number=${encodeURIComponent(call.caller_number)}`);
      pop.candidates = found.customers;
    }
  } catch {
    // The SR shows without the customer.
  }
  return pop;
}

/** Opens an SR on the desk (call panel and case), and puts it in the address bar. */
async function openSr(event, number) {
  if (event) event.preventDefault();
  const path = `/desk/sr/${encodeURIComponent(number)}`;
  if (location.pathname !== path) history.pushState({ number }, '', path);
  await loadSr(number);
}

async function loadSr(number) {
  try {
    const sr = await get(`/api/v1/service-requests/${encodeURIComponent(number)}`);
    showCall(await popOf(sr), sr.call && sr.call.outcome ? `call ${words(sr.call.outcome)}` : 'opened');
  } catch (error) {
    fill($('call-idle'), error.status === 404 ? `No SR ${number}.` : error.message);
    $('call-idle').hidden = false;
    $('call-body').hidden = true;
  }
  await openCase(number);
}

function srFromPath() {
  const match = location.pathname.match(/^\/desk\/sr\/([A-Za-z0-9-]{1,64})$/);
  return match ? decodeURIComponent(match[1]) : null;
}

// ------------------------------------------------------------------------------------------

async function main() {
  const user = await me();
  $('user-name').textContent = `${user.name} (${user.login})`;
  $('logout').addEventListener('click', () => logout());
  for (const button of document.querySelectorAll('[data-action]')) {
    button.addEventListener('click', () => setState(button.dataset.action));
  }
  setInterval(tick, 1000);
  initSearch((number) => openSr(null, number));
  initSoftphone();
  window.addEventListener('popstate', () => {
    const number = srFromPath();
    if (number) loadSr(number);
  });

  follow(
    '/api/v1/desk/events',
    {
      state: (event) => {
        showState(event);
        softphoneState(event);
      },
      offered: (pop) => {
        showCall(pop, 'ringing');
        openCase(pop.service_request.number);
        softphoneOffered(pop);
      },
      connected: (event) => {
        softphoneConnected(event);
        if ($('call').dataset.callId === event.call_id) $('pop-phase').textContent = 'talking';
      },
      ended: (event) => {
        softphoneEnded(event);
        if ($('call').dataset.callId !== event.call_id) return;
        const outcome = event.service_request.call && event.service_request.call.outcome;
        $('pop-phase').textContent = outcome ? `ended: ${words(outcome)}` : 'ended';
      },
      lagged: () => sayState('Some events were missed: reload the page if anything looks stale.'),
    },
    (open) => {
      $('connection').hidden = open;
    },
  );

  const number = srFromPath();
  if (number) await loadSr(number);
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  if (!(error instanceof ApiError && error.status === 401)) sayState(error.message);
});
