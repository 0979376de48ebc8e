// The transposed-convolution lab's picture: the input cell being scattered, its kernel-weighted
// copy, the scatter so far (the cells the padding crops away hatched) and the output. Every number
// comes from POST /api/conv_transpose; this file only places them.
import {Grid} from './grid.js';
import {fmt, showFormula, term} from './format.js';
import {t} from './i18n.js';
import {showRefused} from './lab.js';

const blank = (rows, cols) => Array.from({length: rows}, () => Array.from({length: cols}, () => null));

export class TransposedView {
  /** elements: {input, kernel, copy, scatter, output, math, formula, back, backRow}; onInput(values), onKernel(values). */
  constructor(elements, {onInput, onKernel}) {
    this.el = elements;
    this.onInput = onInput;
    this.onKernel = onKernel;
    this.trace = null;
  }

  build(input, kernel) {
    this.el.input.replaceChildren();
    this.inputGrid = new Grid(this.el.input, {rows: input.length, cols: input[0].length, values: input, editable: true,
      label: t('transposed.input'), onInput: this.onInput});
    this.el.kernel.replaceChildren();
    this.kernelGrid = new Grid(this.el.kernel, {rows: kernel.length, cols: kernel[0].length, values: kernel,
      editable: true, label: t('transposed.kernel'), onInput: this.onKernel});
    for (const key of ['copy', 'scatter', 'output']) this.el[key].replaceChildren();
    this.copyGrid = this.scatterGrid = this.outputGrid = null;
  }

  /** A read-only grid of `rows` x `cols` in `container`, made again only when its size or density changes. */
  readOnly(container, current, rows, cols, label, className = '', density = null) {
    container.classList.remove('stale');
    if (current && current.rows === rows && current.cols === cols && current.density === density) return current;
    container.replaceChildren();
    return new Grid(container, {rows, cols, values: blank(rows, cols), label, className, density});
  }

  setTrace(trace) {
    this.trace = trace;
    const [kh, kw] = [trace.kernel_shape[2], trace.kernel_shape[3]];
    const [, hf, wf] = trace.scatter_shape;
    const [oh, ow] = trace.output_shape;
    this.copyGrid = this.readOnly(this.el.copy, this.copyGrid, kh, kw, t('transposed.copy'));
    // The scatter and the output share one cell size, smaller as the scatter grows (it sits under the input).
    const side = Math.max(hf, wf);
    const density = side <= 5 ? 'l' : side <= 9 ? 'm' : side <= 16 ? 's' : 'xs';
    this.scatterGrid = this.readOnly(this.el.scatter, this.scatterGrid, hf, wf, t('transposed.scatter'), '', density);
    this.outputGrid = this.readOnly(this.el.output, this.outputGrid, oh, ow, t('transposed.output'), 'output', density);
    this.outputGrid.setValues(trace.output);
    // The crop: the scatter's cells outside [top, top + rows) x [left, left + cols), as the server gives them.
    const [top, left, rows, cols] = trace.crop;
    const cropped = [];
    for (let r = 0; r < hf; r++) {
      for (let c = 0; c < wf; c++) if (r < top || r >= top + rows || c < left || c >= left + cols) cropped.push([r, c]);
    }
    this.scatterGrid.highlight(cropped, 'cropped');
    showFormula(this.el.formula, trace.formula);
    const back = trace.conv_formula.filter((line) => line !== null);
    this.el.backRow.hidden = back.length === 0;
    showFormula(this.el.back, back);
  }

  /** The server refused the configuration: no result is left on screen. */
  showRefused() {
    for (const key of ['copy', 'scatter', 'output']) showRefused(this.el[key]);
    this.copyGrid = this.scatterGrid = this.outputGrid = null;
    this.trace = null;
    this.el.math.replaceChildren();
    this.el.formula.replaceChildren();
    this.el.back.replaceChildren();
  }

  markStale() {
    for (const key of ['copy', 'scatter', 'output']) this.el[key].classList.add('stale');
    this.inputGrid?.clearHighlight('current');
  }

  showStep(i) {
    const step = this.trace?.steps?.[i];
    if (!step) return;
    const [kh, kw] = [this.trace.kernel_shape[2], this.trace.kernel_shape[3]];
    this.inputGrid.highlight([[step.row, step.col]], 'current');
    const copy = blank(kh, kw);
    step.products.forEach((p, n) => { copy[Math.floor(n / kw)][n % kw] = p; });
    this.copyGrid.setValues(copy);
    this.scatterGrid.setValues(step.partial);
    this.scatterGrid.highlight(step.cells.map(([, r, c]) => [r, c]), 'window');
    this.scatterGrid.highlight(step.cells.filter((_, n) => step.overlaps[n]).map(([, r, c]) => [r, c]), 'overlap');
    this.outputGrid.highlight(step.output_cells.filter((cell) => cell !== null).map(([, r, c]) => [r, c]), 'window');
    this.showMath(step);
  }

  showMath(step) {
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = t('transposed.step', {row: step.row + 1, col: step.col + 1, value: fmt(step.input),
                                              top: step.top + 1, left: step.left + 1});
    const product = document.createElement('span');
    product.textContent = `${term(step.input)} × [${step.weights.map(fmt).join(', ')}] = `;
    const result = document.createElement('span');
    result.className = 'result';
    result.textContent = `[${step.products.map(fmt).join(', ')}]`;
    const dropped = step.inside.filter((inside) => !inside).length;
    const overlapping = step.overlaps.filter(Boolean).length;
    const note = document.createElement('span');
    note.className = 'cropped-note';
    note.textContent = [overlapping ? t('transposed.overlaps', {n: overlapping}) : '',
                        dropped ? t('transposed.cropped', {n: dropped}) : ''].filter(Boolean).join(' ');
    this.el.math.replaceChildren(where, product, result, note);
  }
}
