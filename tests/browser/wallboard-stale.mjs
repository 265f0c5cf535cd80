// Story (run by tests/wallboard_stale.rs): the supervisor watches the wallboard of a CRM
// whose engine is a separate process. While the engine reports, the board is fresh; when the
// engine goes away, the wallboard says within seconds that its figures may be out of date
// (the red banner) instead of showing a calm that nobody measured.
import { BASE, check, env, logIn, run, shot, step } from './lib.mjs';

await run(
  async ({ page }) => {
    await page.goto(`${BASE}/wallboard`);
    await logIn(page, env('CENTRALINO_LOGIN'), env('CENTRALINO_PASSWORD'), '/wallboard');
    await page.waitForSelector('article[data-queue]', { timeout: 30000 });
    check(await page.isHidden('#stale'), 'a board the engine feeds is not stale');
    step('fresh');

    await page.waitForSelector('#stale', { state: 'visible', timeout: 30000 });
    const banner = ((await page.textContent('#stale')) || '').trim();
    check(banner.includes('out of date'), `the banner says why: ${banner}`);
    check(await page.evaluate(() => document.body.classList.contains('is-stale')), 'the figures are greyed');
    await shot(page, 'wallboard-stale');
    step('stale', { banner });
  },
  1920,
  1080,
);
