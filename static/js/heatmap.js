// A 2-D array of numbers drawn as an image on a canvas, one canvas pixel per cell, with a colour
// scale bar, an optional outlined box and clicks reported as (row, col).
//
//   const map = new Heatmap(container, {label: 'feature map', onPick: (row, col) => ...});
//   map.setData(values, {kind: 'diverging', low: -255, high: 255});   // or {kind: 'gray', low: 0, high: 255}
//   map.setBox({row: 10, col: 20, rows: 4, cols: 4});                 // null removes it
//
// `kind` 'gray' runs from black (low) to white (high); 'diverging' from blue (low) through white
// (the middle) to red (high). The scale comes with the numbers (the server chooses it); the widget
// only turns each number into a colour (the scales and the painter are in colour.js).
import {colour, paintArray, rampCss} from './colour.js';
import {fmt} from './format.js';

export class Heatmap {
  /** options: label (accessible name), onPick(row, col) (a click on the canvas), scaleBar (true). */
  constructor(container, {label = '', onPick = null, scaleBar = true} = {}) {
    this.root = document.createElement('div');
    this.root.className = 'heatmap';
    this.frame = document.createElement('div');
    this.frame.className = 'heatmap-frame';
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', label);
    this.box = document.createElement('div');
    this.box.className = 'heatmap-box';
    this.box.hidden = true;
    this.frame.append(this.canvas, this.box);
    this.root.append(this.frame);
    this.rows = 0;
    this.cols = 0;
    if (scaleBar) {
      this.bar = document.createElement('div');
      this.bar.className = 'heatmap-scale';
      this.root.append(this.bar);
    }
    if (onPick) {
      this.canvas.classList.add('pickable');
      this.canvas.addEventListener('click', (event) => {
        const r = this.canvas.getBoundingClientRect();
        const col = Math.floor(((event.clientX - r.left) / r.width) * this.cols);
        const row = Math.floor(((event.clientY - r.top) / r.height) * this.rows);
        if (row >= 0 && col >= 0 && row < this.rows && col < this.cols) onPick(row, col);
      });
    }
    container.append(this.root);
  }

  /** Draw `values` (rows of numbers) with `scale` {kind, low, high}. */
  setData(values, scale) {
    const rows = values.length;
    const cols = rows ? values[0].length : 0;
    this.rows = rows;
    this.cols = cols;
    this.root.dataset.rows = String(rows);
    this.root.dataset.cols = String(cols);
    this.root.classList.toggle('small', Math.max(rows, cols) <= 64);
    if (rows && cols) {
      paintArray(this.canvas, values, (v) => colour(v, scale));
    } else {
      this.canvas.width = this.canvas.height = 1;
      this.canvas.getContext('2d').clearRect(0, 0, 1, 1);
    }
    if (this.bar) this.drawScale(scale);
  }

  drawScale({kind, low, high}) {
    this.bar.replaceChildren();
    const ramp = document.createElement('span');
    ramp.className = 'ramp';
    ramp.style.background = rampCss(kind);
    const lo = document.createElement('span');
    lo.className = 'low';
    lo.textContent = fmt(low);
    const hi = document.createElement('span');
    hi.className = 'high';
    hi.textContent = fmt(high);
    this.bar.append(lo, ramp, hi);
  }

  /** Outline cells rows x cols from (row, col); null hides the outline. */
  setBox(box) {
    this.box.hidden = !box || !this.rows;
    if (this.box.hidden) return;
    const {row, col, rows, cols} = box;
    Object.assign(this.box.style, {top: `${(row / this.rows) * 100}%`, left: `${(col / this.cols) * 100}%`,
                                   height: `${(rows / this.rows) * 100}%`, width: `${(cols / this.cols) * 100}%`});
  }
}
