// The draw-a-digit page: pad -> POST /api/predict -> steps, probabilities, explanation, layers.
//
// Predictions while drawing, over the websocket /ws/predict (see draw_socket.js): at most one
// question is open, and questions are at least MIN_INTERVAL_MS apart; changes made meanwhile are
// collected and the LATEST drawing is sent next, so the page never queues stale drawings. The explanation map (a batch
// of erased copies, or a backward pass) is asked for when a stroke ends, not on every movement,
// and every layer's activations while that panel is on screen (and when a stroke ends).
import {clearAlert, getJSON, postJSON, showAlert} from './api.js';
import {DrawingPad} from './draw_canvas.js';
import {LayersView} from './draw_layers.js';
import {PredictSocket} from './draw_socket.js';
import {count} from './format.js';
import {ExplainView, ResultView, StepsView} from './draw_views.js';
import {setExportSetup} from './export_state.js';
import {fmt, shape} from './format.js';
import {lang, t} from './i18n.js';
import {pageOwnsKey} from './keys.js';
import {UrlState, types, withParams} from './urlstate.js';

const $ = (id) => document.getElementById(id);
// What the explanation shows, and the method the server computes it with.
const VIEWS = {score: 'occlusion', occlusion: 'occlusion', saliency: 'saliency'};

const url = new UrlState([
  {name: 'model', type: types.string, default: ''},
  {name: 'explain', type: types.oneOf(Object.keys(VIEWS)), default: 'score'},
]);
const state = url.read();

const steps = new StepsView($);
const result = new ResultView($);
const explain = new ExplainView($);
const layers = new LayersView($('layers'), {onCell: showCell});

// Questions while drawing are at least this far apart (about 12 a second: the answer still follows the
// pen, and a class of thirty drawing at once asks a server for 375 predictions a second, not 1,800).
const MIN_INTERVAL_MS = 80;
const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** One request in flight; `want` collects what the next one must include. */
class Predictor {
  constructor() {
    this.busy = false;
    this.want = null;
    this.sentAt = -Infinity;
  }

  request({withExplanation = false} = {}) {
    this.want = {withExplanation: withExplanation || Boolean(this.want?.withExplanation)};
    if (!this.busy) this.run();
  }

  async run() {
    this.busy = true;
    document.body.dataset.ready = 'pending';
    while (this.want) {
      const wait = this.sentAt + MIN_INTERVAL_MS - performance.now();
      if (wait > 0) await pause(wait);   // (changes made meanwhile are merged into this.want)
      const want = this.want;
      this.want = null;
      this.sentAt = performance.now();
      await predict(want);
    }
    this.busy = false;
    if (document.body.dataset.ready === 'pending') document.body.dataset.ready = 'yes';
  }
}

const predictor = new Predictor();
let lastAnswer = null;   // the latest answer with an explanation
const socket = new PredictSocket();

function showEmpty(message) {
  lastAnswer = null;
  setExportSetup('model', null);
  result.clear(message);
  steps.clear();
  explain.clear();
  layers.markStale(true);
}

async function predict({withExplanation}) {
  if (pad.isEmpty) {
    showEmpty(t('draw.empty'));
    clearAlert();
    document.body.dataset.ready = 'yes';
    return;
  }
  const started = performance.now();
  const ink = pad.ink();
  // Every layer's activations are asked for while they are on screen, and when a stroke ends.
  const body = {pixels: ink.pixels, shape: ink.shape, layers: layersOnScreen || withExplanation,
                explain: withExplanation ? VIEWS[state.explain] : null};
  if (state.model) body.model = state.model;
  const answer = await socket.ask(body);
  if (answer.type === 'error') {
    if (answer.code === 'empty_drawing' || answer.code === 'drawing_too_small') {
      showEmpty(answer.detail);   // an answer, not a failure: the drawing is not a digit yet
      clearAlert();
      document.body.dataset.ready = 'yes';
    } else {
      showAlert(answer.detail);
      document.body.dataset.ready = 'error';
    }
    return;
  }
  if (pad.isEmpty) return;   // cleared while the answer was on its way
  clearAlert();
  steps.show(answer, ink.canvas);
  result.show(answer);
  setExportSetup('model', {image: answer.input28});  // the "Code" panel exports this digit
  if (answer.layers) layers.show(answer.layers); else layers.markStale(true);
  lastAnswer = answer.explanation ? answer : null;
  if (answer.explanation) explain.show(answer, state.explain); else explain.markStale();
  // For benchmarks/bench_predict.py (not shown): drawing read, sent, answered and drawn.
  document.body.dataset.roundTripMs = (performance.now() - started).toFixed(2);
  document.body.dataset.answers = String(Number(document.body.dataset.answers ?? 0) + 1);
  document.body.dataset.ready = 'yes';
}

// ---- a feature-map cell, opened in the /conv or /pool lab on the numbers the server sends ----
let cellRequest = 0;

function hideCell() {
  cellRequest++;
  layers.select(null);
  $('cell-info').hidden = true;
  document.body.dataset.cell = '';
}

/** The lab's URL for the server's `probe`: its configuration is the whole URL (see urlstate.js). */
function labLink(p) {
  const source = p.source === 'input' ? t('draw.cell.input') : p.source;
  const size = shape(p.size);
  if (p.type === 'conv') {
    return {href: withParams('/conv', {input: types.tensor(3).format(p.patch), kernel: types.tensor(4).format([p.kernel]),
                                       bias: types.list.format([p.bias]), stride: 1, padding: 0, dilation: 1, lang}),
            text: t('draw.cell.open_conv', {source, size})};
  }
  if (p.size[0] !== p.size[1]) return null;   // the pooling lab's windows are square
  return {href: withParams('/pool', {input: types.tensor(2).format(p.patch), mode: p.type === 'maxpool' ? 'max' : 'avg',
                                     size: p.size[0], stride: p.size[0], padding: 0, lang}),
          text: t('draw.cell.open_pool', {source, size, mode: t(`draw.layer.${p.type}`)})};
}

/** A click on a map's cell: its value as the page shows it, then a link to the lab replaying it. */
async function showCell(cell) {
  if (pad.isEmpty) return;
  const n = ++cellRequest;
  const link = $('cell-link');
  $('cell-info').hidden = false;
  $('cell-value').textContent = t('draw.cell.value', {layer: cell.layer, map: cell.channel + 1, row: cell.row + 1,
                                                     column: cell.column + 1, value: fmt(cell.value)});
  link.hidden = true;
  document.body.dataset.cell = 'pending';
  const ink = pad.ink();
  const body = {pixels: ink.pixels, shape: ink.shape,
                probe: {layer: cell.layer, channel: cell.channel, row: cell.row, column: cell.column}};
  if (state.model) body.model = state.model;
  let answer;
  try {
    answer = await postJSON('/api/predict', body);
  } catch {
    if (n === cellRequest) document.body.dataset.cell = 'error';   // (the alert says why)
    return;
  }
  if (n !== cellRequest) return;   // the drawing changed, or another cell was clicked
  const target = labLink(answer.probe);
  if (target) {
    link.href = target.href;
    link.textContent = target.text;
    link.hidden = false;
  }
  document.body.dataset.cell = 'ready';
}

const pad = new DrawingPad($('pad'), {
  onDraw: () => {
    $('pad-placeholder').hidden = true;
    hideCell();
    predictor.request();
  },
  onStrokeEnd: () => {
    hideCell();
    $('pad-placeholder').hidden = !pad.isEmpty;
    predictor.request({withExplanation: true});
  },
});

let layersOnScreen = false;
new IntersectionObserver(([entry]) => {
  layersOnScreen = entry.isIntersecting;
  if (layersOnScreen && layers.container.classList.contains('stale') && !pad.isEmpty) predictor.request();
}).observe($('layers'));

$('undo').addEventListener('click', () => pad.undo());
$('clear').addEventListener('click', () => pad.clear());

document.addEventListener('keydown', (event) => {
  if (!pageOwnsKey(event, {ctrl: true})) return;
  const undo = (event.key === 'z' || event.key === 'Z') && (event.ctrlKey || event.metaKey) && !event.shiftKey;
  if (undo || (event.key === 'Backspace' && !event.ctrlKey && !event.metaKey)) {
    event.preventDefault();
    pad.undo();
  } else if (event.key === 'Delete' && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    pad.clear();
  }
});

// ---- explanation method ----
for (const radio of document.querySelectorAll('input[name="explain"]')) {
  radio.checked = radio.value === state.explain;
  radio.addEventListener('change', () => {
    if (!radio.checked) return;
    const method = VIEWS[state.explain];
    state.explain = radio.value;
    url.write(state);
    if (lastAnswer && method === VIEWS[state.explain] && !pad.isEmpty) {
      explain.show(lastAnswer, state.explain);   // both occlusion maps came in one answer
      return;
    }
    explain.markStale();
    predictor.request({withExplanation: true});
  });
}

// ---- the model selector: pretrained models and those trained on the training page ----
function modelLabel(m) {
  const source = t(`draw.source.${m.source}`);
  return m.accuracy_percent === null || m.accuracy_percent === undefined
    ? t('draw.model_option_plain', {name: m.name, source})
    : t('draw.model_option', {name: m.name, source, accuracy: m.accuracy_percent});
}

function showModelInfo() {
  const m = models.find((model) => model.name === state.model);
  $('model-info').textContent = !m ? ''
    : m.accuracy_percent === null || m.accuracy_percent === undefined ? t('draw.model_info_plain', {params: count(m.params)})
      : t('draw.model_info', {accuracy: m.accuracy_percent, params: count(m.params)});
}

let models = [];

async function loadModels() {
  let list;
  try {
    list = await getJSON('/api/models', {alert: false});
  } catch (error) {
    showAlert(error.message);
    return;
  }
  const select = $('model');
  models = list.models;
  const names = models.map((m) => m.name);
  if (!names.includes(state.model)) state.model = list.default ?? '';
  const options = list.models.map((m) => {
    const option = document.createElement('option');
    option.value = m.name;
    option.textContent = modelLabel(m);
    return option;
  });
  const focused = document.activeElement === select;
  select.replaceChildren(...options);
  select.value = state.model;
  select.disabled = !options.length;
  if (focused) select.focus();
  showModelInfo();
  if (!options.length) showAlert(t('error.no_models'));
}

$('model').addEventListener('change', () => {
  state.model = $('model').value;
  url.write(state);
  showModelInfo();
  predictor.request({withExplanation: true});
});
// Models trained while this page is open appear when the page is shown again.
document.addEventListener('visibilitychange', () => { if (!document.hidden) loadModels(); });

document.body.dataset.ready = 'yes';
loadModels().then(() => { document.body.dataset.models = 'loaded'; });
