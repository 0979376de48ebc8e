// The vanishing gradient: how much of a gradient survives 1..depth stacked layers, on a log scale,
// for the two activations of the lab, with the chosen depth marked and written out
// ("Sigmoid: 0.25 per layer; after 10 layers 0.25^10 = 9.537e-7"). Every number is the server's
// (the `gradient` part of an answer of POST /api/activations).
import {activationName} from './activation_panel.js';
import {fmt, term} from './format.js';
import {t} from './i18n.js';
import {LineChart} from './linechart.js';

export class VanishView {
  /** chart: the chart's container; readout: a <ul> for one line per activation. */
  constructor(chart, readout) {
    this.chart = new LineChart(chart, {xLabel: t('act.vanish.axis_layers'), yLabel: t('act.vanish.axis_size'),
                                       logY: true, width: 560, height: 300, label: t('act.vanish.title')});
    this.readout = readout;
    this.sides = {};
    this.depth = 1;
  }

  /** The gradient part of side `side`'s answer, for activation `name`. */
  set(side, name, gradient) {
    this.sides[side] = {name, gradient};
    this.draw();
  }

  /** Mark and write out the gradient after `depth` layers. */
  setDepth(depth) {
    this.depth = depth;
    this.draw();
  }

  draw() {
    const entries = Object.entries(this.sides).sort(([a], [b]) => a.localeCompare(b));
    if (!entries.length) return;
    const n = this.depth;
    const series = entries.map(([side, {name, gradient}]) => ({
      id: side, label: t('act.vanish.series', {side: side.toUpperCase(), name: activationName(name)}),
      x: gradient.layers, y: gradient.size}));
    const markers = entries.map(([side, {gradient}]) => ({
      x: n, y: gradient.size[n - 1], series: side, label: fmt(gradient.size[n - 1])}));
    this.chart.setData({series, markers, xDomain: [1, entries[0][1].gradient.depth]});
    this.readout.replaceChildren(...entries.map(([side, {name, gradient}]) => this.line(side, name, gradient, n)));
  }

  line(side, name, gradient, n) {
    const li = document.createElement('li');
    li.dataset.side = side;
    li.dataset.gradient = String(gradient.gradient[n - 1]);
    li.dataset.factor = String(gradient.factor[0]);
    const swatch = document.createElement('span');
    swatch.className = `swatch series-${side === 'a' ? 0 : 1}`;
    swatch.setAttribute('aria-hidden', 'true');
    const text = t('act.vanish.line', {name: activationName(name), z: fmt(gradient.z), factor: term(gradient.factor[0]),
                                       n, gradient: fmt(gradient.gradient[n - 1])});
    li.dataset.trend = gradient.trend[n - 1];
    li.append(swatch, text, ' ', t(`act.vanish.trend.${gradient.trend[n - 1]}`));
    if (gradient.size[n - 1] === 0) li.append(' ', t('act.vanish.zero'));
    return li;
  }
}
