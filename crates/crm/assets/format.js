// Small helpers shared by the pages: durations, times, and DOM building without innerHTML
// (every text goes in as text, so nothing from the API can become markup).

/** "m:ss", or "h:mm:ss" past an hour. */
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** "14:05" of a Unix time in ms, local time. */
export function clock(unixMs) {
  if (!unixMs) return '–';
  return new Date(unixMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** "2026-03-02 14:05" of a Unix time in ms, local time. */
export function dateTime(unixMs) {
  if (!unixMs) return '–';
  const d = new Date(unixMs);
  const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return `${date} ${clock(unixMs)}`;
}

/** A share 0..1 as "93 %", or "–". */
export function percent(share) {
  if (share === null || share === undefined) return '–';
  return `${Math.round(share * 100)} %`;
}

/** "not_ready" → "not ready". */
export function words(code) {
  return String(code ?? '').replaceAll('_', ' ');
}

/**
 * el('div', {class: 'x', dataset: {queue: 'q'}, onclick: f}, 'text', child, ...): an element
 * with attributes, listeners and children (strings become text nodes).
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A <select> of `options` ([value, label] pairs or plain values), with `selected`. */
export function select(attributes, options, selected) {
  return el(
    'select',
    attributes,
    options.map((option) => {
      const [value, label] = Array.isArray(option) ? option : [option, words(option)];
      return el('option', { value, selected: value === selected }, label);
    }),
  );
}
