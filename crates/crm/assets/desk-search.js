// The desk's search box: one field for an SR number, a caller's number (any form), a name, a
// tax code or an e-mail; results open SRs on the desk.
import { ApiError, get } from './api.js';
import { dateTime, el, fill, words } from './format.js';

const $ = (id) => document.getElementById(id);

function srRow(sr, open) {
  const call = sr.call || {};
  return el(
    'li',
    { class: 'result', dataset: { sr: sr.number } },
    el('button', { type: 'button', class: 'link', onclick: () => open(sr.number) }, sr.number),
    ` ${words(sr.state)} · ${dateTime(sr.created_at_unix_ms)}`,
    call.caller_number ? ` · ${call.caller_number}` : '',
    call.queue ? ` · ${call.queue}` : '',
  );
}

function customerRow(customer, open) {
  const list = el('ul', { class: 'nested' });
  const show = async () => {
    const found = await get(`/api/v1/customers/${customer.id}/service-requests?limit=20`);
    fill(list, found.service_requests.length ? found.service_requests.map((r) => srRow({ ...r, call: null }, open)) : el('li', {}, 'no SRs'));
  };
  return el(
    'li',
    { class: 'result customer' },
    el('strong', {}, customer.display_name || '(guest)'),
    customer.tax_code ? ` · ${customer.tax_code}` : '',
    customer.phones && customer.phones.length ? ` · ${customer.phones.map((p) => p.number).join(', ')}` : '',
    ' ',
    el('button', { type: 'button', class: 'quiet', onclick: show }, 'SRs'),
    list,
  );
}

async function search(query, open) {
  const q = query.trim();
  const enc = encodeURIComponent(q);
  const sections = [];
  if (/^SR-\d{4}-\d+$/i.test(q)) {
    try {
      sections.push(['Service requests', [await get(`/api/v1/service-requests/${encodeURIComponent(q.toUpperCase())}`)]]);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      sections.push(['Service requests', []]);
    }
  } else if (/^(tel:)?[+\d][\d\s\-/().]{3,}$/.test(q)) {
    const srs = await get(`/api/v1/service-requests?caller_number=${enc}&limit=20`);
    const customers = await get(`/api/v1/customers?caller_number=${enc}`);
    sections.push(['Service requests', srs.service_requests], ['Customers', customers.customers]);
  } else if (q.includes('@')) {
    sections.push(['Customers', (await get(`/api/v1/customers?email=${enc}`)).customers]);
  } else if (/^[A-Za-z0-9]{11,16}$/.test(q) && /\d/.test(q)) {
    sections.push(['Customers', (await get(`/api/v1/customers?tax_code=${enc}`)).customers]);
  } else {
    sections.push(['Customers', (await get(`/api/v1/customers?name=${enc}`)).customers]);
  }
  return sections;
}

/** Wires the search form; `open(number)` opens an SR on the desk. */
export function initSearch(open) {
  const form = $('search-form');
  const results = $('search-results');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    fill(results, el('p', { class: 'idle' }, 'Searching…'));
    try {
      const sections = await search(form.q.value, open);
      fill(
        results,
        sections.map(([title, items]) => [
          el('h3', {}, `${title} (${items.length})`),
          items.length
            ? el('ul', { class: 'results' }, items.map((item) => (item.number ? srRow(item, open) : customerRow(item, open))))
            : el('p', { class: 'idle' }, 'nothing found'),
        ]),
      );
    } catch (error) {
      fill(results, el('p', { class: 'message' }, error.message));
    }
  });
}
