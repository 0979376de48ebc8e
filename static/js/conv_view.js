// The convolution lab's picture: input channels (with their padding), the filters, the feature
// maps, and the current step's arithmetic. Every number comes from the server's trace.
import {Grid} from './grid.js';
import {fmt, showFormula, showUnread, term} from './format.js';
import {t} from './i18n.js';
import {showRefused} from './lab.js';
import {answerSides, copyTitle} from './padding_controls.js';

function block(container, caption) {
  const box = document.createElement('div');
  box.className = 'channel';
  if (caption) {
    const label = document.createElement('span');
    label.className = 'channel-label';
    label.textContent = caption;
    box.append(label);
  }
  container.append(box);
  return box;
}

export class ConvView {
  /** elements: {input, kernel, output, math, formula, unread}; onInput(kind, indices, values) for edits. */
  constructor(elements, {onInput}) {
    this.el = elements;
    this.onInput = onInput;
    this.trace = null;
  }

  /** Draw editable grids for `input` (C, H, W) and `kernel` (F, C, kh, kw) with `padding`
   * ([top, bottom, left, right], or an answer's {top, bottom, left, right}). */
  build(input, kernel, padding) {
    const sides = Array.isArray(padding) ? padding : answerSides(padding);
    this.el.input.replaceChildren();
    this.el.kernel.replaceChildren();
    const many = input.length > 1;
    this.inputGrids = input.map((channel, c) => new Grid(block(this.el.input, many ? t('lab.channel_n', {n: c + 1}) : ''), {
      rows: channel.length, cols: channel[0].length, values: channel, editable: true, padding: sides,
      label: many ? `${t('conv.input')} ${t('lab.channel_n', {n: c + 1})}` : t('conv.input'),
      onInput: (values) => this.onInput('input', [c], values),
    }));
    this.kernelGrids = kernel.map((filter, f) => {
      const row = document.createElement('div');
      row.className = 'channels';
      this.el.kernel.append(row);
      return filter.map((channel, c) => {
        const caption = [kernel.length > 1 ? t('lab.filter_n', {n: f + 1}) : '', many ? t('lab.channel_n', {n: c + 1}) : '']
          .filter(Boolean).join(' · ');
        return new Grid(block(row, caption), {
          rows: channel.length, cols: channel[0].length, values: channel, editable: true,
          label: `${t('conv.kernel')} ${caption}`.trim(), onInput: (values) => this.onInput('kernel', [f, c], values),
        });
      });
    });
    this.el.output.replaceChildren();
    this.outputGrids = [];
    this.trace = null;
  }

  /** Change the padding border drawn around the input: [top, bottom, left, right]. */
  setPadding(sides) {
    for (const g of this.inputGrids) g.setSides(sides);
  }

  /** A new trace from POST /api/conv: size the feature maps; nothing is filled until showStep. */
  setTrace(trace) {
    this.trace = trace;
    this.el.output.classList.remove('stale');
    const [filters, oh, ow] = trace.output.length && Array.isArray(trace.output[0][0])
      ? [trace.output.length, trace.output[0].length, trace.output[0][0].length]
      : [1, trace.output.length, trace.output[0].length];
    if (this.outputGrids.length !== filters || this.outputGrids[0]?.rows !== oh || this.outputGrids[0]?.cols !== ow) {
      this.el.output.replaceChildren();
      this.outputGrids = Array.from({length: filters}, (_, f) => new Grid(
        block(this.el.output, filters > 1 ? t('lab.map_n', {n: f + 1}) : ''),
        {rows: oh, cols: ow, values: Array.from({length: oh}, () => Array(ow).fill(null)),
         label: `${t('conv.output')} ${filters > 1 ? f + 1 : ''}`.trim(), className: 'output'}));
    }
    showFormula(this.el.formula, trace.formula);
    // the border as the server worked it out ("same" included), filled with the server's padded input
    this.setPadding(answerSides(trace.padding));
    for (const [c, g] of this.inputGrids.entries()) {
      g.setPadCells(trace.padded_input[c], trace.padding_source, (row, col) => copyTitle(trace.padding_mode, row, col));
    }
    this.showUnread(trace);
  }

  /** Mark the input cells no window reads (from the trace; null: none). */
  showUnread(trace) {
    const at = trace ? [trace.padding.top, trace.padding.left] : [0, 0];
    showUnread(this.inputGrids ?? [], at, trace?.unread ?? null, this.el.unread, t);
  }

  /** The trace is out of date (an edit is on its way, or the server refused it). */
  markStale() {
    this.el.output.classList.add('stale');
    for (const g of this.inputGrids ?? []) g.clearHighlight('window');
    for (const row of this.kernelGrids ?? []) for (const g of row) g.clearHighlight('window');
  }

  showStep(i) {
    const steps = this.trace?.steps;
    if (!steps?.length) return;
    const step = steps[i];
    for (const [c, g] of this.inputGrids.entries()) {
      g.highlight(step.cells.filter(([ch]) => ch === c).map(([, r, q]) => [r, q]), 'window');
    }
    for (const [f, row] of this.kernelGrids.entries()) {
      for (const g of row) {
        const cells = f === step.filter ? g.values().flatMap((line, r) => line.map((_, q) => [r, q])) : [];
        g.highlight(cells, 'window');
      }
    }
    const values = this.outputGrids.map((g) => Array.from({length: g.rows}, () => Array(g.cols).fill(null)));
    for (const s of steps.slice(0, i + 1)) values[s.filter][s.row][s.col] = s.value;
    for (const [f, g] of this.outputGrids.entries()) {
      g.setValues(values[f]);
      g.highlight(f === step.filter ? [[step.row, step.col]] : [], 'current');
    }
    this.showMath(step);
  }

  showMath(step) {
    // One input channel: its products, the bias and the activation on one line. Several: one line per
    // channel, labelled, with the server's subtotal, then a line adding the subtotals and the bias.
    const groups = [];
    step.inputs.forEach((x, k) => {
      const channel = step.cells[k][0];
      (groups[channel] ??= []).push(`${term(x)}×${term(step.weights[k])}`);
    });
    const lines = groups.filter(Boolean).map((g) => g.join(' + '));
    const activation = this.trace.activation;
    const where = t('conv.where', {filter: step.filter + 1, row: step.row + 1, col: step.col + 1});
    const whereNode = document.createElement('span');
    whereNode.className = 'where';
    whereNode.textContent = this.outputGrids.length > 1 ? `${t('lab.map_n', {n: step.filter + 1})} · ${where}` : where;
    const body = document.createElement('span');
    body.className = 'terms';
    const resultNode = document.createElement('span');
    resultNode.className = 'result';
    resultNode.textContent = fmt(step.value);
    const bias = step.bias !== 0 ? ` + ${term(step.bias)}` : '';
    const ending = activation ? `) = ${activation}(${fmt(step.z)})` : '';
    if (lines.length === 1) {
      body.append(`${activation ? `${activation}(` : ''}${lines[0]}${bias}${ending} = `, resultNode);
      this.el.math.replaceChildren(whereNode, body);
      return;
    }
    lines.forEach((line, c) => {
      const node = document.createElement('span');
      node.className = 'math-line';
      node.dataset.channel = String(c + 1);
      const name = document.createElement('span');
      name.className = 'channel-name';
      name.textContent = `${t('lab.channel_n', {n: c + 1})}: `;
      const subtotal = document.createElement('span');
      subtotal.className = 'subtotal';
      subtotal.textContent = fmt(step.channel_sums[c]);
      node.append(name, `${line} = `, subtotal);
      body.append(node);
    });
    const last = document.createElement('span');
    last.className = 'math-line total-line';
    const subtotals = step.channel_sums.map(term).join(' + ');
    last.append(`${activation ? `${activation}(` : ''}${subtotals}${bias}${ending} = `, resultNode);
    this.el.math.replaceChildren(whereNode, body, last);
  }

  clearMath() {
    this.el.math.replaceChildren();
  }

  /** The server refused the configuration: no feature map is left on screen. */
  showRefused() {
    showRefused(this.el.output);
    this.outputGrids = [];
    this.trace = null;
  }
}
