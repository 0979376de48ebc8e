// The pooling lab: state in the URL, edits -> POST /api/pool -> the player steps the windows.
import {Latest} from './api.js';
import {Player} from './player.js';
import {PoolView} from './pool_view.js';
import {UrlState, types} from './urlstate.js';

const PRESETS = JSON.parse(document.getElementById('presets').textContent);
const SHIFTS = ['', 'right', 'left', 'down', 'up'];
const $ = (id) => document.getElementById(id);

function fromPreset(name) {
  const p = PRESETS[name];
  return {preset: name, input: p.input, mode: p.mode, size: p.size, stride: p.stride ?? p.size,
          padding: p.padding ?? 0, shift: p.shift ?? '', step: 0};
}

const url = new UrlState([
  {name: 'preset', type: types.oneOf(['', ...Object.keys(PRESETS)]), default: ''},
  {name: 'input', type: types.tensor(2), default: PRESETS.max.input},
  {name: 'mode', type: types.oneOf(['max', 'avg']), default: 'max'},
  {name: 'size', type: types.int, default: 2},
  {name: 'stride', type: types.int, default: 2},
  {name: 'padding', type: types.int, default: 0},
  {name: 'shift', type: types.oneOf(SHIFTS), default: ''},
  {name: 'step', type: types.int, default: 0},
  {name: 'speed', type: types.float, default: 2},
]);

function initialState() {
  const state = url.read();
  const params = new URLSearchParams(location.search);
  if (state.preset && !params.has('input')) {
    const preset = fromPreset(state.preset);
    for (const [key, value] of Object.entries(preset)) if (!params.has(key) || key === 'preset') state[key] = value;
  }
  return state;
}

let state = initialState();
const latest = new Latest();
const view = new PoolView({input: $('input-grid'), output: $('output-grid'), math: $('math'), formula: $('formula-text'),
                           shiftPanel: $('shift-panel'), shiftSummary: $('shift-summary'), shiftGrids: $('shift-grids')},
                          {onInput: (values) => { state.input = values; edited(); refresh(); }});
const player = new Player($('player'), {
  speed: state.speed,
  showStep: (i) => view.showStep(i),
  onChange: (i) => { state.step = i; save(); },
});
player.speedInput.addEventListener('input', () => { state.speed = player.speed; save(); });

function save() {
  url.write(state);
}

function edited() {
  state.preset = '';
  $('preset').value = '';
}

const clampInt = (value, lo, hi, fallback) => {
  const v = Math.round(Number(value));
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : fallback;
};

function syncPanel() {
  const values = {'in-rows': state.input.length, 'in-cols': state.input[0].length, size: state.size,
                  stride: state.stride, padding: state.padding};
  for (const [id, v] of Object.entries(values)) $(id).value = v;
  $('mode').value = state.mode;
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
for (const id of ['size', 'stride', 'padding']) {
  $(id).addEventListener('input', () => {
    const v = Number($(id).value);
    if ($(id).value === '' || !Number.isInteger(v)) return;
    state[id] = v;
    edited();
    if (id === 'padding') view.setPadding(Math.max(0, v), state.mode);
    refresh();
  });
}
$('mode').addEventListener('change', () => {
  state.mode = $('mode').value;
  document.body.dataset.mode = state.mode;
  edited();
  view.setPadding(Math.max(0, state.padding), state.mode);
  refresh();
});
$('shift').addEventListener('change', () => { state.shift = $('shift').value; edited(); refresh(); });
$('preset').addEventListener('change', () => {
  const name = $('preset').value;
  if (!name) { state.preset = ''; save(); return; }
  state = {...state, ...fromPreset(name)};
  rebuild();
});
const fill = (f) => state.input.map((row) => row.map(f));
$('in-random').addEventListener('click', () => { state.input = fill(() => Math.floor(Math.random() * 10)); edited(); rebuild(); });
$('in-clear').addEventListener('click', () => { state.input = fill(() => 0); edited(); rebuild(); });

let timer = null;

function refresh(delay = 150) {
  document.body.dataset.ready = 'pending';
  view.markStale();
  save();
  clearTimeout(timer);
  timer = setTimeout(compute, delay);
}

async function compute() {
  const body = {input: state.input, mode: state.mode, size: state.size, stride: state.stride, padding: state.padding,
                shift: state.shift || null};
  let trace;
  try {
    trace = await latest.post('/api/pool', body);
  } catch {
    player.setCount(0);
    view.clearMath();
    $('formula-text').textContent = '';
    view.showTranslation(null);
    document.body.dataset.ready = 'error';
    return;
  }
  if (!trace) return;
  view.setTrace(trace);
  player.setCount(trace.steps.length, state.step);
  document.body.dataset.ready = 'yes';
}

function rebuild() {
  view.build(state.input, Math.max(0, state.padding), state.mode);
  syncPanel();
  refresh(0);
}

rebuild();
