// The draw page's views: the preprocessing steps, the probabilities and the explanation map.
// Each is a small class given its elements; `show(answer)` renders the server's answer to
// POST /api/predict. Nothing is computed here: colours and positions only display numbers the
// server sent (values, their ranges, the bounding box, the centre of mass).
import {blank, explainColour, inkColour, paintArray} from './colour.js';
import {fmt, shape} from './format.js';
import {t} from './i18n.js';

/** The preprocessing, step by step: drawing with its ink box, crop, fit to 20 x 20, 28 x 28. */
export class StepsView {
  constructor($) {
    this.$ = $;
    for (const id of ['step-drawing', 'step-crop']) {
      $(id).width = $(id).height = 128;
    }
    this.clear();
  }

  clear() {
    const $ = this.$;
    for (const id of ['step-drawing', 'step-crop', 'step-fit', 'input28']) blank($(id));
    $('step-bbox').hidden = true;
    $('mass-centre').hidden = true;
    $('field-centre').hidden = true;
    for (const id of ['note-drawing', 'note-crop', 'note-fit', 'note-place']) $(id).textContent = '';
  }

  /** answer: the server's; drawing: the canvas of ink that was sent (null for a 28 x 28 input). */
  show(answer, drawing) {
    const $ = this.$;
    const s = answer.steps;
    paintArray($('input28'), answer.input28, inkColour);
    if (!s) {
      this.clear();
      paintArray($('input28'), answer.input28, inkColour);
      return;
    }
    const [height, width] = s.drawing_shape;
    const [top, left, h, w] = s.bbox;
    const sketch = $('step-drawing').getContext('2d');
    sketch.fillStyle = '#fff';
    sketch.fillRect(0, 0, 128, 128);
    if (drawing) sketch.drawImage(drawing, 0, 0, 128, 128);
    const box = $('step-bbox');
    Object.assign(box.style, {top: `${100 * top / height}%`, left: `${100 * left / width}%`,
                              height: `${100 * h / height}%`, width: `${100 * w / width}%`});
    box.hidden = false;
    $('note-drawing').textContent = t('draw.step.drawing_note', {size: shape(s.drawing_shape), ink: fmt(s.ink_percent)});

    const crop = $('step-crop').getContext('2d');
    crop.fillStyle = '#fff';
    crop.fillRect(0, 0, 128, 128);
    if (drawing) {
      const fit = 128 / Math.max(h, w);   // display only: the crop drawn as large as the frame allows
      crop.drawImage(drawing, left, top, w, h, (128 - w * fit) / 2, (128 - h * fit) / 2, w * fit, h * fit);
    }
    $('note-crop').textContent = t('draw.step.crop_note', {size: shape([h, w])});

    paintArray($('step-fit'), s.fitted, inkColour);
    const [fh, fw] = [s.fitted.length, s.fitted[0].length];
    const fitCanvas = $('step-fit');
    fitCanvas.style.width = `${100 * fw / 20}%`;
    fitCanvas.style.height = `${100 * fh / 20}%`;
    $('note-fit').textContent = t('draw.step.fit_note', {size: shape([fh, fw]), scale: fmt(s.scale)});

    const [cy, cx] = s.centre;
    const marker = $('mass-centre');
    Object.assign(marker.style, {top: `${100 * cy / 28}%`, left: `${100 * cx / 28}%`});
    marker.hidden = false;
    const [row, column] = s.centre_pixel;   // MNIST's centre pixel, outlined
    Object.assign($('field-centre').style, {top: `${100 * row / 28}%`, left: `${100 * column / 28}%`});
    $('field-centre').hidden = false;
    $('note-place').textContent = t('draw.step.place_note', {top: s.offset[0], left: s.offset[1],
                                                              y: fmt(cy), x: fmt(cx), row, column});
  }
}

/** The ten probabilities: bars, with the top guess large. */
export class ResultView {
  constructor($) {
    this.$ = $;
    this.rows = [];
    const list = $('bars');
    for (let digit = 0; digit < 10; digit++) {
      const li = document.createElement('li');
      li.className = 'bar-row';
      li.dataset.digit = digit;
      li.innerHTML = `<span class="bar-digit">${digit}</span><span class="bar-track"><span class="bar-fill"></span></span>`
        + '<span class="bar-value"></span>';
      list.append(li);
      this.rows.push(li);
    }
    this.clear();
  }

  clear(message = t('draw.empty')) {
    const $ = this.$;
    $('result-empty').textContent = message;
    $('result-empty').hidden = false;
    $('top-guess').hidden = true;
    this.showCheck(null);
    $('timing').textContent = '';
    for (const li of this.rows) {
      li.classList.remove('top');
      li.querySelector('.bar-fill').style.width = '0%';
      li.querySelector('.bar-value').textContent = '';
      li.removeAttribute('aria-label');
    }
    document.body.dataset.prediction = '';
  }

  /** The server's digit check: its hint, and the answer marked uncertain (null: neither). */
  showCheck(check) {
    const $ = this.$;
    const uncertain = Boolean(check?.uncertain);
    $('draw-hint').textContent = check?.message ?? '';
    $('draw-hint').hidden = !check?.message;
    $('top-guess').classList.toggle('uncertain', uncertain);
    $('uncertain-badge').hidden = !uncertain;
    document.body.dataset.hint = check?.hint ?? '';
    document.body.dataset.uncertain = uncertain ? 'yes' : 'no';
  }

  show(answer) {
    const $ = this.$;
    $('result-empty').hidden = true;
    $('top-guess').hidden = false;
    this.showCheck(answer.check);
    $('top-digit').textContent = String(answer.prediction);
    $('top-percent').textContent = t('draw.percent', {p: fmt(answer.percent[answer.prediction])});
    answer.probabilities.forEach((p, digit) => {
      const li = this.rows[digit];
      const percent = t('draw.percent', {p: fmt(answer.percent[digit])});
      li.classList.toggle('top', digit === answer.prediction);
      li.querySelector('.bar-fill').style.width = `${100 * p}%`;
      li.querySelector('.bar-value').textContent = percent;
      li.setAttribute('aria-label', t('draw.digit_probability', {digit, p: percent}));
    });
    $('timing').textContent = t('draw.timing', {model: answer.model, ms: fmt(answer.timing_ms)});
    document.body.dataset.prediction = String(answer.prediction);
  }
}

/** The occlusion or saliency map over the 28 x 28 input. */
export class ExplainView {
  constructor($) {
    this.$ = $;
    this.clear();
  }

  clear(text = t('draw.explain.wait')) {
    blank(this.$('explain-map'));
    this.$('explain-text').textContent = text;
    this.$('heat-min').textContent = '';
    this.$('heat-max').textContent = '';
    this.$('explain-map').classList.remove('stale');
  }

  /** Dim the map while the drawing changes (it is recomputed when the stroke ends). */
  markStale() {
    this.$('explain-map').classList.add('stale');
  }

  /** view: 'score' (occlusion, score drop), 'occlusion' (probability drop) or 'saliency'. */
  show(answer, view) {
    const e = answer.explanation;
    if (!e) return;
    const $ = this.$;
    const heat = view === 'score' && e.score ? e.score : e;
    const scale = heat.scale;
    paintArray($('explain-map'), heat.map, (v, r, c) => explainColour(v, scale, answer.input28[r][c]));
    $('explain-map').classList.remove('stale');
    $('explain-text').textContent = t(`draw.explain.${view}.text`, {digit: e.target, patch: e.patch ?? ''});
    $('heat-min').textContent = `−${fmt(scale)}`;
    $('heat-max').textContent = `+${fmt(scale)}`;
  }
}
