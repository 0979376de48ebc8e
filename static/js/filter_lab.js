// The image-filter lab: a kernel over a real picture. The state lives in the URL (an uploaded
// picture cannot: a link falls back to a bundled one); POST /api/filter computes the feature map,
// the notes' cost arithmetic and the trace of a small block, which the Player steps through.
import {ApiError, getJSON, showAlert} from './api.js';
import {FilterTraceView} from './filter_trace_view.js';
import {count, showFormula} from './format.js';
import {Grid} from './grid.js';
import {Heatmap} from './heatmap.js';
import {t} from './i18n.js';
import {readPicture} from './image_upload.js';
import {$, onWholeNumber, ServerCycle} from './lab.js';
import {paddingModes, PaddingControls} from './padding_controls.js';
import {Player} from './player.js';
import {UrlState, types} from './urlstate.js';

const KERNELS = JSON.parse($('kernels').textContent);
const SAMPLES = [...$('image').options].map((o) => o.value).filter((v) => v !== 'upload');
const PIXELS = {kind: 'gray', low: 0, high: 255}; // how a picture is shown: 0 black, 255 white
const grouped = count;

const url = new UrlState([
  {name: 'image', type: types.oneOf(SAMPLES), default: 'astronaut'},
  {name: 'preset', type: types.oneOf(['', ...Object.keys(KERNELS)]), default: 'edge'},
  {name: 'kernel', type: types.tensor(2), default: KERNELS.edge},
  {name: 'stride', type: types.int, default: 1},
  {name: 'padding', type: types.int, default: 0},
  {name: 'padding_mode', type: types.oneOf(paddingModes()), default: 'zeros'},
  {name: 'bias', type: types.float, default: 0},
  {name: 'row', type: types.int, default: 60},
  {name: 'col', type: types.int, default: 130},
  {name: 'size', type: types.oneOf(['2', '3', '4', '5', '6']), default: '4'},
  {name: 'step', type: types.int, default: 0},
]);

function initialState() {
  const state = url.read();
  const params = new URLSearchParams(location.search);
  if (state.preset && !params.has('kernel')) state.kernel = KERNELS[state.preset];
  return state;
}

const state = initialState();
let upload = null; // {pixels} of a picture the user chose; not in the URL
const inputMap = new Heatmap($('input-map'), {label: t('filter.input'), scaleBar: false});
const outputMap = new Heatmap($('output-map'), {label: t('filter.output'), onPick: (row, col) => pick(row, col)});
const traceView = new FilterTraceView({input: $('trace-input'), kernel: $('trace-kernel'), output: $('trace-output'),
                                       math: $('trace-math')});
const player = new Player($('player'), {
  showStep: (i) => traceView.showStep(i),
  onChange: (i) => { state.step = i; url.write(state); },
});
let kernelGrid = null;

// ---- controls ----

function buildKernelGrid() {
  kernelGrid?.remove();
  kernelGrid = new Grid($('kernel-grid'), {rows: state.kernel.length, cols: state.kernel[0].length, values: state.kernel,
                                            editable: true, label: t('filter.kernel'), className: 'filter-kernel-grid',
                                            onInput: (values) => { state.kernel = values; edited(); refresh(); }});
  $('k-rows').value = String(state.kernel.length);
  $('k-cols').value = String(state.kernel[0].length);
}

function syncControls() {
  $('image').value = upload && state.image === 'upload' ? 'upload' : state.image;
  $('preset').value = state.preset;
  $('stride').value = String(state.stride);
  padding.sync();
  $('bias').value = String(state.bias);
  $('trace-row').value = String(state.row);
  $('trace-col').value = String(state.col);
  $('trace-size').value = state.size;
}

function edited() {
  state.preset = '';
  $('preset').value = '';
}

/** Another picture: the traced block starts again at the top-left corner (it may not fit otherwise). */
function newPicture() {
  state.row = 1;
  state.col = 1;
  state.step = 0;
  syncControls();
}

$('image').addEventListener('change', () => {
  state.image = $('image').value;
  newPicture();
  loadPicture().then(() => refresh(0));
});
$('upload').addEventListener('change', async () => {
  const file = $('upload').files[0];
  if (!file) return;
  try {
    upload = await readPicture(file);
  } catch {
    upload = null;
    showAlert(t('filter.upload.failed'));
    return;
  }
  state.image = 'upload';
  $('image').querySelector('option[value=upload]').hidden = false;
  newPicture();
  inputMap.setData(upload.pixels, PIXELS);
  refresh(0);
});
$('preset').addEventListener('change', () => {
  const name = $('preset').value;
  state.preset = name;
  if (name) state.kernel = KERNELS[name];
  buildKernelGrid();
  refresh(0);
});
for (const id of ['k-rows', 'k-cols']) {
  $(id).addEventListener('change', () => {
    const clamp = (v, fallback) => (Number.isInteger(v) ? Math.min(7, Math.max(1, v)) : fallback);
    const rows = clamp(Number($('k-rows').value), state.kernel.length);
    const cols = clamp(Number($('k-cols').value), state.kernel[0].length);
    state.kernel = Array.from({length: rows}, (_, r) => Array.from({length: cols}, (_, c) => state.kernel[r]?.[c] ?? 0));
    edited();
    buildKernelGrid();
    refresh(0);
  });
}
onWholeNumber(['stride'], (id, v) => { state[id] = v; refresh(); });
const padding = new PaddingControls(state, {changed: () => refresh()});
$('bias').addEventListener('input', () => {
  const text = $('bias').value.trim();
  const v = Number(text);
  state.bias = text !== '' && Number.isFinite(v) ? v : text;
  refresh();
});
for (const id of ['trace-row', 'trace-col']) {
  $(id).addEventListener('change', () => {
    const v = Number($(id).value);
    if (!Number.isInteger(v) || v < 1) return;
    state[id === 'trace-row' ? 'row' : 'col'] = v;
    state.step = 0;
    refresh(0, false);
  });
}
$('trace-size').addEventListener('change', () => { state.size = $('trace-size').value; state.step = 0; refresh(0, false); });

/** A click on the feature map: trace the block starting there (row and col count from 0 here). */
function pick(row, col) {
  state.row = row + 1;
  state.col = col + 1;
  state.step = 0;
  syncControls();
  refresh(0, false);
}

// ---- the server computes; the page shows ----

async function loadPicture() {
  if (state.image === 'upload') return;
  const sample = await getJSON(`/api/filter/samples/${encodeURIComponent(state.image)}`);
  inputMap.setData(sample.image, PIXELS);
}

let wantMap = true;   // the feature map is out of date (not only the traced block)
let asked = true;     // the newest request asked for the feature map

const server = new ServerCycle('/api/filter', {
  body: () => {
    asked = wantMap;
    return {image: state.image === 'upload' && upload ? upload.pixels : state.image, kernel: state.kernel,
            bias: state.bias, stride: state.stride, padding: state.padding, padding_mode: state.padding_mode,
            include_output: asked,
            trace: {row: state.row - 1, col: state.col - 1, size: Number(state.size)}};
  },
  save: () => url.write(state),
  stale: () => { if (wantMap) $('output-map').classList.add('stale'); },
  show: (data) => {
    wantMap = false;
    show(data, asked);
  },
  fail: (error) => {
    if (error instanceof ApiError && error.code === 'bad_trace_region' && (state.row !== 1 || state.col !== 1)) {
      state.row = 1; // the block lay outside this feature map: start again at its corner
      state.col = 1;
      syncControls();
      server.compute();
      return true;
    }
    player.setCount(0);
    traceView.clear();
    if (asked) { // no out-of-date feature map (nor its size and cost) under a refusal
      $('output-map').hidden = true;
      $('output-refused').hidden = false;
      $('output-size').textContent = '';
      $('cost').hidden = true;
    }
    return false;
  },
});

/** Ask the server again (debounced); `full` false: only the traced block changed. */
function refresh(delay = 150, full = true) {
  wantMap = wantMap || full;
  server.refresh(delay);
}

function show(data, full) {
  const [h, w] = data.input_shape;
  const [oh, ow] = data.output_shape;
  const [kh, kw] = data.kernel_shape;
  if (full) {
    outputMap.setData(data.output, data.scale);
    $('output-map').classList.remove('stale');
    $('output-map').hidden = false;
    $('output-refused').hidden = true;
    $('cost').hidden = false;
  }
  $('input-size').textContent = t('filter.size', {rows: h, cols: w});
  $('kernel-size').textContent = t('filter.size', {rows: kh, cols: kw});
  $('output-size').textContent = `${t('filter.size', {rows: oh, cols: ow})}${t('filter.size_note')}`;
  const c = data.cost;
  const numbers = {in_w: c.width, in_h: c.height, kw: c.kernel_width, kh: c.kernel_height, out_w: c.output_width,
                   out_h: c.output_height, ops: c.ops_per_cell, mults: c.multiplications_per_cell,
                   adds: c.additions_per_cell, operations: grouped(c.operations), dense: grouped(c.dense_entries),
                   zero: c.dense_zero_percent, ratio: grouped(c.dense_per_operation)};
  $('cost-size').textContent = t('filter.cost.size', numbers);
  $('cost-sliding').textContent = t('filter.cost.sliding', numbers);
  $('cost-dense').textContent = t('filter.cost.dense', numbers);
  $('cost').dataset.operations = String(c.operations);
  $('cost').dataset.dense = String(c.dense_entries);
  showFormula($('formula-text'), data.formula);
  $('trace-row').max = String(oh);
  $('trace-col').max = String(ow);
  const trace = data.trace;
  const [ph, pw] = [data.padding.top, data.padding.left];
  outputMap.setBox({row: trace.row, col: trace.col, rows: trace.rows, cols: trace.cols});
  inputMap.setBox({row: trace.top - ph, col: trace.left - pw, rows: trace.input.length, cols: trace.input[0].length});
  traceView.setTrace(trace, data.kernel);
  player.setCount(trace.steps.length, state.step);
}

syncControls();
buildKernelGrid();
loadPicture().then(() => refresh(0)).catch(() => { document.body.dataset.ready = 'error'; });
