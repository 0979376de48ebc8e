// Inside a training network, from the run's `snapshot` and `epoch` events: the first layer's filters
// and one test digit's feature maps as they form, the confusion matrix and the misclassified test
// digits at each epoch's end. Display only: pixels, counts and confidences come from the server.
import {fmt} from './format.js';
import {t} from './i18n.js';
import {bytes, digit, featureMap, kernel} from './run_images.js';

const percent = () => new Intl.NumberFormat(document.documentElement.lang, {style: 'percent', maximumFractionDigits: 0});

export class SnapshotView {
  /** parts: {filters, scale, probe, maps, step} elements. */
  constructor({filters, scale, probe, maps, step}) {
    Object.assign(this, {filtersBox: filters, scaleBox: scale, probeBox: probe, mapsBox: maps, stepBox: step});
  }

  clear() {
    this.filtersBox.replaceChildren();
    this.scaleBox.textContent = '';
    this.probeBox.replaceChildren();
    this.mapsBox.replaceChildren();
    this.stepBox.textContent = '';
  }

  show(event) {
    this.stepBox.textContent = t('train.snapshot.step', {step: event.step, epoch: event.epoch});
    this.showFilters(event.filters);
    const probe = digit(event.probe, t('train.probe.label', {label: event.probe_label}));
    const caption = document.createElement('span');
    caption.textContent = t('train.probe.label', {label: event.probe_label});
    this.probeBox.replaceChildren(probe, caption);
    this.mapsBox.replaceChildren(...event.maps.map((m) => this.mapRow(m)));
  }

  showFilters(filters) {
    if (!filters) {
      this.scaleBox.textContent = '';
      const p = document.createElement('p');
      p.className = 'hint';
      p.textContent = t('train.filters.none');
      this.filtersBox.replaceChildren(p);
      return;
    }
    const [count, channels] = filters.shape;
    const items = [];
    for (let f = 0; f < count; f++) {
      for (let c = 0; c < channels; c++) {
        const label = t('train.filter.label', {n: f + 1});
        items.push(kernel(filters.levels[f][c], label));
      }
    }
    this.filtersBox.replaceChildren(...items);
    this.filtersBox.dataset.count = String(count);
    this.scaleBox.textContent = t('train.filters.scale', {scale: fmt(filters.scale)});
  }

  mapRow(m) {
    const [channels, h, w] = m.shape;
    const px = bytes(m.pixels);
    const row = document.createElement('div');
    row.className = 'map-row';
    row.dataset.layer = m.layer;
    const name = document.createElement('span');
    name.className = 'map-name';
    name.textContent = `${m.layer} ${channels}×${h}×${w}`;
    const maps = document.createElement('div');
    maps.className = 'map-list';
    for (let k = 0; k < channels; k++) maps.append(featureMap(px, k, h, w, t('train.map.label', {layer: m.layer, n: k + 1})));
    row.append(name, maps);
    return row;
  }
}

export class EpochView {
  /** parts: {confusion, mistakes, title} elements. */
  constructor({confusion, mistakes, title}) {
    Object.assign(this, {confusionBox: confusion, mistakesBox: mistakes, titleBox: title});
  }

  clear() {
    this.confusionBox.replaceChildren();
    this.mistakesBox.replaceChildren();
    this.titleBox.textContent = '';
  }

  show(event) {
    this.titleBox.textContent = t('train.epoch.after', {epoch: event.epoch});
    this.confusionBox.replaceChildren(this.table(event.confusion));
    if (!event.mistakes.length) {
      const p = document.createElement('p');
      p.className = 'hint';
      p.textContent = t('train.mistakes.none');
      this.mistakesBox.replaceChildren(p);
      return;
    }
    const format = percent();
    this.mistakesBox.replaceChildren(...event.mistakes.map((m) => {
      const figure = document.createElement('figure');
      figure.className = 'mistake';
      const caption = document.createElement('figcaption');
      caption.textContent = t('train.mistake', {label: m.label, prediction: m.prediction,
                                                confidence: format.format(m.confidence)});
      figure.append(digit(m.pixels, caption.textContent), caption);
      return figure;
    }));
  }

  /** Rows: the true digit; columns: the prediction. Shading by share of the row (display only). */
  table(confusion) {
    const table = document.createElement('table');
    table.className = 'confusion';
    const caption = document.createElement('caption');
    caption.textContent = t('train.confusion.caption');
    const head = document.createElement('tr');
    const corner = document.createElement('th');
    corner.scope = 'col';
    corner.className = 'corner';
    corner.textContent = t('train.confusion.corner');
    head.append(corner);
    for (let j = 0; j < confusion.length; j++) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = String(j);
      head.append(th);
    }
    const rows = confusion.map((counts, i) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = String(i);
      tr.append(th);
      const total = counts.reduce((a, b) => a + b, 0) || 1;
      counts.forEach((n, j) => {
        const td = document.createElement('td');
        td.textContent = n ? String(n) : '';
        td.dataset.count = String(n);
        td.className = i === j ? 'hit' : n ? 'miss' : '';
        td.style.setProperty('--share', String(n / total));
        tr.append(td);
      });
      return tr;
    });
    table.append(caption, head, ...rows);
    return table;
  }
}
