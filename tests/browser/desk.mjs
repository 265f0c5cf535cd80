// Story (run by tests/desk_pages.rs): operator 1001 opens the desk, is sent to the login
// form, logs in, takes a break and goes ready again. A SIPp caller comes through the IVR:
// the pop shows the call's SR with the caller's number, the queue and the IVR's choices, and
// the SR's case opens beside it. She adds a note, tries to resolve an unclassified SR (the
// rules refuse, and the page says why), finds the SR by the caller's number, and opens the
// desk's SR link (/desk/sr/{number}, the engine's Call-Info link) directly. A change sent
// with the cookie but without the CSRF token is refused; after logging out the API answers
// 401 and the SR link goes through the login form and back.
//
// Environment beside lib.mjs's: EXPECT_CALLER, EXPECT_QUEUE, EXPECT_IVR ("key=value"),
// EXPECT_CUSTOMER (the name of the customer the IVR identifies).
import { BASE, check, env, logIn, run, shot, step } from './lib.mjs';

const text = (page, selector) => page.textContent(selector).then((t) => (t || '').trim());

async function waitState(page, state) {
  await page.waitForSelector(`#my-state[data-state="${state}"]`, { timeout: 15000 });
}

await run(async ({ page }) => {
  const caller = env('EXPECT_CALLER');
  const queue = env('EXPECT_QUEUE');
  const [ivrKey, ivrValue] = env('EXPECT_IVR').split('=');

  // Not logged in: the desk sends the browser to the login form, which brings it back.
  await page.goto(`${BASE}/desk`);
  check(new URL(page.url()).pathname === '/', `the desk sent an anonymous browser to the login form, not ${page.url()}`);
  await shot(page, 'login');
  await logIn(page, env('CENTRALINO_LOGIN'), env('CENTRALINO_PASSWORD'), '/desk');

  // A break, then ready.
  await page.selectOption('#not-ready-reason', 'break');
  await page.click('button[data-action="not_ready"]');
  await waitState(page, 'not_ready');
  check((await text(page, '#my-reason')).includes('break'), 'the break shows its reason');
  await page.click('button[data-action="ready"]');
  await waitState(page, 'ready');
  await shot(page, 'desk-ready');
  step('ready');

  // The call pops.
  await page.waitForSelector('#call-body:not([hidden])', { timeout: 120000 });
  const sr = await text(page, '#pop-sr');
  check(/^SR-\d{4}-\d{6,}$/.test(sr), `the pop shows an SR number, not ${JSON.stringify(sr)}`);
  const shownCaller = await text(page, '#pop-caller');
  check(shownCaller === caller, `the pop shows the caller ${caller}, not ${shownCaller}`);
  const shownQueue = await text(page, '#pop-queue');
  check(shownQueue === queue, `the pop shows the queue ${queue}, not ${shownQueue}`);
  const ivr = await text(page, `#pop-ivr dd[data-key="${ivrKey}"]`).catch(() => '');
  check(ivr === ivrValue, `the pop shows the IVR's ${ivrKey} = ${ivrValue}, not ${JSON.stringify(ivr)}`);
  const customer = await text(page, '#pop-customer-name').catch(() => '');
  check(customer === env('EXPECT_CUSTOMER'), `the pop names the customer ${env('EXPECT_CUSTOMER')}, not ${JSON.stringify(customer)}`);
  const recent = await page.$$eval('#pop-customer .recent a', (links) => links.map((a) => a.textContent.trim()));
  await page.waitForSelector(`#case-body[data-number="${sr}"]`, { timeout: 15000 });
  const caseState = await page.getAttribute('#case-facts', 'data-state');
  const waited = await text(page, '#pop-waited');
  await shot(page, 'desk-pop');
  step('pop', { sr, caller: shownCaller, queue: shownQueue, ivr: { [ivrKey]: ivr }, case_state: caseState, waited, customer, recent });

  // Work the SR: a note goes into its history.
  const note = `Caller asked about ${ivrValue}: answered by phone.`;
  await page.fill('#add_note-text', note);
  await page.click('#add_note button[type="submit"]');
  await page.waitForFunction(
    (expected) => document.querySelector('#case-history')?.textContent.includes(expected),
    note,
    { timeout: 15000 },
  );
  // Resolving before classifying: the rules refuse, and the page shows their words.
  await page.click('#resolve_first_level button[type="submit"]');
  await page.waitForSelector('#case-message[data-kind="refused"]:not([hidden])', { timeout: 15000 });
  const refusal = await text(page, '#case-message');
  check(refusal.includes('refused'), `the refusal is the rule's text: ${refusal}`);
  await shot(page, 'desk-case');
  step('worked', { note, refusal });

  // Search by the caller's number finds the SR.
  await page.fill('#search-query', caller);
  await page.click('#search-form button[type="submit"]');
  await page.waitForSelector(`#search-results [data-sr="${sr}"]`, { timeout: 15000 });
  await shot(page, 'desk-search');

  // The SR link of the engine's Call-Info opens the desk on that SR.
  await page.goto(`${BASE}/desk/sr/${sr}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector(`#case-body[data-number="${sr}"]`, { timeout: 15000 });
  const reopened = await text(page, '#pop-sr');
  check(reopened === sr, `/desk/sr/${sr} shows ${reopened}`);
  check((await text(page, '#case-history')).includes(note), 'the note is in the SR history');
  await shot(page, 'desk-sr');

  // The cookie alone changes nothing: a request without the page's CSRF token is refused.
  const forged = await page.evaluate(async () => {
    const r = await fetch('/api/v1/desk/state', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ action: 'not_ready', reason: 'break' }),
    });
    return { status: r.status, code: (await r.json()).error.code };
  });
  check(forged.status === 403 && forged.code === 'csrf_refused', `a change without the CSRF token: ${JSON.stringify(forged)}`);

  // Logging out ends the session; the SR link then asks for the login first, and opens after.
  await Promise.all([page.waitForURL((url) => url.pathname === '/'), page.click('#logout')]);
  const after = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
  check(after === 401, `after logging out the API answers ${after}`);
  await page.goto(`${BASE}/desk/sr/${sr}`);
  check(new URL(page.url()).pathname === '/', `the SR link asks for the login first, not ${page.url()}`);
  await logIn(page, env('CENTRALINO_LOGIN'), env('CENTRALINO_PASSWORD'), `/desk/sr/${sr}`);
  await page.waitForSelector(`#case-body[data-number="${sr}"]`, { timeout: 15000 });
  step('done', { sr, forged_status: forged.status, status_after_logout: after });
});
