// The pooling lab: state in the URL, edits -> POST /api/pool -> the player steps the windows.
import {$, clampInt, onPresetChosen, onWholeNumber, presetState, ServerCycle, statePlayer} from './lab.js';
import {keepFitted} from './fit.js';
import {PoolView} from './pool_view.js';
import {UrlState, types} from './urlstate.js';

const PRESETS = JSON.parse(document.getElementById('presets').textContent);
const SHIFTS = ['', 'right', 'left', 'down', 'up'];

function fromPreset(name) {
  const p = PRESETS[name];
  return {preset: name, input: p.input, mode: p.mode, size: p.size, stride: p.stride ?? p.size,
          padding: p.padding ?? 0, ceil_mode: p.ceil_mode ?? false, count_include_pad: p.count_include_pad ?? true,
          shift: p.shift ?? '', step: 0};
}

const url = new UrlState([
  {name: 'preset', type: types.oneOf(['', ...Object.keys(PRESETS)]), default: ''},
  {name: 'input', type: types.tensor(2), default: PRESETS.max.input},
  {name: 'mode', type: types.oneOf(['max', 'avg']), default: 'max'},
  {name: 'size', type: types.int, default: 2},
  {name: 'stride', type: types.int, default: 2},
  {name: 'padding', type: types.int, default: 0},
  {name: 'ceil_mode', type: types.bool, default: false},
  {name: 'count_include_pad', type: types.bool, default: true},
  {name: 'shift', type: types.oneOf(SHIFTS), default: ''},
  {name: 'step', type: types.int, default: 0},
  {name: 'speed', type: types.float, default: 2},
]);

const state = presetState(url, fromPreset);
const view = new PoolView({input: $('input-grid'), output: $('output-grid'), math: $('math'), formula: $('formula-text'),
                           unread: $('unread-note'),
                           shiftPanel: $('shift-panel'), shiftSummary: $('shift-summary'), shiftGrids: $('shift-grids'),
                           shiftHonest: $('shift-honest')},
                          {onInput: (values) => { state.input = values; edited(); server.refresh(); }});
const save = () => url.write(state);
const player = statePlayer($('player'), state, save, (i) => view.showStep(i));
const fit = keepFitted($('input-grid').closest('.grids'), $('math'));

function edited() {
  state.preset = '';
  $('preset').value = '';
}

function syncPanel() {
  const values = {'in-rows': state.input.length, 'in-cols': state.input[0].length, size: state.size,
                  stride: state.stride, padding: state.padding};
  for (const [id, v] of Object.entries(values)) $(id).value = v;
  $('mode').value = state.mode;
  $('ceil-mode').checked = state.ceil_mode;
  $('count-include-pad').checked = state.count_include_pad;
  $('shift').value = state.shift;
  $('preset').value = state.preset;
  document.body.dataset.mode = state.mode;
}

function reshape() {
  const h = clampInt($('in-rows').value, 1, 16, state.input.length);
  const w = clampInt($('in-cols').value, 1, 16, state.input[0].length);
  state.input = Array.from({length: h}, (_, r) => Array.from({length: w}, (_, c) => state.input[r]?.[c] ?? 0));
  edited();
  rebuild();
}

$('in-rows').addEventListener('change', reshape);
$('in-cols').addEventListener('change', reshape);
onWholeNumber(['size', 'stride', 'padding'], (id, v) => {
  state[id] = v;
  edited();
  if (id === 'padding') view.setPadding(Math.max(0, v), state.mode);
  server.refresh();
});
$('mode').addEventListener('change', () => {
  state.mode = $('mode').value;
  document.body.dataset.mode = state.mode;
  edited();
  view.setPadding(Math.max(0, state.padding), state.mode);
  server.refresh();
});
$('ceil-mode').addEventListener('change', () => { state.ceil_mode = $('ceil-mode').checked; edited(); server.refresh(); });
$('count-include-pad').addEventListener('change', () => {
  state.count_include_pad = $('count-include-pad').checked;
  edited();
  server.refresh();
});
$('shift').addEventListener('change', () => { state.shift = $('shift').value; edited(); server.refresh(); });
onPresetChosen(state, fromPreset, {save, load: rebuild});
const fill = (f) => state.input.map((row) => row.map(f));
$('in-random').addEventListener('click', () => { state.input = fill(() => Math.floor(Math.random() * 10)); edited(); rebuild(); });
$('in-clear').addEventListener('click', () => { state.input = fill(() => 0); edited(); rebuild(); });

const server = new ServerCycle('/api/pool', {
  body: () => ({input: state.input, mode: state.mode, size: state.size, stride: state.stride, padding: state.padding,
                ceil_mode: state.ceil_mode, shift: state.shift || null,
                // (max pooling counts nothing: PyTorch's MaxPool2d has no count_include_pad, and the server refuses it)
                ...(state.mode === 'avg' ? {count_include_pad: state.count_include_pad} : {})}),
  save,
  stale: () => view.markStale(),
  show: (trace) => {
    view.setTrace(trace);
    player.setCount(trace.steps.length, state.step);
    fit();
  },
  fail: () => {
    player.setCount(0);
    view.clearMath();
    view.showUnread(null);
    $('formula-text').textContent = '';
    view.showTranslation(null);
    view.showRefused();
  },
});

function rebuild() {
  view.build(state.input, Math.max(0, state.padding), state.mode);
  syncPanel();
  server.refresh(0);
}

rebuild();
