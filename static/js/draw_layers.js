// Inside the network: every layer's output for the drawing, as the server sent it.
//
//   const view = new LayersView(container);
//   view.show(answer.layers);   // [{name, type, shape, values, min, max, scale}, ...]
//
// Feature maps (C x H x W) become C small images; vectors (dense layers) a strip of cells (one
// canvas), and the last layer (ten scores) its numbers. Colours only display values on the server's scale:
// dark for large positive values, red for negative ones. Canvases and cells are built once per
// network and then repainted, so updating while drawing stays cheap.
import {fmt, shape} from './format.js';
import {t} from './i18n.js';
import {divergingColour, paintArray} from './draw_views.js';

const HIDDEN_TYPES = new Set(['flatten']);   // the same numbers as the layer before, in a row

function mapSize(side) {
  return side >= 24 ? 'l' : side >= 12 ? 'm' : side >= 8 ? 's' : 'xs';
}

export class LayersView {
  constructor(container) {
    this.container = container;
    this.signature = '';
    this.blocks = [];
  }

  clear() {
    this.container.replaceChildren();
    this.signature = '';
    this.blocks = [];
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
        for (let c = 0; c < channels; c++) {
          const canvas = document.createElement('canvas');
          canvas.className = 'pixels fmap';
          canvas.title = t('lab.map_n', {n: c + 1});
          body.append(canvas);
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
    for (const entry of this.blocks) {
      const layer = byName.get(entry.layer);
      const colour = (v) => divergingColour(v, layer.scale);
      if (entry.maps.length) {
        entry.maps.forEach((canvas, c) => paintArray(canvas, layer.values[c], colour));
      } else if (entry.strip) {
        paintArray(entry.strip, [layer.values], colour);
      } else {
        entry.cells.forEach((cell, i) => {
          const v = layer.values[i];
          const [r, g, b] = colour(v);
          cell.style.background = `rgb(${r}, ${g}, ${b})`;
          cell.querySelector('.unit-value').textContent = fmt(v);
          cell.classList.toggle('light', Math.abs(v) < 0.55 * layer.scale);
        });
      }
    }
    this.markStale(false);
  }
}
