// Story (run by tests/softphone_page.rs): operator 1001 has no SIP phone, only the desk. She
// logs in, turns the softphone on (Chromium's fake microphone plays FAKE_AUDIO, a tone) and
// goes ready. A SIPp caller comes through the IVR and is queued: the page rings; she answers
// with the Answer button. The caller's recording reaches the page (WebRTC statistics of the
// remote audio: packets received and audio energy); her microphone's tone goes to the caller
// (the Rust story checks the caller's RTP). She presses 5 on the keypad, then hangs up with
// the Hang up button. A
// second caller hangs up himself: the call ends on the page.
//
// Environment beside lib.mjs's: FAKE_AUDIO (a WAV file for the fake microphone),
// MIN_PACKETS (how many packets of the caller's audio to wait for before hanging up).
import { BASE, check, env, logIn, run, shot, step } from './lib.mjs';

const fakeAudio = env('FAKE_AUDIO');
const minPackets = Number(env('MIN_PACKETS', '100'));

/** The softphone's inbound audio statistics, read in the page. */
async function inbound(page) {
  return page.evaluate(async () => {
    const module = await import('/assets/desk-softphone.js');
    const pc = module.softphoneConnection();
    if (!pc) return null;
    const stats = await pc.getStats();
    let found = null;
    stats.forEach((report) => {
      if (report.type === 'inbound-rtp' && report.kind === 'audio') {
        found = {
          packetsReceived: report.packetsReceived || 0,
          totalAudioEnergy: report.totalAudioEnergy || 0,
          audioLevel: report.audioLevel || 0,
          codec: report.codecId ? stats.get(report.codecId)?.mimeType : null,
        };
      }
    });
    return found;
  });
}

await run(async ({ page, context }) => {
  await context.grantPermissions(['microphone'], { origin: BASE });
  await page.goto(`${BASE}/desk`);
  await logIn(page, env('CENTRALINO_LOGIN'), env('CENTRALINO_PASSWORD'), '/desk');

  // The softphone on: the page offers, the engine answers, ICE and DTLS come up.
  await page.click('#softphone-toggle');
  await page.waitForSelector('#softphone[data-state="on"]', { timeout: 20000 });
  await page.click('button[data-action="log_in"]');
  await page.click('button[data-action="ready"]');
  await page.waitForSelector('#my-state[data-state="ready"]', { timeout: 15000 });
  step('ready');

  // The call rings on the page.
  await page.waitForSelector('#softphone-ring:not([hidden])', { timeout: 120000 });
  const sr = (await page.textContent('#pop-sr') || '').trim();
  await shot(page, 'desk-softphone-ringing');
  step('ringing', { sr });
  await page.click('#softphone-answer');
  await page.waitForSelector('#softphone-call:not([hidden])', { timeout: 15000 });
  await page.waitForFunction(
    () => document.querySelector('#pop-phase')?.textContent === 'talking',
    null,
    { timeout: 15000 },
  );
  step('answered', { sr });

  // The caller's voice arrives: packets, and energy in them (not silence).
  let stats = null;
  const until = Date.now() + 60000;
  for (;;) {
    stats = await inbound(page);
    if (stats && stats.packetsReceived >= minPackets && stats.totalAudioEnergy > 0) break;
    check(Date.now() < until, `the caller's audio did not arrive: ${JSON.stringify(stats)}`);
    await page.waitForTimeout(250);
  }
  await shot(page, 'desk-softphone-talking');
  step('heard', stats);

  // She presses 5 on the keypad (RFC 4733 to the engine, which passes it on to the caller).
  await page.click('#softphone-call button[data-key="5"]');
  await page.waitForTimeout(1000);

  // She hangs up: the call ends on the page.
  await page.click('#softphone-hangup');
  await page.waitForFunction(
    () => (document.querySelector('#pop-phase')?.textContent || '').startsWith('ended'),
    null,
    { timeout: 15000 },
  );
  check(await page.isHidden('#softphone-call'), 'the call controls are gone after the hang-up');
  const phase = (await page.textContent('#pop-phase') || '').trim();
  check((await page.getAttribute('#softphone', 'data-state')) === 'on', 'the softphone stays on for the next call');
  step('done', { sr, phase });

  // The next call: she ends her wrap-up; the caller hangs up this time, and the call ends on
  // the page too.
  await page.click('button[data-action="end_wrap_up"]');
  await page.waitForSelector('#my-state[data-state="ready"]', { timeout: 30000 });
  step('ready-again');
  await page.waitForSelector('#softphone-ring:not([hidden])', { timeout: 120000 });
  const second = (await page.textContent('#pop-sr') || '').trim();
  check(second !== sr, `the second call pops its own SR, not ${second}`);
  await page.click('#softphone-answer');
  await page.waitForSelector('#softphone-call:not([hidden])', { timeout: 15000 });
  await page.waitForFunction(
    () => (document.querySelector('#pop-phase')?.textContent || '').startsWith('ended'),
    null,
    { timeout: 60000 },
  );
  await page.waitForSelector('#softphone-call', { state: 'hidden', timeout: 15000 });
  step('caller-hung-up', { sr: second, phase: (await page.textContent('#pop-phase') || '').trim() });
}, 1600, 1000, [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  `--use-file-for-fake-audio-capture=${fakeAudio}`,
  '--autoplay-policy=no-user-gesture-required',
]);
