// A traced block of the feature map, step by step: the pixels the block sees, the kernel, the
// block's output cells filling in, and the current step's products written out
// (`163×(-1) + 169×1 = 6`). The numbers are the server's trace; a Player calls showStep(i).
import {fmt, term} from './format.js';
import {Grid} from './grid.js';
import {t} from './i18n.js';

export class FilterTraceView {
  /** containers: {input, kernel, output, math} elements. */
  constructor(containers) {
    this.containers = containers;
    this.grids = {};
    this.trace = null;
  }

  /** A new trace (the `trace` of an answer of POST /api/filter) and its kernel (rows of numbers). */
  setTrace(trace, kernel) {
    this.trace = trace;
    for (const grid of Object.values(this.grids)) grid.remove();
    const make = (name, values, label) => new Grid(this.containers[name], {
      rows: values.length, cols: values[0].length, values, label, className: `trace-${name}`});
    this.grids = {
      input: make('input', trace.input, t('filter.trace.input')),
      kernel: make('kernel', kernel, t('filter.kernel')),
      output: make('output', trace.output.map((line) => line.map(() => null)), t('filter.trace.output')),
    };
  }

  clear() {
    for (const grid of Object.values(this.grids)) grid.remove();
    this.grids = {};
    this.trace = null;
    this.containers.math.replaceChildren();
  }

  showStep(i) {
    const {steps, cols} = this.trace;
    const step = steps[i];
    this.grids.input.highlight(step.cells.map(([, r, c]) => [r, c]), 'window');
    const out = this.grids.output;
    out.clearHighlight('current');
    out.clearHighlight('done');
    steps.forEach((s, k) => {
      const [r, c] = [Math.floor(k / cols), k % cols];
      out.setCell(r, c, k <= i ? s.value : null);
      if (k < i) out.cellAt(r, c)?.classList.add('done');
    });
    out.cellAt(Math.floor(i / cols), i % cols)?.classList.add('current');
    const terms = step.inputs.map((x, k) => `${term(x)}×${term(step.weights[k])}`).join(' + ');
    const withBias = step.bias ? ` + ${term(step.bias)}` : '';
    const line = document.createElement('span');
    line.className = 'math-line';
    line.append(`${terms}${withBias} = `);
    const result = document.createElement('span');
    result.className = 'result';
    result.textContent = fmt(step.value);
    line.append(result);
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = t('filter.trace.where', {row: step.row + 1, col: step.col + 1});
    this.containers.math.replaceChildren(line, where);
    this.containers.math.dataset.row = String(step.row);
    this.containers.math.dataset.col = String(step.col);
  }
}
