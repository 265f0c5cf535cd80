// The wallboard's chart: callers waiting per queue over the last hours, as inline SVG built
// with DOM calls (no library, nothing inline for the Content-Security-Policy to refuse).
const NS = 'http://www.w3.org/2000/svg';
const COLOURS = ['#ffd23f', '#3fc1ff', '#ff6b6b', '#7dff8a', '#d88cff', '#ff9f43', '#ffffff'];

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function hhmm(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * Draws `history` ({every_ms, samples: [{at_unix_ms, queues: [{name, waiting_max}]}]}) into
 * `box`: one line per queue, time along the bottom (a gap where the engine sent nothing), over
 * the hours the history covers (one to twelve). Returns how many hours it shows.
 */
export function drawChart(box, history) {
  // Drawn at the box's own width (the viewBox keeps its shape when the page scales it).
  const width = Math.max(480, Math.round(box.clientWidth || 1200));
  const height = 320;
  const left = 60;
  const bottom = 40;
  const top = 16;
  const right = 16;
  const samples = history.samples || [];
  const end = samples.length ? samples[samples.length - 1].at_unix_ms + history.every_ms : Date.now();
  // As many whole hours as the history covers, at least one, at most twelve.
  const covered = samples.length ? end - samples[0].at_unix_ms : 0;
  const hours = Math.min(12, Math.max(1, Math.ceil(covered / 3600000)));
  const start = end - hours * 3600 * 1000;
  const step = hours <= 2 ? 900000 : 3600000; // a grid line every 15 min or every hour
  const names = [...new Set(samples.flatMap((s) => s.queues.map((q) => q.name)))];
  const peak = Math.max(4, ...samples.flatMap((s) => s.queues.map((q) => q.waiting_max)));
  const x = (t) => left + ((t - start) / (end - start)) * (width - left - right);
  const y = (v) => height - bottom - (v / peak) * (height - bottom - top);

  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'chart',
    role: 'img',
    'aria-label': `Callers waiting per queue, the last ${hours === 1 ? 'hour' : `${hours} hours`}`,
  });
  // Grid: a line every `step`, with its time; the count on the left.
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    chart.append(svg('line', { x1: x(t), x2: x(t), y1: top, y2: height - bottom, class: 'grid' }));
    chart.append(svg('text', { x: x(t), y: height - 12, class: 'axis', 'text-anchor': 'middle' }, hhmm(t)));
  }
  for (const v of [0, Math.round(peak / 2), peak]) {
    chart.append(svg('line', { x1: left, x2: width - right, y1: y(v), y2: y(v), class: 'grid' }));
    chart.append(svg('text', { x: left - 8, y: y(v) + 6, class: 'axis', 'text-anchor': 'end' }, v));
  }
  names.forEach((name, i) => {
    let d = '';
    let previous = null;
    for (const s of samples) {
      const q = s.queues.find((qq) => qq.name === name);
      if (!q) {
        previous = null;
        continue;
      }
      const gap = previous === null || s.at_unix_ms - previous > history.every_ms;
      d += `${gap ? 'M' : 'L'}${x(s.at_unix_ms).toFixed(1)},${y(q.waiting_max).toFixed(1)} `;
      previous = s.at_unix_ms;
    }
    if (d) {
      chart.append(svg('path', { d, class: 'series', stroke: COLOURS[i % COLOURS.length], 'data-queue': name }));
      // The newest point as a dot: visible even when the line has one point yet.
      const last = [...samples].reverse().find((s) => s.queues.some((qq) => qq.name === name));
      const q = last.queues.find((qq) => qq.name === name);
      chart.append(
        svg('circle', { cx: x(last.at_unix_ms), cy: y(q.waiting_max), r: 6, fill: COLOURS[i % COLOURS.length], class: 'now' }),
      );
    }
  });
  const legend = document.createElement('ul');
  legend.className = 'legend';
  names.forEach((name, i) => {
    const item = document.createElement('li');
    const swatch = svg('svg', { viewBox: '0 0 10 10', class: 'swatch' }, svg('rect', { width: 10, height: 10, fill: COLOURS[i % COLOURS.length] }));
    item.append(swatch, document.createTextNode(` ${name}`));
    legend.append(item);
  });
  if (samples.length === 0) {
    return emptyChart(box, chart, hours);
  }
  box.replaceChildren(legend, chart);
  return hours;
}

function emptyChart(box, chart, hours) {
  const empty = document.createElement('p');
  empty.className = 'idle';
  empty.textContent = 'No history yet: a sample is taken every minute.';
  box.replaceChildren(empty, chart);
  return hours;
}
