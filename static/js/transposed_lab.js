// The transposed-convolution lab: state in the URL, edits -> POST /api/conv_transpose -> the player
// steps through the input cells, each scattering its kernel-weighted copy into the output.
import {$, clampInt, onPresetChosen, onWholeNumber, presetState, ServerCycle, statePlayer} from './lab.js';
import {keepFitted} from './fit.js';
import {TransposedView} from './transposed_view.js';
import {UrlState, types} from './urlstate.js';

const PRESETS = JSON.parse(document.getElementById('presets').textContent);
const SETTINGS = ['stride', 'padding', 'output_padding', 'dilation'];

function fromPreset(name) {
  const p = PRESETS[name];
  return {preset: name, input: p.input, kernel: p.kernel, stride: p.stride, padding: p.padding,
          output_padding: p.output_padding, dilation: p.dilation, step: 0};
}

const first = fromPreset('fig4_1');
const url = new UrlState([
  {name: 'preset', type: types.oneOf(['', ...Object.keys(PRESETS)]), default: ''},
  {name: 'input', type: types.tensor(2), default: first.input},
  {name: 'kernel', type: types.tensor(2), default: first.kernel},
  {name: 'stride', type: types.int, default: 1},
  {name: 'padding', type: types.int, default: 0},
  {name: 'output_padding', type: types.int, default: 0},
  {name: 'dilation', type: types.int, default: 1},
  {name: 'step', type: types.int, default: 0},
  {name: 'speed', type: types.float, default: 2},
]);

const state = presetState(url, fromPreset);
const view = new TransposedView(
  {input: $('input-grid'), kernel: $('kernel-grid'), copy: $('copy-grid'), scatter: $('scatter-grid'),
   output: $('output-grid'), math: $('math'), formula: $('formula-text'), back: $('back-text'), backRow: $('back')},
  {onInput: (values) => { state.input = values; edited(); server.refresh(); },
   onKernel: (values) => { state.kernel = values; edited(); server.refresh(); }});
const save = () => url.write(state);
const player = statePlayer($('player'), state, save, (i) => view.showStep(i));
const fit = keepFitted($('transposed-grids'), $('math'));

function edited() {
  state.preset = '';
  $('preset').value = '';
}

function syncPanel() {
  const values = {'in-rows': state.input.length, 'in-cols': state.input[0].length, 'k-rows': state.kernel.length,
                  'k-cols': state.kernel[0].length};
  for (const key of SETTINGS) values[key] = state[key];
  for (const [id, v] of Object.entries(values)) $(id).value = v;
  $('preset').value = state.preset;
}

const resize = (grid, rows, cols) => Array.from({length: rows}, (_, r) => Array.from({length: cols}, (_, c) => grid[r]?.[c] ?? 0));

function reshape() {
  state.input = resize(state.input, clampInt($('in-rows').value, 1, 8, state.input.length),
                       clampInt($('in-cols').value, 1, 8, state.input[0].length));
  state.kernel = resize(state.kernel, clampInt($('k-rows').value, 1, 5, state.kernel.length),
                        clampInt($('k-cols').value, 1, 5, state.kernel[0].length));
  edited();
  rebuild();
}

for (const id of ['in-rows', 'in-cols', 'k-rows', 'k-cols']) $(id).addEventListener('change', reshape);
onWholeNumber(SETTINGS, (id, v) => {
  state[id] = v;
  edited();
  server.refresh();
});
onPresetChosen(state, fromPreset, {save, load: rebuild});
const fill = (grid, f) => grid.map((row) => row.map(f));
const random = () => Math.floor(Math.random() * 7) - 2;
$('in-random').addEventListener('click', () => { state.input = fill(state.input, random); edited(); rebuild(); });
$('in-clear').addEventListener('click', () => { state.input = fill(state.input, () => 0); edited(); rebuild(); });
$('k-random').addEventListener('click', () => { state.kernel = fill(state.kernel, random); edited(); rebuild(); });
$('k-clear').addEventListener('click', () => { state.kernel = fill(state.kernel, () => 0); edited(); rebuild(); });

const server = new ServerCycle('/api/conv_transpose', {
  body: () => ({input: state.input, kernel: state.kernel, stride: state.stride, padding: state.padding,
                output_padding: state.output_padding, dilation: state.dilation}),
  save,
  stale: () => view.markStale(),
  show: (trace) => {
    view.setTrace(trace);
    player.setCount(trace.steps.length, state.step);
    fit();
  },
  fail: () => {
    player.setCount(0);
    view.showRefused();
  },
});

function rebuild() {
  view.build(state.input, state.kernel);
  syncPanel();
  server.refresh(0);
}

rebuild();
