// The convolution lab: state in the URL, edits -> POST /api/conv -> the player steps the trace.
import {t} from './i18n.js';
import {Im2colView} from './im2col_view.js';
import {ConvView} from './conv_view.js';
import {keepFitted} from './fit.js';
import {$, clampInt, onPresetChosen, onWholeNumber, presetState, ServerCycle, statePlayer} from './lab.js';
import {askedSides, paddingModes, PaddingControls, paddingNotes, paddingType} from './padding_controls.js';
import {UrlState, types} from './urlstate.js';

const PRESETS = JSON.parse(document.getElementById('presets').textContent);
const ACTIVATIONS = [...document.querySelectorAll('#activation option')].map((o) => o.value);

/** A preset as the lab's state: input (C, H, W), kernel (F, C, kh, kw), one bias per filter. */
function fromPreset(name) {
  const p = PRESETS[name];
  const input = Array.isArray(p.input[0][0]) ? p.input : [p.input];
  const kernel = !Array.isArray(p.kernel[0][0]) ? [[p.kernel]] : !Array.isArray(p.kernel[0][0][0]) ? [p.kernel] : p.kernel;
  const bias = Array.isArray(p.bias) ? p.bias : kernel.map(() => p.bias ?? 0);
  return {preset: name, input, kernel, bias, stride: p.stride ?? 1, padding: p.padding ?? 0, dilation: p.dilation ?? 1,
          padding_mode: p.padding_mode ?? 'zeros', activation: p.activation ?? '', step: 0};
}

const basic = fromPreset('basic');
const url = new UrlState([
  {name: 'preset', type: types.oneOf(['', ...Object.keys(PRESETS)]), default: ''},
  {name: 'input', type: types.tensor(3), default: basic.input},
  {name: 'kernel', type: types.tensor(4), default: basic.kernel},
  {name: 'bias', type: types.list, default: [0]},
  {name: 'stride', type: types.int, default: 1},
  {name: 'padding', type: paddingType, default: 0},
  {name: 'padding_mode', type: types.oneOf(paddingModes()), default: 'zeros'},
  {name: 'dilation', type: types.int, default: 1},
  {name: 'activation', type: types.oneOf(ACTIVATIONS), default: ''},
  {name: 'step', type: types.int, default: 0},
  {name: 'speed', type: types.float, default: 2},
  {name: 'im2col', type: types.bool, default: false},
]);

const state = presetState(url, fromPreset);
const view = new ConvView(
  {input: $('input-grids'), kernel: $('kernel-grids'), output: $('output-grids'), math: $('math'), formula: $('formula-text'),
   unread: $('unread-note')},
  {onInput: onGridInput});
const im2col = new Im2colView($('im2col-body'));
const save = () => url.write(state);
const player = statePlayer($('player'), state, save, (i) => { view.showStep(i); im2col.showStep(i); });
const fit = keepFitted($('input-block').closest('.grids'), $('math'));

function edited() {
  state.preset = '';
  $('preset').value = '';
}

// ---- the side panel: sizes, channels, filters, settings ----

const resize = (grid, rows, cols) => Array.from({length: rows}, (_, r) => Array.from({length: cols}, (_, c) => grid[r]?.[c] ?? 0));

function syncPanel() {
  const [c, h, w] = [state.input.length, state.input[0].length, state.input[0][0].length];
  const [f, kh, kw] = [state.kernel.length, state.kernel[0][0].length, state.kernel[0][0][0].length];
  const values = {'in-rows': h, 'in-cols': w, 'in-channels': c, 'k-rows': kh, 'k-cols': kw, 'k-filters': f,
                  stride: state.stride, dilation: state.dilation};
  for (const [id, v] of Object.entries(values)) $(id).value = v;
  padding.sync();
  $('activation').value = state.activation;
  $('preset').value = state.preset;
  const biases = $('biases');
  biases.replaceChildren();
  state.bias = state.kernel.map((_, i) => state.bias[i] ?? 0);
  state.bias.forEach((b, i) => {
    const label = document.createElement('label');
    label.textContent = state.kernel.length > 1 ? `${t('conv.bias')} ${i + 1} ` : `${t('conv.bias')} `;
    const input = document.createElement('input');
    input.type = 'text';
    input.inputMode = 'decimal';
    input.value = String(b);
    input.id = `bias-${i}`;
    input.addEventListener('input', () => {
      const v = input.value.trim() === '' ? '' : Number(input.value);
      state.bias[i] = Number.isFinite(v) && input.value.trim() !== '' ? v : input.value;
      edited();
      server.refresh();
    });
    label.append(input);
    biases.append(label);
  });
  $('im2col-toggle').setAttribute('aria-pressed', String(state.im2col));
  $('im2col-toggle').textContent = state.im2col ? t('im2col.hide') : t('im2col.show');
  $('im2col-panel').hidden = !state.im2col;
}

function reshape() {
  const c = clampInt($('in-channels').value, 1, 3, state.input.length);
  const h = clampInt($('in-rows').value, 1, 16, state.input[0].length);
  const w = clampInt($('in-cols').value, 1, 16, state.input[0][0].length);
  const f = clampInt($('k-filters').value, 1, 4, state.kernel.length);
  const kh = clampInt($('k-rows').value, 1, 7, state.kernel[0][0].length);
  const kw = clampInt($('k-cols').value, 1, 7, state.kernel[0][0][0].length);
  state.input = Array.from({length: c}, (_, i) => resize(state.input[i] ?? [], h, w));
  state.kernel = Array.from({length: f}, (_, j) => Array.from({length: c}, (_, i) => resize(state.kernel[j]?.[i] ?? [], kh, kw)));
  state.bias = Array.from({length: f}, (_, j) => state.bias[j] ?? 0);
  edited();
  rebuild();
}

for (const id of ['in-rows', 'in-cols', 'in-channels', 'k-rows', 'k-cols', 'k-filters']) $(id).addEventListener('change', reshape);
onWholeNumber(['stride', 'dilation'], (id, v) => {
  state[id] = v;
  edited();
  server.refresh();
});
const padding = new PaddingControls(state, {
  changed: (what) => {
    edited();
    if (what === 'padding' && askedSides(state.padding)) view.setPadding(askedSides(state.padding));
    server.refresh();
  },
  known: () => view.trace?.padding ?? null,
});
$('activation').addEventListener('change', () => { state.activation = $('activation').value; edited(); server.refresh(); });
onPresetChosen(state, fromPreset, {save, load: rebuild});
$('im2col-toggle').addEventListener('click', () => { state.im2col = !state.im2col; syncPanel(); save(); });

const randomGrid = (grid, lo, hi) => grid.map((row) => row.map(() => lo + Math.floor(Math.random() * (hi - lo + 1))));
$('in-random').addEventListener('click', () => { state.input = state.input.map((g) => randomGrid(g, 0, 9)); edited(); rebuild(); });
$('in-clear').addEventListener('click', () => { state.input = state.input.map((g) => randomGrid(g, 0, 0)); edited(); rebuild(); });
$('k-random').addEventListener('click', () => { state.kernel = state.kernel.map((f) => f.map((g) => randomGrid(g, -1, 2))); edited(); rebuild(); });
$('k-clear').addEventListener('click', () => { state.kernel = state.kernel.map((f) => f.map((g) => randomGrid(g, 0, 0))); edited(); rebuild(); });

function onGridInput(kind, [a, b], values) {
  if (kind === 'input') state.input[a] = values; else state.kernel[a][b] = values;
  edited();
  server.refresh();
}

// ---- the server computes; the page shows ----

/** The request: one channel and one filter are sent as plain grids, so that messages speak of rows and columns only. */
function body() {
  const [channels, filters] = [state.input.length, state.kernel.length];
  return {
    input: channels === 1 ? state.input[0] : state.input,
    kernel: filters === 1 ? (channels === 1 ? state.kernel[0][0] : state.kernel[0]) : state.kernel,
    bias: filters === 1 ? state.bias[0] : state.bias,
    stride: state.stride, padding: state.padding, padding_mode: state.padding_mode, dilation: state.dilation,
    activation: state.activation || null,
  };
}

const server = new ServerCycle('/api/conv', {
  body,
  save,
  stale: () => view.markStale(),
  show: (trace) => {
    view.setTrace(trace);
    showPaddingNote(trace);
    im2col.setTrace(trace);
    player.setCount(trace.steps.length, state.step);
    fit();
  },
  fail: () => {
    player.setCount(0);
    view.clearMath();
    view.showUnread(null);
    view.showRefused();
    im2col.showRefused();
    $('formula-text').textContent = '';
    showPaddingNote(null);
  },
});

/** Where "same" put the extra row or column (from the answer's sides); hidden otherwise. */
function showPaddingNote(trace) {
  const lines = trace ? paddingNotes(state.padding, trace) : [];
  $('padding-note').textContent = lines.join(' ');
  $('padding-note').hidden = !lines.length;
  $('conv-lab').querySelector('.pad-copy-legend').hidden = !trace || trace.padding_mode === 'zeros';
}

/** Draw the grids for the current shapes, then compute. */
function rebuild() {
  view.build(state.input, state.kernel, askedSides(state.padding) ?? view.trace?.padding ?? [0, 0, 0, 0]);
  syncPanel();
  server.refresh(0);
}

rebuild();
