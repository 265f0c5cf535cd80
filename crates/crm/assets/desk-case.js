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

/**
 * The commands the life cycle allows in the case's state (docs/service-requests.md,
 * Transitions): the page offers these; the rules still decide, and say why when they refuse
 * (the desk, the group, the profile...).
 */
export function commandsFor(view) {
  const status = view.case.status;
  if (view.closed) return ['record_satisfaction'];
  const work = ['add_note', 'lock'];
  switch (status.state) {
    case 'open':
      return ['classify', 'resolve_first_level', 'assign', 'transfer_live', 'report_for_information',
        'record_not_resolvable', 'cancel', ...work];
    case 'assigned':
    case 'transferred':
      return ['resolve_second_level', 'suspend', 'reject', 'cancel', ...work];
    case 'suspended':
      return ['resume', 'resolve_second_level', 'cancel', ...work];
    case 'rejected':
      return ['reassign', 'cancel', ...work];
    case 'resolved_first_level':
    case 'resolved_second_level':
      return ['record_communication', ...work];
    default:
      return work;
  }
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
  const groups = () => select({ name: 'group' }, secondLevelGroups(c.service));
  const communication = (choices) => select({ name: 'communication' }, choices, choices[0]);
  const builders = {
    classify: () =>
      commandForm('classify', 'Classify', [['Service', serviceSelect], ['Contact reason', reasonSelect]], 'Classify', (f) => ({
        command: 'classify',
        service: f.service.value,
        reason: f.reason.value,
      })),
    add_note: () =>
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
    resolve_first_level: () =>
      commandForm(
        'resolve_first_level',
        'Resolve at first level',
        [['Communication', communication(catalogue.communications)]],
        'Resolve',
        (f) => ({ command: 'resolve_first_level', communication: f.communication.value }),
      ),
    assign: () =>
      commandForm('assign', 'Assign to second level', [['Group', groups()]], 'Assign', (f) => ({
        command: 'assign',
        group: f.group.value,
      })),
    transfer_live: () =>
      commandForm('transfer_live', 'Transfer live to second level', [['Group', groups()]], 'Transfer', (f) => ({
        command: 'transfer_live',
        group: f.group.value,
      })),
    report_for_information: () =>
      commandForm('report_for_information', 'Report to a group (for information)', [['Group', groups()]], 'Report', (f) => ({
        command: 'report_for_information',
        group: f.group.value,
      })),
    record_not_resolvable: () =>
      commandForm('record_not_resolvable', 'Not resolvable: inform a group', [['Group', groups()]], 'Record', (f) => ({
        command: 'record_not_resolvable',
        report_to: f.group.value,
      })),
    resolve_second_level: () =>
      commandForm(
        'resolve_second_level',
        'Resolve at second level',
        [['Communication', communication(catalogue.communications)]],
        'Resolve',
        (f) => ({ command: 'resolve_second_level', communication: f.communication.value }),
      ),
    record_communication: () =>
      commandForm(
        'record_communication',
        'Record the communication',
        [['Communication', communication(catalogue.communications)]],
        'Record',
        (f) => ({ command: 'record_communication', communication: f.communication.value }),
      ),
    suspend: () =>
      commandForm(
        'suspend',
        'Suspend',
        [['Reason', el('input', { name: 'reason', maxlength: 8192, required: true })]],
        'Suspend',
        (f) => ({ command: 'suspend', reason: f.reason.value }),
      ),
    resume: () => commandForm('resume', 'Resume', [], 'Resume', () => ({ command: 'resume' })),
    reject: () =>
      commandForm(
        'reject',
        'Reject',
        [
          ['Reason', select({ name: 'reason' }, catalogue.reject_reasons)],
          ['Detail', el('input', { name: 'detail', maxlength: 8192, required: true })],
        ],
        'Reject',
        (f) => ({ command: 'reject', reason: f.reason.value, detail: f.detail.value }),
      ),
    reassign: () =>
      commandForm('reassign', 'Reassign', [['Group', groups()]], 'Reassign', (f) => ({
        command: 'reassign',
        group: f.group.value,
      })),
    cancel: () =>
      commandForm(
        'cancel',
        'Cancel',
        [['Reason', select({ name: 'reason' }, catalogue.cancel_reasons)]],
        'Cancel SR',
        (f) => ({ command: 'cancel', reason: f.reason.value }),
      ),
    lock: () =>
      commandForm(
        'lock',
        c.lock ? 'Release the lock' : 'Lock while I work on it',
        [],
        c.lock ? 'Release' : 'Lock',
        () => ({ command: c.lock ? 'release' : 'lock' }),
        false,
      ),
    record_satisfaction: () =>
      commandForm(
        'record_satisfaction',
        "The citizen's satisfaction",
        [['Score (1 to 5)', select({ name: 'score' }, ['1', '2', '3', '4', '5'], '4')]],
        'Record',
        (f) => ({ command: 'record_satisfaction', score: Number(f.score.value) }),
        false,
      ),
  };
  const forms = commandsFor(view).map((name) => builders[name]());
  const body = $('case-body');
  fill(
    body,
    summary(view),
    view.closed ? el('p', { class: 'closed' }, `Closed${view.outcome ? `: ${words(view.outcome)}` : ''}.`) : null,
    el('div', { class: 'commands' }, forms.length ? forms : el('p', { class: 'idle' }, 'Nothing more to do here.')),
    el('h3', {}, 'History'),
    historyList(history.entries),
  );
  body.dataset.number = current.number;
  body.dataset.revision = current.revision;
  $('case-idle').hidden = true;
  body.hidden = false;
}
