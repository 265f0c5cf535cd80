// The IVR script's administration (/admin/ivr): the active script in an editor; Check shows
// the validator's problems with their lines (those of `centralino check-ivr` and of the
// engine's reload); Activate has the engine check, install and serve it to the next caller;
// kept versions can be restored.
import { get } from './api.js';
import { busy, change, say, showAudit, startPage } from './admin.js';
import { dateTime, el, fill } from './format.js';

const $ = (id) => document.getElementById(id);
const MAX_SCRIPT = 256 * 1024;

/** Puts the caret on 1-based `line` of the editor. */
function goToLine(line) {
  const editor = $('script');
  const lines = editor.value.split('\n');
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  editor.focus();
  editor.setSelectionRange(start, start + (lines[line - 1] || '').length);
}

function showProblems(problems) {
  const list = $('problems');
  fill(
    list,
    problems.map((p) =>
      el(
        'li',
        { dataset: { line: String(p.line) } },
        p.line > 0 ? el('button', { type: 'button', onclick: () => goToLine(p.line) }, p.text) : p.text,
      ),
    ),
  );
  list.hidden = problems.length === 0;
}

async function loadScript() {
  const { script, file } = await get('/api/v1/admin/ivr');
  $('script').value = script;
  $('script-file').textContent = file;
}

async function showVersions() {
  const { versions } = await get('/api/v1/admin/ivr/versions');
  const rows = versions.map((v) =>
    el(
      'tr',
      { dataset: { version: v.id, active: String(v.active) } },
      el('td', {}, dateTime(v.activated_unix_ms), ' ', el('span', { class: 'idle' }, v.id)),
      el('td', {}, String(v.lines)),
      el('td', { class: v.active ? 'in-use' : 'idle' }, v.active ? 'active' : 'kept'),
      el('td', {}, v.active ? '' : el('button', { type: 'button', onclick: (e) => restore(v.id, e.target) }, 'Restore')),
    ),
  );
  fill(document.querySelector('#versions tbody'), rows);
}

async function refresh() {
  await Promise.all([showVersions(), showAudit()]);
}

/** Sends the editor's text to `path`; shows the answer or the problems. */
async function send(path, button) {
  say('');
  showProblems([]);
  const text = $('script').value;
  if (new TextEncoder().encode(text).length > MAX_SCRIPT) {
    say('The script is larger than 256 KiB.');
    return;
  }
  await busy(button, async () => {
    try {
      const { summary } = await change('POST', path, text, 'text/plain; charset=utf-8');
      say(summary, true);
      return true;
    } catch (error) {
      showProblems(error.problems || []);
      throw error;
    }
  });
  await refresh();
}

async function restore(id, button) {
  if (!window.confirm(`Activate the version of ${id} again?`)) return;
  say('');
  showProblems([]);
  await busy(button, async () => {
    const { summary } = await change('POST', `/api/v1/admin/ivr/versions/${encodeURIComponent(id)}/restore`);
    say(summary, true);
    await loadScript();
  });
  await refresh();
}

try {
  await startPage();
  $('check').addEventListener('click', () => send('/api/v1/admin/ivr/check', $('check')));
  $('activate').addEventListener('click', () => send('/api/v1/admin/ivr/activate', $('activate')));
  $('revert').addEventListener('click', async () => {
    say('');
    showProblems([]);
    await loadScript();
  });
  await loadScript();
  await refresh();
  document.body.dataset.ready = 'true';
} catch (error) {
  say(error.message || String(error));
}
