// Story (run by tests/admin_pages.rs): the administration pages in Chromium.
//
// MODE=operator: an operator logs in, is not let into /admin/prompts or /admin/ivr (403, and
// the API refuses her too).
//
// MODE=admin (the default): the administrator logs in at /admin/prompts; the welcome is
// listed as in use; she uploads an MP3 as the new welcome (ADMIN_MP3), then a file that is
// not audio (refused, the welcome stays); tries to delete the welcome (refused: in use);
// records a prompt from the (fake) microphone, lists it and deletes it; downloads a backup of
// every prompt and restores it. On /admin/ivr she breaks the script (`play welcom`): Check and
// Activate show the problem with its line, nothing changes; then she activates a valid edit
// (`set script_version = 2`). The Rust story dials SIPp callers between the steps.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, check, env, logIn, run, shot, step } from './lib.mjs';

const MODE = env('MODE', 'admin');

/**
 * Waits for the Rust story to let us go on past step `name` (it dials its caller first): it
 * creates the file `name` in GATES.
 */
async function resumeAfter(page, name) {
  const gate = join(env('GATES'), name);
  for (let i = 0; i < 1800 && !existsSync(gate); i += 1) await page.waitForTimeout(100);
  check(existsSync(gate), `the story did not let us go on after ${name}`);
}

/** Waits until the message line says something containing `part`; returns it and its kind. */
async function message(page, part, timeout = 30000) {
  await page.waitForFunction(
    (p) => {
      const m = document.getElementById('message');
      return m && !m.hidden && m.textContent.includes(p);
    },
    part,
    { timeout },
  );
  return page.$eval('#message', (m) => ({ text: m.textContent, kind: m.dataset.kind }));
}

async function row(page, name) {
  return page.$eval(`#prompts tr[data-prompt="${name}"]`, (r) => ({
    inUse: r.dataset.inUse === 'true',
    cells: [...r.children].map((c) => c.textContent.trim()),
  }));
}

async function operator({ page }) {
  await page.goto(`${BASE}/`);
  await logIn(page, env('CENTRALINO_LOGIN'), env('CENTRALINO_PASSWORD'), '/desk');
  const pages = {};
  for (const path of ['/admin/prompts', '/admin/ivr']) {
    const response = await page.goto(`${BASE}${path}`);
    check(response.status() === 403, `${path} answers ${response.status()} to an operator`);
    check((await page.textContent('h1')).includes('Administrators only'), `${path} says why`);
    pages[path] = response.status();
  }
  const api = await page.evaluate(async () => (await fetch('/api/v1/admin/prompts')).status);
  check(api === 403, `the prompts API answers ${api} to an operator`);
  step('done', { pages, api });
}

async function admin({ page }) {
  page.on('dialog', (dialog) => dialog.accept());
  await page.goto(`${BASE}/admin/prompts`);
  check(new URL(page.url()).pathname === '/', `an anonymous browser goes to the login form, not ${page.url()}`);
  await logIn(page, env('CENTRALINO_LOGIN'), env('CENTRALINO_PASSWORD'), '/admin/prompts');
  await page.waitForSelector('#prompts tr[data-prompt="welcome"]');
  const before = await row(page, 'welcome');
  check(before.inUse, `the welcome is in use: ${JSON.stringify(before)}`);
  // The cookie alone changes nothing: a change without the page's CSRF token is refused.
  const forged = await page.evaluate(async () => {
    const r = await fetch('/api/v1/admin/prompts/recorded_note', { method: 'DELETE' });
    return { status: r.status, code: (await r.json()).error.code };
  });
  check(forged.status === 403 && forged.code === 'csrf_refused', `a change without the CSRF token: ${JSON.stringify(forged)}`);

  // An MP3 replaces the welcome.
  await page.fill('#upload-name', 'welcome');
  await page.setInputFiles('#upload-file', env('ADMIN_MP3'));
  await page.click('#upload-button');
  const uploaded = await message(page, 'welcome replaced');
  check(uploaded.kind === 'ok', `the upload is done: ${JSON.stringify(uploaded)}`);
  // What the page plays is the prompt as installed.
  const played = await page.evaluate(async () => {
    const r = await fetch('/api/v1/admin/prompts/welcome/audio');
    return { status: r.status, type: r.headers.get('content-type'), bytes: (await r.arrayBuffer()).byteLength };
  });
  check(played.status === 200 && played.type === 'audio/wav', `the welcome plays: ${JSON.stringify(played)}`);

  // A file that is not audio is refused with why; the welcome stays.
  await page.fill('#upload-name', 'welcome');
  await page.setInputFiles('#upload-file', { name: 'notes.mp3', mimeType: 'audio/mpeg', buffer: Buffer.from('these are not sounds '.repeat(40)) });
  await page.click('#upload-button');
  const garbage = await message(page, 'not installed');
  check(garbage.kind === 'error' && garbage.text.includes('not an audio file'), `garbage refused: ${JSON.stringify(garbage)}`);

  // The welcome is played by the script: it cannot be deleted.
  await page.click('#prompts tr[data-prompt="welcome"] button[data-delete]');
  const kept = await message(page, 'in use');
  check(kept.kind === 'error', `deleting the welcome is refused: ${JSON.stringify(kept)}`);
  await page.waitForSelector('#prompts tr[data-prompt="welcome"]');
  await shot(page, 'admin-prompts');
  step('uploaded', { uploaded: uploaded.text, played, forged, garbage: garbage.text, delete_refused: kept.text });
  await resumeAfter(page, 'uploaded');

  // A prompt recorded from the microphone (Chromium's fake device: a beeping tone).
  await page.fill('#record-name', 'recorded_note');
  await page.click('#record-start');
  await page.waitForFunction(() => /recording [1-9]/.test(document.getElementById('record-time').textContent), null, { timeout: 15000 });
  await page.waitForTimeout(1500);
  await page.click('#record-stop');
  await page.waitForSelector('#record-save:not([disabled])');
  await page.click('#record-save');
  const recorded = await message(page, 'recorded_note added');
  check(recorded.kind === 'ok', `the recording is saved: ${JSON.stringify(recorded)}`);
  await page.waitForSelector('#prompts tr[data-prompt="recorded_note"]');
  const note = await row(page, 'recorded_note');
  check(!note.inUse, 'a new prompt is not in use');
  await page.click('#prompts tr[data-prompt="recorded_note"] button[data-delete]');
  const deleted = await message(page, 'recorded_note deleted');
  await page.waitForSelector('#prompts tr[data-prompt="recorded_note"]', { state: 'detached' });

  // A backup of every prompt, restored.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#backup-link')]);
  const archive = await download.path();
  await page.setInputFiles('#restore-file', archive);
  await page.click('#restore-button');
  const restored = await message(page, 'restored');
  check(restored.kind === 'ok', `the backup is restored: ${JSON.stringify(restored)}`);
  step('prompts', { recorded: recorded.text, note: note.cells, deleted: deleted.text, restored: restored.text });

  // The script: a typo is refused with its line; nothing changes.
  await page.goto(`${BASE}/admin/ivr`);
  await page.waitForSelector('body[data-ready="true"]');
  const original = await page.inputValue('#script');
  check(original.includes('play welcome'), 'the editor holds the active script');
  await page.fill('#script', original.replace('play welcome', 'play welcom'));
  await page.click('#check');
  await page.waitForSelector('#problems li');
  const checked = await page.$$eval('#problems li', (items) => items.map((i) => ({ line: Number(i.dataset.line), text: i.textContent })));
  await page.click('#activate');
  const refused = await message(page, 'problem');
  await page.waitForSelector('#problems li');
  const problems = await page.$$eval('#problems li', (items) => items.map((i) => ({ line: Number(i.dataset.line), text: i.textContent })));
  await shot(page, 'admin-ivr-refused');
  step('script-refused', { checked, refused: refused.text, problems });
  await resumeAfter(page, 'script-refused');

  // A good edit is activated.
  const good = original.replace('  play welcome\n', '  play welcome\n  set script_version = 2\n');
  check(good !== original, 'the start step plays the welcome');
  await page.fill('#script', good);
  await page.click('#check');
  await message(page, 'no problems');
  await page.click('#activate');
  const activated = await message(page, 'script activated');
  check(activated.kind === 'ok', `activated: ${JSON.stringify(activated)}`);
  await page.waitForFunction(() => document.querySelectorAll('#versions tbody tr').length >= 2);
  const versions = await page.$$eval('#versions tbody tr', (rows) => rows.map((r) => ({ id: r.dataset.version, active: r.dataset.active === 'true' })));
  await page.waitForSelector('#audit tr[data-action="script_activated"]');
  const audit = await page.$$eval('#audit tbody tr', (rows) => rows.map((r) => ({ action: r.dataset.action, subject: r.dataset.subject, who: r.children[1].textContent })));
  await shot(page, 'admin-ivr');
  step('activated', { activated: activated.text, versions, audit });
  await resumeAfter(page, 'activated');

  // Restoring the first version brings the original back.
  await page.click('#versions tr[data-active="false"] button');
  const back = await message(page, 'restored');
  const now = await page.inputValue('#script');
  check(now === original, 'the editor shows the restored version');
  step('done', { restored: back.text });
}

if (MODE === 'operator') {
  await run(operator);
} else {
  await run(admin, 1440, 1000, ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream']);
}
