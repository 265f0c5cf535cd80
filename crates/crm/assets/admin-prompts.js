// The prompts' administration (/admin/prompts): list, listen, upload or replace, record from
// the microphone, delete, back up and restore. Every change goes through the CRM to the
// engine, which checks it and answers what it did or why not; the page says either.
import { get } from './api.js';
import { busy, change, say, showAudit, startPage } from './admin.js';
import { el, fill } from './format.js';
import { Recorder } from './recorder.js';

const $ = (id) => document.getElementById(id);
const NAME = /^[a-z0-9_-]{1,64}$/;
const MAX_UPLOAD = 16 * 1024 * 1024;
const MAX_ARCHIVE = 32 * 1024 * 1024;

function seconds(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}

async function showPrompts() {
  const { prompts } = await get('/api/v1/admin/prompts');
  const rows = prompts.map((p) => {
    const playable = !p.problem;
    return el(
      'tr',
      { dataset: { prompt: p.name, inUse: String(p.in_use) } },
      el('th', { scope: 'row' }, p.name),
      el('td', {}, playable ? seconds(p.duration_ms) : el('span', { class: 'message' }, p.problem)),
      el('td', { class: p.in_use ? 'in-use' : 'idle' }, p.in_use ? 'in use' : 'not used'),
      el(
        'td',
        {},
        playable
          ? el('audio', { controls: true, preload: 'none', src: `/api/v1/admin/prompts/${encodeURIComponent(p.name)}/audio` })
          : '–',
      ),
      el(
        'td',
        {},
        el('button', { type: 'button', class: 'danger', dataset: { delete: p.name }, onclick: (e) => remove(p.name, e.target) }, 'Delete'),
      ),
    );
  });
  fill(document.querySelector('#prompts tbody'), rows.length ? rows : el('tr', {}, el('td', { colspan: 5, class: 'idle' }, 'No prompts.')));
}

async function refresh() {
  await Promise.all([showPrompts(), showAudit()]);
}

async function remove(name, button) {
  if (!window.confirm(`Delete the prompt ${name}?`)) return;
  say('');
  await busy(button, async () => {
    const { summary } = await change('DELETE', `/api/v1/admin/prompts/${encodeURIComponent(name)}`);
    say(summary, true);
    await refresh();
  });
}

/** Sends `blob` as the prompt `name`. */
async function put(name, blob, button) {
  say('');
  if (!NAME.test(name)) {
    say('A name is 1 to 64 of a-z, 0-9, _ and -.');
    return;
  }
  if (blob.size > MAX_UPLOAD) {
    say('The recording is larger than 16 MiB: send a compressed one (mp3, ogg, flac) or a shorter one.');
    return;
  }
  await busy(button, async () => {
    say('Converting…', true);
    const { summary } = await change('PUT', `/api/v1/admin/prompts/${encodeURIComponent(name)}`, blob);
    say(summary, true);
    await refresh();
  });
}

function setUpUpload() {
  $('upload-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = $('upload-file').files[0];
    if (!file) return;
    await put($('upload-name').value.trim(), file, $('upload-button'));
  });
  $('upload-file').addEventListener('change', () => {
    const file = $('upload-file').files[0];
    if (file && !$('upload-name').value) {
      $('upload-name').value = file.name.replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 64);
    }
  });
}

function setUpRecorder() {
  let recorder = null;
  let recording = null;
  let ticker = null;
  const start = $('record-start');
  const stop = $('record-stop');
  const save = $('record-save');
  const preview = $('record-preview');
  start.addEventListener('click', async () => {
    say('');
    recorder = new Recorder();
    try {
      await recorder.start();
    } catch (error) {
      say(`The microphone cannot be used: ${error.message}`);
      return;
    }
    start.disabled = true;
    stop.disabled = false;
    save.disabled = true;
    ticker = setInterval(() => {
      $('record-time').textContent = `recording ${recorder.seconds().toFixed(1)} s`;
    }, 200);
  });
  stop.addEventListener('click', async () => {
    clearInterval(ticker);
    recording = await recorder.stop();
    $('record-time').textContent = `recorded ${recorder.seconds().toFixed(1)} s`;
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(recording);
    preview.hidden = false;
    start.disabled = false;
    stop.disabled = true;
    save.disabled = false;
  });
  $('record-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (recording) await put($('record-name').value.trim(), recording, save);
  });
}

function setUpRestore() {
  $('restore-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    say('');
    const file = $('restore-file').files[0];
    if (!file) return;
    if (file.size > MAX_ARCHIVE) {
      say('The archive is larger than 32 MiB.');
      return;
    }
    await busy($('restore-button'), async () => {
      const { summary } = await change('POST', '/api/v1/admin/prompts-restore', file, 'application/x-tar');
      say(summary, true);
      await refresh();
    });
  });
}

try {
  await startPage();
  setUpUpload();
  setUpRecorder();
  setUpRestore();
  await refresh();
  document.body.dataset.ready = 'true';
} catch (error) {
  say(error.message || String(error));
}
