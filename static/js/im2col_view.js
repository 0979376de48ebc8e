// The notes' matrix form of convolution: every window becomes one column, every filter one row,
// and the whole convolution is one matrix product (kernel rows × columns + bias). The matrices
// come from the server (`im2col` in the answer of POST /api/conv); this view only draws them and
// follows the player: the current window's column, its filter's row and their product light up.
import {Grid, gridBlock} from './grid.js';
import {t} from './i18n.js';
import {showRefused} from './lab.js';

function operator(container, text) {
  const op = document.createElement('div');
  op.className = 'operator';
  op.setAttribute('aria-hidden', 'true');
  op.textContent = text;
  container.append(op);
}

export class Im2colView {
  constructor(container) {
    this.container = container;
    this.data = null;
  }

  /** A new answer from POST /api/conv (its `im2col` may be null: too large to show). */
  setTrace(trace) {
    this.trace = trace;
    this.data = trace.im2col;
    this.container.replaceChildren();
    if (!this.data) {
      const note = document.createElement('p');
      note.className = 'hint';
      note.textContent = t('im2col.too_big');
      this.container.append(note);
      return;
    }
    const row = document.createElement('div');
    row.className = 'matrix-row';
    this.container.append(row);
    const {kernel_rows: rows, columns, bias, product} = this.data;
    const side = Math.max(columns.length, columns[0].length);
    const density = side <= 9 ? 'm' : side <= 30 ? 's' : 'xs';
    this.kernelGrid = new Grid(gridBlock(row, t('im2col.kernel_rows', {rows: rows.length, cols: rows[0].length})),
      {rows: rows.length, cols: rows[0].length, values: rows, label: t('im2col.kernel_rows_label'), density});
    operator(row, '×');
    this.columnsGrid = new Grid(gridBlock(row, t('im2col.columns', {rows: columns.length, cols: columns[0].length})),
      {rows: columns.length, cols: columns[0].length, values: columns, label: t('im2col.columns_label'), density});
    operator(row, '+');
    this.biasGrid = new Grid(gridBlock(row, t('conv.bias')),
      {rows: bias.length, cols: 1, values: bias.map((b) => [b]), label: t('conv.bias'), density});
    operator(row, '=');
    // With an activation the product is z, the values before it; the feature map shows them after it.
    const activation = trace.activation;
    const productTitle = activation
      ? t('im2col.product_before', {rows: product.length, cols: product[0].length, activation})
      : t('im2col.product', {rows: product.length, cols: product[0].length});
    if (activation) {
      const note = document.createElement('p');
      note.className = 'hint im2col-activation';
      note.textContent = t('im2col.before_activation', {activation});
      row.before(note); // above the matrices, where it is read first
    }
    this.productGrid = new Grid(gridBlock(row, productTitle),
      {rows: product.length, cols: product[0].length, values: product.map((r) => r.map(() => null)),
       label: t('im2col.product_label'), density});
  }

  /** The server refused the configuration: no matrices are left on screen. */
  showRefused() {
    this.data = null;
    this.trace = null;
    showRefused(this.container);
  }

  showStep(i) {
    if (!this.data || !this.trace?.steps?.length) return;
    const steps = this.trace.steps;
    const {columns, product} = this.data;
    const width = product[0].length; // steps run filter by filter, each over its OH*OW windows in order
    const step = steps[i];
    const j = i % width;
    this.columnsGrid.highlight(columns.map((_, r) => [r, j]), 'window');
    this.kernelGrid.highlight(this.data.kernel_rows[0].map((_, c) => [step.filter, c]), 'window');
    this.biasGrid.highlight([[step.filter, 0]], 'window');
    const shown = product.map((r) => r.map(() => null));
    for (let k = 0; k <= i; k++) shown[Math.floor(k / width)][k % width] = product[Math.floor(k / width)][k % width];
    this.productGrid.setValues(shown);
    this.productGrid.highlight([[step.filter, j]], 'current');
  }
}
