// The pooling lab's picture: the input with its padding, the pooled map filling in, the current
// window's arithmetic, and the translation demo. Every number comes from POST /api/pool.
import {Grid, gridBlock} from './grid.js';
import {fmt, showFormula, showUnread} from './format.js';
import {t} from './i18n.js';
import {showRefused} from './lab.js';

const PAD = {max: '−∞', avg: 0}; // max pooling pads with -infinity (padding never wins), avg with zeros

export class PoolView {
  /** elements: {input, output, math, formula, unread, shiftPanel, shiftSummary, shiftGrids}; onInput(values). */
  constructor(elements, {onInput}) {
    this.el = elements;
    this.onInput = onInput;
    this.trace = null;
  }

  build(input, padding, mode) {
    this.el.input.replaceChildren();
    this.inputGrid = new Grid(this.el.input, {rows: input.length, cols: input[0].length, values: input, editable: true,
      padding: [padding, padding], padValue: PAD[mode], label: t('pool.input'), onInput: this.onInput});
    this.el.output.replaceChildren();
    this.outputGrid = null;
  }

  setPadding(padding, mode) {
    this.inputGrid.setPadding(padding, padding, PAD[mode]);
  }

  setTrace(trace) {
    this.trace = trace;
    this.el.output.classList.remove('stale');
    const [oh, ow] = trace.output_shape;
    if (!this.outputGrid || this.outputGrid.rows !== oh || this.outputGrid.cols !== ow) {
      this.el.output.replaceChildren();
      this.outputGrid = new Grid(this.el.output, {rows: oh, cols: ow, values: trace.output.map((r) => r.map(() => null)),
        label: t('pool.output'), className: 'output'});
    }
    showFormula(this.el.formula, trace.formula);
    this.showUnread(trace);
    this.showTranslation(trace.translation);
  }

  /** Mark the input cells no window reads (from the trace; null: none). */
  showUnread(trace) {
    showUnread(this.inputGrid ? [this.inputGrid] : [], trace?.padding ?? [0, 0], trace?.unread ?? null, this.el.unread, t);
  }

  /** The server refused the configuration: no pooled map is left on screen. */
  showRefused() {
    showRefused(this.el.output);
    this.outputGrid = null;
    this.trace = null;
  }

  markStale() {
    this.el.output.classList.add('stale');
    this.inputGrid?.clearHighlight('window');
    this.inputGrid?.clearHighlight('winner');
  }

  showStep(i) {
    const steps = this.trace?.steps;
    if (!steps?.length) return;
    const step = steps[i];
    this.inputGrid.highlight(step.cells.map(([, r, c]) => [r, c]), 'window');
    const winner = step.winner !== null && step.winner !== undefined ? step.cells[step.winner] : null;
    this.inputGrid.highlight(winner ? [[winner[1], winner[2]]] : [], 'winner');
    const values = this.trace.output.map((r) => r.map(() => null));
    for (const s of steps.slice(0, i + 1)) values[s.row][s.col] = s.value;
    this.outputGrid.setValues(values);
    this.outputGrid.highlight([[step.row, step.col]], 'current');
    this.showMath(step);
  }

  showMath(step) {
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = t('conv.where', {row: step.row + 1, col: step.col + 1});
    const result = document.createElement('span');
    result.className = 'result';
    result.textContent = fmt(step.value);
    const shown = step.values.map((v) => (v === null ? '−∞' : fmt(v)));
    const text = this.trace.mode === 'max'
      ? `max(${shown.join(', ')}) = `
      : `(${shown.join(' + ')}) / ${step.count} = ${fmt(step.sum)} / ${step.count} = `;
    // A ceil_mode window cut at the edge of the padded input; padding left out of the count.
    const notes = [];
    if (step.cells.length < this.trace.size[0] * this.trace.size[1]) notes.push(t('pool.window_cut'));
    if (this.trace.mode === 'avg' && step.count < step.cells.length) notes.push(t('pool.pad_not_counted'));
    const note = document.createElement('span');
    note.className = 'window-note';
    note.textContent = notes.length ? ` (${notes.join('; ')})` : '';
    this.el.math.replaceChildren(where, text, result, note);
  }

  clearMath() {
    this.el.math.replaceChildren();
  }

  /** The translation demo: the map and its one-pixel shift, pooled, with changed cells marked. */
  showTranslation(demo) {
    this.el.shiftPanel.hidden = !demo;
    this.el.shiftGrids.replaceChildren();
    if (!demo) return;
    const t0 = this.trace;
    // The server's verdict picks the sentence: "but only" is said only when pooling did hide part of the shift.
    this.el.shiftSummary.textContent = t(`pool.shift.summary.${demo.verdict}`, {
      direction: t(`pool.shift.${demo.direction}`), input_changed: demo.input_changed_count, input_total: demo.input_total,
      input_percent: fmt(demo.input_changed_percent), output_changed: demo.output_changed_count,
      output_total: demo.output_total, output_percent: fmt(demo.output_changed_percent)});
    this.el.shiftSummary.dataset.verdict = demo.verdict;
    this.el.shiftHonest.hidden = !['all', 'not_fewer'].includes(demo.verdict);
    const marked = (container, title, values, changed) => {
      const g = new Grid(gridBlock(container, title), {rows: values.length, cols: values[0].length, values, label: title,
        density: values.length > 6 ? 's' : null});
      g.highlight(changed.flatMap((row, r) => row.flatMap((c, q) => (c ? [[r, q]] : []))), 'changed');
      return g;
    };
    const original = this.inputGrid.values();
    const row1 = this.el.shiftGrids;
    const row2 = this.el.shiftGrids;
    marked(row1, t('pool.shift.before'), original, demo.input_changed.map((r) => r.map(() => false)));
    marked(row1, t('pool.shift.after'), demo.shifted_input, demo.input_changed);
    marked(row2, t('pool.shift.pooled_before'), t0.output, demo.output_changed.map((r) => r.map(() => false)));
    marked(row2, t('pool.shift.pooled_after'), demo.shifted_output, demo.output_changed);
  }
}
