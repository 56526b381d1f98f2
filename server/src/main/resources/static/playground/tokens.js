// Draws each streamed token twice: in the answer, coloured by its dominant expert, and as a stacked bar of its
// expert weights in an SVG chart (hand-drawn: no chart library, nothing to download). A table repeats the chart
// for screen readers; hovering a token or a bar highlights both.

const SVG = 'http://www.w3.org/2000/svg';
// Okabe and Ito's colour-blind-safe palette, then evenly spread hues for larger mixtures.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#7F7F00', '#000000'];
const BAR = 12;
const GAP = 3;
const AXIS = 34;
const TOP = 8;
const HEIGHT = 120;

export function expertColour(k) {
  return k < PALETTE.length ? PALETTE[k] : `hsl(${(k * 137.5) % 360} 65% 42%)`;
}

/** The expert with the largest weight, or -1 when the largest weight is shared (nobody dominates). */
export function dominantExpert(weights) {
  const max = Math.max(...weights);
  const leaders = weights.filter(w => max - w < 1e-9).length;
  return leaders === 1 ? weights.indexOf(max) : -1;
}

function svg(name, attributes) {
  const element = document.createElementNS(SVG, name);
  Object.entries(attributes).forEach(([key, value]) => element.setAttribute(key, value));
  return element;
}

function describe(text, weights, experts) {
  const shares = weights.map((w, k) => `${experts[k] ?? 'expert ' + k} ${(100 * w).toFixed(1)}%`);
  return `${JSON.stringify(text)}: ${shares.join(', ')}`;
}

export class TokenView {
  constructor({ answer, chart, table, legend }) {
    Object.assign(this, { answer, chart, table, legend });
    this.reset([]);
    [answer, chart].forEach(area => {
      area.addEventListener('mouseover', event => this.highlight(event.target.closest('[data-index]')));
      area.addEventListener('mouseout', () => this.highlight(null));
    });
  }

  /** Starts over for a mixture of these experts. */
  reset(experts) {
    this.experts = experts;
    this.count = 0;
    this.led = experts.map(() => 0);
    this.answer.replaceChildren();
    this.chart.replaceChildren(svg('g', { class: 'axis' }));
    this.drawAxis();
    this.chart.setAttribute('width', AXIS + GAP);
    this.table.tHead.replaceChildren(this.row('th', ['#', 'token', ...experts]));
    this.table.tBodies[0].replaceChildren();
    this.drawLegend();
  }

  /** Adds one streamed token: {text, special, expert_weights}. */
  add(token) {
    const index = this.count++;
    const weights = token.expert_weights || [];
    const dominant = dominantExpert(weights);
    const title = describe(token.text, weights, this.experts);
    if (dominant >= 0) {
      this.led[dominant]++;
    }

    const span = document.createElement('span');
    span.className = 'token' + (token.special ? ' special' : '') + (dominant < 0 ? ' tied' : '');
    span.textContent = token.text;
    span.title = title;
    span.dataset.index = index;
    span.dataset.expert = dominant;
    if (dominant >= 0) {
      span.style.setProperty('--expert', expertColour(dominant));
    }
    this.answer.append(span);

    this.drawBar(index, weights, title);
    this.table.tBodies[0].append(this.row('td', [index + 1, JSON.stringify(token.text),
      ...weights.map(w => w.toFixed(4))]));
    this.drawLegend();
  }

  drawAxis() {
    const axis = this.chart.querySelector('.axis');
    for (const [value, label] of [[0, '0'], [0.5, '0.5'], [1, '1']]) {
      const y = TOP + HEIGHT * (1 - value);
      axis.append(svg('line', { x1: AXIS - 4, x2: AXIS, y1: y, y2: y }));
      const text = svg('text', { x: AXIS - 6, y: y + 4, 'text-anchor': 'end' });
      text.textContent = label;
      axis.append(text);
    }
    axis.append(svg('line', { x1: AXIS, x2: AXIS, y1: TOP, y2: TOP + HEIGHT }));
  }

  drawBar(index, weights, title) {
    const x = AXIS + GAP + index * (BAR + GAP);
    const bar = svg('g', { class: 'bar', 'data-index': index });
    const tooltip = svg('title', {});
    tooltip.textContent = `#${index + 1} ${title}`;
    bar.append(tooltip);
    let y = TOP + HEIGHT;
    weights.forEach((weight, k) => {
      const height = HEIGHT * weight;
      y -= height;
      bar.append(svg('rect', { x, y, width: BAR, height, fill: expertColour(k),
        'data-expert': k, 'data-weight': weight }));
    });
    this.chart.append(bar);
    this.chart.setAttribute('width', x + BAR + GAP);
    const scroller = this.chart.parentElement;
    scroller.scrollLeft = scroller.scrollWidth; // follow the stream
  }

  drawLegend() {
    this.legend.replaceChildren(...this.experts.map((name, k) => {
      const item = document.createElement('li');
      item.style.setProperty('--expert', expertColour(k));
      item.textContent = this.count ? `${name}: led ${this.led[k]} of ${this.count} tokens` : name;
      return item;
    }));
  }

  row(cell, values) {
    const row = document.createElement('tr');
    row.append(...values.map(value => {
      const element = document.createElement(cell);
      element.textContent = value;
      return element;
    }));
    return row;
  }

  highlight(target) {
    this.answer.querySelectorAll('.active').forEach(element => element.classList.remove('active'));
    this.chart.querySelectorAll('.active').forEach(element => element.classList.remove('active'));
    if (target) {
      const index = target.getAttribute('data-index');
      this.answer.querySelector(`[data-index="${index}"]`)?.classList.add('active');
      this.chart.querySelector(`.bar[data-index="${index}"]`)?.classList.add('active');
    }
  }
}
