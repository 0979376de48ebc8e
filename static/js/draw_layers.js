// Inside the network: every layer's output for the drawing, as the server sent it.
//
//   const view = new LayersView(container, {onCell});
//   view.show(answer.layers);   // [{name, type, shape, values, min, max, scale}, ...]
//
// Clicking a convolution or pooling map calls onCell({layer, type, channel, row, column, value}) with
// the cell under the pointer (0-based) and the value the server sent for it, and marks that cell.
//
// Feature maps (C x H x W) become C small images; vectors (dense layers) a strip of cells (one
// canvas), and the last layer (ten scores) its numbers. Colours only display values on the server's scale:
// dark for large positive values, red for negative ones. Canvases and cells are built once per
// network and then repainted, so updating while drawing stays cheap.
import {fmt, shape} from './format.js';
import {t} from './i18n.js';
import {css, paintArray, signedColour} from './colour.js';

const HIDDEN_TYPES = new Set(['flatten']);   // the same numbers as the layer before, in a row
const WINDOW_TYPES = new Set(['conv', 'maxpool', 'avgpool']);   // maps whose cells open in a lab

function mapSize(side) {
  return side >= 24 ? 'l' : side >= 12 ? 'm' : side >= 8 ? 's' : 'xs';
}

export class LayersView {
  constructor(container, {onCell = null} = {}) {
    this.container = container;
    this.signature = '';
    this.blocks = [];
    this.onCell = onCell;
    this.layers = new Map();   // the latest answer's layers, by name
    this.selected = null;      // {layer, channel, row, column}
  }

  clear() {
    this.container.replaceChildren();
    this.signature = '';
    this.blocks = [];
    this.selected = null;
  }

  /** The cell of `canvas` (a C x H x W layer's map `channel`) under a click, and its value. */
  pick(layer, channel, canvas, event) {
    const entry = this.layers.get(layer.name);
    if (!entry || !this.onCell) return;
    const [, h, w] = entry.shape;
    const row = Math.min(h - 1, Math.max(0, Math.floor(event.offsetY / canvas.clientHeight * h)));
    const column = Math.min(w - 1, Math.max(0, Math.floor(event.offsetX / canvas.clientWidth * w)));
    this.select({layer: layer.name, channel, row, column});
    this.onCell({layer: layer.name, type: layer.type, channel, row, column,
                 value: entry.values[channel][row][column]});
  }

  /** Outline one cell (null: none). */
  select(cell) {
    this.selected = cell;
    for (const mark of this.container.querySelectorAll('.cell-mark')) mark.hidden = true;
    if (!cell) return;
    const entry = this.layers.get(cell.layer);
    const frame = this.container.querySelector(`.layer[data-layer="${cell.layer}"] .fmap-frame[data-channel="${cell.channel}"]`);
    if (!entry || !frame) return;
    const [, h, w] = entry.shape;
    const mark = frame.querySelector('.cell-mark');
    Object.assign(mark.style, {top: `${100 * cell.row / h}%`, left: `${100 * cell.column / w}%`,
                               width: `${100 / w}%`, height: `${100 / h}%`});
    mark.hidden = false;
  }

  markStale(on = true) {
    this.container.classList.toggle('stale', on);
  }

  build(layers) {
    this.clear();
    this.signature = layers.map((l) => `${l.name}:${l.shape.join('x')}`).join(',');
    const last = layers[layers.length - 1];
    for (const layer of layers) {
      if (HIDDEN_TYPES.has(layer.type)) continue;
      const block = document.createElement('section');
      block.className = `layer layer-${layer.type}`;
      block.dataset.layer = layer.name;
      const title = document.createElement('h3');
      const kind = t(`draw.layer.${layer.type}`);
      title.innerHTML = `<span class="layer-name"></span> <span class="layer-kind"></span> <span class="layer-shape"></span>`;
      title.querySelector('.layer-name').textContent = layer.name;
      title.querySelector('.layer-kind').textContent = kind === `draw.layer.${layer.type}` ? layer.type : kind;
      title.querySelector('.layer-shape').textContent = shape(layer.shape);
      block.append(title);
      const body = document.createElement('div');
      body.className = 'layer-body';
      block.append(body);
      const entry = {layer: layer.name, body, maps: [], cells: [], strip: null, scores: layer === last};
      if (layer.shape.length === 3) {
        const [channels, h] = layer.shape;
        body.classList.add('maps');
        body.dataset.size = mapSize(h);
        const clickable = WINDOW_TYPES.has(layer.type);
        for (let c = 0; c < channels; c++) {
          const frame = document.createElement('span');
          frame.className = 'fmap-frame';
          frame.dataset.channel = c;
          const canvas = document.createElement('canvas');
          canvas.className = 'pixels fmap';
          canvas.title = t('lab.map_n', {n: c + 1});
          if (clickable) {
            canvas.classList.add('clickable');
            canvas.addEventListener('click', (event) => this.pick(layer, c, canvas, event));
          }
          const mark = document.createElement('span');
          mark.className = 'cell-mark';
          mark.hidden = true;
          frame.append(canvas, mark);
          body.append(frame);
          entry.maps.push(canvas);
        }
      } else if (!entry.scores) {
        // A vector: one canvas, one pixel per value, drawn as a strip of cells.
        body.classList.add('strip');
        const canvas = document.createElement('canvas');
        canvas.className = 'pixels vector';
        canvas.style.setProperty('--units', layer.shape[0]);
        body.append(canvas);
        entry.strip = canvas;
      } else {
        body.classList.add('scores');
        for (let i = 0; i < layer.shape[0]; i++) {
          const cell = document.createElement('span');
          cell.className = 'unit';
          cell.innerHTML = `<span class="unit-label">${i}</span><span class="unit-value"></span>`;
          body.append(cell);
          entry.cells.push(cell);
        }
        {
          const note = document.createElement('p');
          note.className = 'hint';
          note.textContent = t('draw.layer.scores_note');
          block.append(note);
        }
      }
      this.container.append(block);
      this.blocks.push(entry);
    }
  }

  show(layers) {
    if (!layers) return;
    const signature = layers.map((l) => `${l.name}:${l.shape.join('x')}`).join(',');
    if (signature !== this.signature) this.build(layers);
    const byName = new Map(layers.map((l) => [l.name, l]));
    this.layers = byName;
    for (const entry of this.blocks) {
      const layer = byName.get(entry.layer);
      const colour = (v) => signedColour(v, layer.scale);
      if (entry.maps.length) {
        entry.maps.forEach((canvas, c) => paintArray(canvas, layer.values[c], colour));
      } else if (entry.strip) {
        paintArray(entry.strip, [layer.values], colour);
      } else {
        entry.cells.forEach((cell, i) => {
          const v = layer.values[i];
          cell.style.background = css(colour(v));
          cell.querySelector('.unit-value').textContent = fmt(v);
          cell.classList.toggle('light', Math.abs(v) < 0.55 * layer.scale);
        });
      }
    }
    this.markStale(false);
  }
}
