// A small SVG line chart: series, axes with ticks, a legend, shaded regions and bands, markers.
//
//   const chart = new LineChart(container, {xLabel: 'z', logY: false, label: 'sigmoid and its derivative'});
//   chart.setData({
//     series: [{id: 'f', label: 'f(z)', x, y}, {id: 'df', label: "f'(z)", x, y: dy, dash: true}],
//     regions: [{x0: -6, x1: -2.9, label: 'saturated'}],          // shaded vertical spans
//     bands: [{x, lower, upper, label: 'training band'}],           // a shaded area between two curves
//     markers: [{x: 0, y: 0.25, label: '0.25', series: 'df'}],    // dots with a text
//     xDomain: [-6, 6], yDomain: null,                              // null: from the data
//     overflow: null,   // or a legend text: points above yDomain are marked with a ▲ at the top edge
//   });
//
// The chart draws numbers it is given; it computes nothing but where they go on the screen. With
// `logY`, values <= 0 cannot be drawn: a series breaks there (and a marker there is left out); so
// does a null, NaN or infinite value. With `overflow`, a point above the y domain is drawn at the
// top edge under a ▲ (`.chart-overflow`, one per few pixels) and the legend says what ▲ means.
// Series are coloured by their position (CSS classes series-0, series-1, ...) unless they give
// `className`. Every series path carries `data-series` (its id) and `data-points` (how many points
// were drawn), so that tests and other code can find it.
const SVG = 'http://www.w3.org/2000/svg';
const SUPERSCRIPT = {'-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹'};

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  if (parent) parent.append(node);
  return node;
}

/** Tick values for a linear axis over [lo, hi]: about `count` round numbers (1, 2 or 5 x 10^k apart). */
export function linearTicks(lo, hi, count = 6) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return ticks;
}

/** Tick values for a log axis: powers of ten in [lo, hi], from the top down, at most about `count`. */
export function logTicks(lo, hi, count = 7) {
  const a = Math.ceil(Math.log10(lo) - 1e-9);
  const b = Math.floor(Math.log10(hi) + 1e-9);
  const every = Math.max(1, Math.ceil((b - a + 1) / count));
  const ticks = [];
  for (let p = b; p >= a; p -= every) ticks.push(10 ** p);
  return ticks;
}

function tickText(v, log) {
  if (log) {
    const p = Math.round(Math.log10(v));
    if (p >= 0 && p <= 3) return String(10 ** p);
    return `10${String(p).split('').map((c) => SUPERSCRIPT[c]).join('')}`;
  }
  return String(Number(v.toPrecision(6)));
}

export class LineChart {
  /**
   * container: an element the chart (an SVG and an HTML legend) is drawn into.
   * options: width, height (the SVG's coordinate size; it scales to its box), xLabel, yLabel,
   * logY (false), label (the accessible name), legend (true).
   */
  constructor(container, {width = 560, height = 300, xLabel = '', yLabel = '', logY = false, label = '',
                          legend = true} = {}) {
    this.container = container;
    this.width = width;
    this.height = height;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.logY = logY;
    this.margin = {top: 12, right: 16, bottom: 40, left: 58};
    container.classList.add('linechart');
    this.svg = el('svg', {viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label,
                          preserveAspectRatio: 'xMidYMid meet'});
    this.title = el('title', {}, this.svg);
    this.title.textContent = label;
    container.append(this.svg);
    this.legend = null;
    if (legend) {
      this.legend = document.createElement('ul');
      this.legend.className = 'chart-legend';
      container.append(this.legend);
    }
  }

  /** Change the accessible name. */
  setLabel(label) {
    this.svg.setAttribute('aria-label', label);
    this.title.textContent = label;
  }

  drawable(y) {
    return Number.isFinite(y) && (!this.logY || y > 0);
  }

  domains({series, bands, xDomain, yDomain}) {
    const xs = [];
    const ys = [];
    for (const s of series) {
      s.x.forEach((x, i) => { if (this.drawable(s.y[i])) { xs.push(x); ys.push(s.y[i]); } });
    }
    for (const b of bands) for (const v of [...b.lower, ...b.upper]) if (this.drawable(v)) ys.push(v);
    let [x0, x1] = xDomain ?? [Math.min(...xs), Math.max(...xs)];
    if (!(x1 > x0)) [x0, x1] = [x0 - 1, x0 + 1];
    let y0; let y1;
    if (yDomain) [y0, y1] = yDomain;
    else if (!ys.length) [y0, y1] = this.logY ? [1e-3, 1] : [0, 1];
    else if (this.logY) {
      const lo = Math.log10(Math.min(...ys));
      const hi = Math.log10(Math.max(...ys));
      const pad = Math.max(0.25, (hi - lo) * 0.06);
      y0 = 10 ** Math.floor(lo - pad);
      y1 = 10 ** (hi + pad);
    } else {
      y0 = Math.min(...ys);
      y1 = Math.max(...ys);
      const pad = (y1 - y0) * 0.06 || 0.5;
      y0 -= pad;
      y1 += pad;
    }
    return {x0, x1, y0, y1};
  }

  /** Draw everything anew from `data` (see the file's header). */
  setData({series = [], regions = [], bands = [], markers = [], xDomain = null, yDomain = null, overflow = null} = {}) {
    const {width, height, margin: m} = this;
    const {x0, x1, y0, y1} = this.domains({series, bands, xDomain, yDomain});
    const left = m.left;
    const right = width - m.right;
    const top = m.top;
    const bottom = height - m.bottom;
    const sx = (x) => left + ((x - x0) / (x1 - x0)) * (right - left);
    const sy = this.logY
      ? (y) => bottom - ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * (bottom - top)
      : (y) => bottom - ((y - y0) / (y1 - y0)) * (bottom - top);
    const clampY = (y) => Math.max(top - 4, Math.min(bottom + 4, y));
    this.scale = {sx, sy};
    for (const node of [...this.svg.childNodes]) if (node !== this.title) node.remove();

    const clipId = `clip-${Math.random().toString(36).slice(2)}`;
    const defs = el('defs', {}, this.svg);
    el('rect', {x: left, y: top, width: right - left, height: bottom - top}, el('clipPath', {id: clipId}, defs));

    const back = el('g', {class: 'chart-regions', 'clip-path': `url(#${clipId})`}, this.svg);
    for (const r of regions) {
      const a = sx(Math.max(x0, r.x0));
      const b = sx(Math.min(x1, r.x1));
      const rect = el('rect', {class: `chart-region ${r.className ?? ''}`.trim(), x: Math.min(a, b) - 1, y: top,
                               width: Math.max(2, Math.abs(b - a) + 2), height: bottom - top,
                               'data-x0': r.x0, 'data-x1': r.x1}, back);
      if (r.label) el('title', {}, rect).textContent = r.label;
    }

    const grid = el('g', {class: 'chart-axes'}, this.svg);
    const yTicks = this.logY ? logTicks(y0, y1) : linearTicks(y0, y1, 6);
    const xTicks = linearTicks(x0, x1, 8);
    for (const v of yTicks) {
      const y = sy(v);
      if (y < top - 0.5 || y > bottom + 0.5) continue;
      el('line', {class: v === 0 && !this.logY ? 'chart-zero' : 'chart-grid', x1: left, x2: right, y1: y, y2: y}, grid);
      el('text', {class: 'chart-tick', x: left - 6, y: y + 4, 'text-anchor': 'end'}, grid).textContent = tickText(v, this.logY);
    }
    for (const v of xTicks) {
      const x = sx(v);
      if (x < left - 0.5 || x > right + 0.5) continue;
      el('line', {class: v === 0 ? 'chart-zero' : 'chart-grid', x1: x, x2: x, y1: top, y2: bottom}, grid);
      el('text', {class: 'chart-tick', x, y: bottom + 16, 'text-anchor': 'middle'}, grid).textContent = tickText(v, false);
    }
    el('rect', {class: 'chart-frame', x: left, y: top, width: right - left, height: bottom - top}, grid);
    if (this.xLabel) {
      el('text', {class: 'chart-axis-label', x: (left + right) / 2, y: height - 4, 'text-anchor': 'middle'}, grid)
        .textContent = this.xLabel;
    }
    if (this.yLabel) {
      el('text', {class: 'chart-axis-label', x: 12, y: (top + bottom) / 2, 'text-anchor': 'middle',
                  transform: `rotate(-90 12 ${(top + bottom) / 2})`}, grid).textContent = this.yLabel;
    }

    const plot = el('g', {class: 'chart-plot', 'clip-path': `url(#${clipId})`}, this.svg);
    for (const b of bands) {
      const upper = b.x.map((x, i) => [sx(x), clampY(sy(b.upper[i]))]);
      const lower = b.x.map((x, i) => [sx(x), clampY(sy(b.lower[i]))]).reverse();
      const d = [...upper, ...lower].map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(2)},${y.toFixed(2)}`).join('') + 'Z';
      const path = el('path', {class: `chart-band ${b.className ?? ''}`.trim(), d}, plot);
      if (b.label) el('title', {}, path).textContent = b.label;
    }
    series.forEach((s, k) => {
      let d = '';
      let pen = false;
      let points = 0;
      s.x.forEach((x, i) => {
        const y = s.y[i];
        if (!this.drawable(y)) { pen = false; return; }
        d += `${pen ? 'L' : 'M'}${sx(x).toFixed(2)},${clampY(sy(y)).toFixed(2)}`;
        pen = true;
        points += 1;
      });
      el('path', {class: `chart-line ${s.className ?? `series-${k}`}${s.dash ? ' dashed' : ''}`, d,
                  'data-series': s.id, 'data-points': points}, plot);
    });
    if (overflow) this.drawOverflow(series, {x0, x1, y1, sx, top});
    const dots = el('g', {class: 'chart-markers'}, this.svg);
    for (const mk of markers) {
      if (!this.drawable(mk.y) || mk.x < x0 || mk.x > x1) continue;
      const k = series.findIndex((s) => s.id === mk.series);
      const cls = k >= 0 ? (series[k].className ?? `series-${k}`) : '';
      const [x, y] = [sx(mk.x), clampY(sy(mk.y))];
      el('circle', {class: `chart-marker ${cls}`.trim(), cx: x, cy: y, r: 4.5}, dots);
      if (mk.label) {
        const anchor = x > (left + right) / 2 ? 'end' : 'start';
        el('text', {class: `chart-marker-label ${cls}`.trim(), x: x + (anchor === 'end' ? -8 : 8), y: y - 8,
                    'text-anchor': anchor}, dots).textContent = mk.label;
      }
    }
    this.drawLegend(series, regions, bands, overflow);
  }

  /** A ▲ at the top edge above every point beyond the y domain (at most one per 6 pixels a series). */
  drawOverflow(series, {x0, x1, y1, sx, top}) {
    const marks = el('g', {class: 'chart-overflows'}, this.svg);
    series.forEach((s, k) => {
      const cls = s.className ?? `series-${k}`;
      let lastPixel = -Infinity;
      s.x.forEach((x, i) => {
        const y = s.y[i];
        if (!this.drawable(y) || y <= y1 || x < x0 || x > x1) return;
        const px = sx(x);
        if (px - lastPixel < 6) return;
        lastPixel = px;
        const d = `M${(px - 5).toFixed(2)},${(top + 8).toFixed(2)}L${px.toFixed(2)},${(top - 1).toFixed(2)}`
          + `L${(px + 5).toFixed(2)},${(top + 8).toFixed(2)}Z`;
        el('path', {class: `chart-overflow ${cls}`, d, 'data-series': s.id, 'data-x': x, 'data-y': y}, marks);
      });
    });
  }

  drawLegend(series, regions, bands, overflow = null) {
    if (!this.legend) return;
    const items = series.map((s, k) => ({label: s.label, cls: `line ${s.className ?? `series-${k}`}${s.dash ? ' dashed' : ''}`}));
    const firstBand = bands.find((b) => b.label);
    if (firstBand) items.push({label: firstBand.label, cls: `band ${firstBand.className ?? ''}`});
    const firstRegion = regions.find((r) => r.label);
    if (firstRegion) items.push({label: firstRegion.label, cls: `region ${firstRegion.className ?? ''}`});
    if (overflow) items.push({label: overflow, cls: null});
    this.legend.replaceChildren(...items.map(({label, cls}) => {
      const li = document.createElement('li');
      if (cls === null) {  // (the text says what its mark is)
        li.className = 'chart-legend-overflow';
        li.append(label);
        return li;
      }
      const swatch = document.createElement('span');
      swatch.className = `swatch ${cls}`.trim();
      swatch.setAttribute('aria-hidden', 'true');
      li.append(swatch, label);
      return li;
    }));
  }
}
