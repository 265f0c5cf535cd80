// Shared by the page stories: Debian's Chromium driven by playwright-core (no browser of
// its own is downloaded), a line protocol with the Rust story that runs us, screenshots.
//
// Environment (set by tests/common/browser.rs):
//   CENTRALINO_URL     the CRM's pages, e.g. http://127.0.0.1:8080
//   CENTRALINO_LOGIN, CENTRALINO_PASSWORD
//   SCREENSHOTS        the directory screenshots go to (docs/screenshots)
//   CHROMIUM           the browser (default /usr/bin/chromium)
//
// stdout carries one line per step reached: `STEP <name> <json>`; the Rust story waits for
// them (to dial SIPp callers at the right moment) and checks what they carry. Anything else
// goes to stderr. A failure exits 1 with `FAIL <what>`.
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) fail(`${name} is not set`);
  return value;
};

export const BASE = env('CENTRALINO_URL');

export function step(name, data = {}) {
  process.stdout.write(`STEP ${name} ${JSON.stringify(data)}\n`);
}

export function fail(what) {
  process.stderr.write(`FAIL ${what}\n`);
  process.exit(1);
}

export function check(condition, what) {
  if (!condition) throw new Error(what);
}

/** Starts headless Chromium (with `extraArgs`) and opens a page of `width`×`height`. */
export async function start(width = 1600, height = 1000, extraArgs = []) {
  const executablePath = env('CHROMIUM', '/usr/bin/chromium');
  if (!existsSync(executablePath)) {
    fail(`no Chromium at ${executablePath}: run scripts/test-deps.sh (as root) to install the Debian package chromium`);
  }
  // Chromium's sandbox needs user namespaces it does not get as root.
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({ executablePath, headless: true, args: [...args, '--disable-dev-shm-usage', ...extraArgs] });
  const context = await browser.newContext({ viewport: { width, height }, locale: 'en-GB', timezoneId: 'Europe/Rome' });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    // The browser logs every 4xx answer as an error; the pages handle those (a refused
    // command is part of the story). Script errors are what must not happen.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { browser, context, page, problems };
}

/** Logs in on the login form (where the page sent us) and waits for the page to be ready. */
export async function logIn(page, login, password, landing) {
  await page.fill('#login', login);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((url) => url.pathname === landing), page.click('#login-button')]);
  await page.waitForSelector('body[data-ready="true"]');
}

export async function shot(page, name) {
  const dir = env('SCREENSHOTS');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** Runs `story(session)` and exits 0, or 1 with what went wrong (and a screenshot of it). */
export async function run(story, width, height, extraArgs = []) {
  let session;
  try {
    session = await start(width, height, extraArgs);
    await story(session);
    if (session.problems.length) throw new Error(`the page logged errors: ${session.problems.join(' | ')}`);
    await session.browser.close();
    process.exit(0);
  } catch (error) {
    if (session) {
      const path = join(tmpdir(), `centralino-page-failure-${process.pid}.png`);
      await session.page.screenshot({ path, fullPage: true }).catch(() => {});
      process.stderr.write(`page at failure: ${session.page.url()} (screenshot: ${path})\n`);
      await session.browser.close().catch(() => {});
    }
    fail(error.stack || String(error));
  }
}
