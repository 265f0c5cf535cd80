// Story (run by tests/wallboard_page.rs): the supervisor opens the wallboard (via the login
// form), sees the technology queue empty; two SIPp callers queue and the waiting count goes
// to 2 with the "no operators" warning; they hang up and it goes back to 0 with both counted
// as abandoned. Screenshots at wall-screen size and at laptop width.
import { BASE, check, env, logIn, run, shot, step } from './lib.mjs';

const QUEUE = env('EXPECT_QUEUE', 'technology');
const card = `article[data-queue="${QUEUE}"]`;

async function figure(page, field) {
  return ((await page.textContent(`${card} [data-field="${field}"] .value`)) || '').trim();
}

async function waitWaiting(page, count, timeout) {
  await page.waitForFunction(
    ([selector, expected]) => document.querySelector(selector)?.textContent.trim() === expected,
    [`${card} [data-field="waiting"] .value`, String(count)],
    { timeout },
  );
}

await run(
  async ({ page }) => {
    await page.goto(`${BASE}/wallboard`);
    check(new URL(page.url()).pathname === '/', `an anonymous browser goes to the login form, not ${page.url()}`);
    await logIn(page, env('CENTRALINO_LOGIN'), env('CENTRALINO_PASSWORD'), '/wallboard');
    await page.waitForSelector(card, { timeout: 15000 });
    await waitWaiting(page, 0, 15000);
    check(await page.isHidden('#stale'), 'a fresh board is not stale');
    step('quiet', { waiting: 0 });

    await waitWaiting(page, 2, 60000);
    const warned = await page.getAttribute(card, 'class');
    check(warned.includes('warning'), `callers without operators are flagged: class ${warned}`);
    // The chart has this minute's peak.
    await page.evaluate(() => window.dispatchEvent(new Event('centralino:history')));
    await page.waitForSelector(`#chart path[data-queue="${QUEUE}"]`, { state: 'attached' });
    await shot(page, 'wallboard');
    step('busy', { waiting: 2, class: warned });

    await waitWaiting(page, 0, 60000);
    await page.waitForFunction(
      (selector) => document.querySelector(selector)?.textContent.trim() === '2',
      `${card} [data-field="abandoned"] .value`,
      { timeout: 15000 },
    );
    const abandoned = await figure(page, 'abandoned');
    const breached = await page.getAttribute(card, 'class');
    check(breached.includes('breach'), `two abandoned of two breaches the 5 % threshold: class ${breached}`);
    // The chart has this minute's sample of the queue, for the screenshot after.
    await page.evaluate(() => window.dispatchEvent(new Event('centralino:history')));
    await page.waitForSelector(`#chart path[data-queue="${QUEUE}"]`, { state: 'attached', timeout: 15000 });
    await shot(page, 'wallboard-after');
    await page.setViewportSize({ width: 1366, height: 768 });
    await shot(page, 'wallboard-laptop');
    step('done', { waiting: 0, abandoned: Number(abandoned), class: breached });
  },
  1920,
  1080,
);
