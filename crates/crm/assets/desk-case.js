// The case of an SR on the desk: its state and classification, its history, and the commands
// of the life cycle (docs/service-requests.md) an operator sends from here. State changes go
// with If-Match (the revision shown); a refusal shows the rule's own text (422), a change by
// someone else in between reloads the case (412).
import { ApiError, get, request } from './api.js';
import { dateTime, el, fill, select, words } from './format.js';

const $ = (id) => document.getElementById(id);

let catalogue = null;
let current = null; // {number, view, revision}

async function loadCatalogue() {
  if (!catalogue) catalogue = await get('/api/v1/catalogue');
  return catalogue;
}

function say(text, kind = 'error') {
  const box = $('case-message');
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = !text;
}

/** Opens the case of SR `number` in the case panel. */
export async function openCase(number) {
  say('');
  try {
    await loadCatalogue();
    const { body, etag } = await request('GET', `/api/v1/cases/${encodeURIComponent(number)}`);
    current = { number, view: body, revision: etag ?? body.case.revision };
    await render();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) say(`No case for ${number}.`);
    else say(error.message);
  }
}

/** Sends one command; `decision` commands carry If-Match. */
async function command(body, decision = true) {
  say('');
  const number = current.number;
  try {
    const { body: update, etag } = await request('POST', `/api/v1/cases/${encodeURIComponent(number)}/commands`, {
      body,
      ifMatch: decision ? current.revision : undefined,
    });
    current = { number, view: update.case, revision: etag ?? update.case.case.revision };
    await render();
    say(`${words(body.command)}: done${update.closed ? ` (closed ${words(update.closed)})` : ''}`, 'ok');
  } catch (error) {
    if (error instanceof ApiError && error.status === 412) {
      await openCase(number);
      say('Someone changed this SR meanwhile: it is reloaded, decide again.');
    } else if (error instanceof ApiError && error.status === 422) {
      say(error.message, 'refused');
    } else {
      say(error.message);
    }
  }
}

function profileReasons(serviceCode) {
  const service = catalogue.services.find((s) => s.code === serviceCode);
  const profile = service && catalogue.profiles.find((p) => p.profile === service.profile);
  return profile ? profile.contact_reasons : catalogue.contact_reasons;
}

function secondLevelGroups(serviceCode) {
  const service = catalogue.services.find((s) => s.code === serviceCode);
  const all = catalogue.groups.filter((g) => g.level === 'second');
  const preferred = service ? all.filter((g) => service.groups.includes(g.code)) : [];
  const rest = all.filter((g) => !preferred.includes(g));
  return [...preferred, ...rest].map((g) => [g.code, `${g.name} (${g.code})`]);
}

/** A small form: `fields` are labelled controls, `submit` builds the command from them. */
function commandForm(id, title, fields, label, build, decision = true) {
  const form = el(
    'form',
    { class: 'command', id, dataset: { command: id } },
    el('h4', {}, title),
    fields.map(([text, control]) => {
      control.id = `${id}-${control.name}`;
      return el('div', { class: 'field' }, el('label', { for: control.id }, text), control);
    }),
    el('button', { type: 'submit' }, label),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    command(build(form), decision);
  });
  return form;
}

function summary(view) {
  const c = view.case;
  const status = c.status;
  const facts = [
    ['SR', view.number],
    ['State', words(status.state) + (status.communication ? ` (${words(status.communication)})` : '')],
    ['Queue', c.queue],
    ['Service', c.service || 'not classified'],
    ['Contact reason', c.contact_reason ? words(c.contact_reason) : '–'],
    ['Owner', c.owner || '–'],
    ['Locked by', c.lock ? c.lock.holder : '–'],
    ['Revision', c.revision],
    ['Opened', dateTime(c.opened_at_unix_ms)],
  ];
  return el(
    'dl',
    { class: 'facts', id: 'case-facts', dataset: { state: status.state } },
    facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v ?? '–'))]),
  );
}

function historyList(entries) {
  return el(
    'ol',
    { class: 'history', id: 'case-history' },
    entries.map((e) => {
      const change = e.change;
      let what = words(change.change);
      if (change.change === 'status_changed') what = `state: ${words(change.from.state)} → ${words(change.to.state)}`;
      if (change.change === 'note_added') what = `${words(change.kind)}: ${change.text}`;
      const role = e.actor.role.group ? `${words(e.actor.role.role)} ${e.actor.role.group}` : words(e.actor.role.role);
      return el('li', {}, el('span', { class: 'when' }, dateTime(e.at_unix_ms)), ` ${e.actor.id} (${role}): ${what}`);
    }),
  );
}

async function render() {
  const view = current.view;
  const c = view.case;
  const history = await get(`/api/v1/cases/${encodeURIComponent(current.number)}/history?limit=500`).catch(() => ({
    entries: [],
  }));
  const services = catalogue.services.map((s) => [s.code, `${s.name} (${s.code})`]);
  const service = c.service || (services[0] && services[0][0]);
  const serviceSelect = select({ name: 'service' }, services, service);
  const reasonSelect = select({ name: 'reason' }, profileReasons(service), c.contact_reason);
  serviceSelect.addEventListener('change', () => {
    fill(reasonSelect, ...select({}, profileReasons(serviceSelect.value)).children);
  });
  const groups = secondLevelGroups(c.service);
  const forms = [
    commandForm('classify', 'Classify', [['Service', serviceSelect], ['Contact reason', reasonSelect]], 'Classify', (f) => ({
      command: 'classify',
      service: f.service.value,
      reason: f.reason.value,
    })),
    commandForm(
      'add_note',
      'Add a note',
      [
        ['Kind', select({ name: 'kind' }, catalogue.note_kinds, 'internal_note')],
        ['Text', el('textarea', { name: 'text', rows: 3, maxlength: 8192, required: true })],
      ],
      'Add note',
      (f) => ({ command: 'add_note', kind: f.kind.value, text: f.text.value }),
      false,
    ),
    commandForm(
      'resolve_first_level',
      'Resolve at first level',
      [['Communication', select({ name: 'communication' }, catalogue.communications, 'communicated')]],
      'Resolve',
      (f) => ({ command: 'resolve_first_level', communication: f.communication.value }),
    ),
    commandForm('assign', 'Assign to second level', [['Group', select({ name: 'group' }, groups)]], 'Assign', (f) => ({
      command: 'assign',
      group: f.group.value,
    })),
    commandForm(
      'transfer_live',
      'Transfer live to second level',
      [['Group', select({ name: 'group' }, groups)]],
      'Transfer',
      (f) => ({ command: 'transfer_live', group: f.group.value }),
    ),
    commandForm(
      'suspend',
      'Suspend',
      [['Reason', el('input', { name: 'reason', maxlength: 8192, required: true })]],
      'Suspend',
      (f) => ({ command: 'suspend', reason: f.reason.value }),
    ),
    commandForm('resume', 'Resume', [], 'Resume', () => ({ command: 'resume' })),
    commandForm(
      'cancel',
      'Cancel',
      [['Reason', select({ name: 'reason' }, catalogue.cancel_reasons)]],
      'Cancel SR',
      (f) => ({ command: 'cancel', reason: f.reason.value }),
    ),
    commandForm(
      'lock',
      c.lock ? 'Release the lock' : 'Lock while I work on it',
      [],
      c.lock ? 'Release' : 'Lock',
      () => ({ command: c.lock ? 'release' : 'lock' }),
      false,
    ),
  ];
  const body = $('case-body');
  fill(
    body,
    summary(view),
    view.closed ? el('p', { class: 'closed' }, `Closed${view.outcome ? `: ${words(view.outcome)}` : ''}.`) : null,
    el('div', { class: 'commands' }, forms),
    el('h3', {}, 'History'),
    historyList(history.entries),
  );
  body.dataset.number = current.number;
  body.dataset.revision = current.revision;
  $('case-idle').hidden = true;
  body.hidden = false;
}
