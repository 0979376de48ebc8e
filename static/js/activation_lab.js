// The activation lab: two activations side by side and the vanishing gradient. The state lives in
// the URL; every curve, derivative, saturated stretch and gradient comes from /api/activations.
import {ApiError, getJSON} from './api.js';
import {ActivationPanel, cleanParams} from './activation_panel.js';
import {fmt} from './format.js';
import {ServerCycle} from './lab.js';
import {UrlState, types} from './urlstate.js';
import {VanishView} from './vanish_view.js';

const $ = (id) => document.getElementById(id);
const RANGES = ['2', '4', '6', '10'];
const POINTS = 241;

/** Activation parameters in the URL: `alpha:0.4`, `lower:0.1,upper:0.3` or `approximate:tanh`
 *  (a value that is not a number is a name; cleanParams keeps only the names the parameter takes). */
const paramsType = {
  parse: (text) => {
    const out = {};
    for (const part of text.split(',')) {
      if (!part) continue;
      const [key, value] = part.split(':');
      if (!key || value === undefined || value === '') return undefined;
      const v = Number(value);
      out[key] = Number.isFinite(v) ? v : value;
    }
    return out;
  },
  format: (params) => Object.entries(params).map(([k, v]) => `${k}:${v}`).join(','),
};

async function start() {
  document.body.dataset.ready = 'pending';
  let list;
  try {
    list = await getJSON('/api/activations');
  } catch (error) {
    document.body.dataset.ready = 'error';
    if (!(error instanceof ApiError)) throw error;
    return;
  }
  const specs = Object.fromEntries(list.activations.map((a) => [a.name, a]));
  const names = Object.keys(specs);
  const url = new UrlState([
    {name: 'a', type: types.oneOf(names), default: names.includes('sigmoid') ? 'sigmoid' : names[0]},
    {name: 'pa', type: paramsType, default: {}},
    {name: 'b', type: types.oneOf(names), default: names.includes('relu') ? 'relu' : names[0]},
    {name: 'pb', type: paramsType, default: {}},
    {name: 'range', type: types.oneOf(RANGES), default: '6'},
    {name: 'depth', type: types.int, default: 10},
    {name: 'zmode', type: types.oneOf(['steepest', 'fixed']), default: 'steepest'},
    {name: 'z', type: types.float, default: 0},
  ]);
  const state = url.read();
  state.pa = cleanParams(specs[state.a], state.pa);
  state.pb = cleanParams(specs[state.b], state.pb);
  state.depth = Math.min(list.max_depth, Math.max(1, state.depth));
  state.z = Math.min(4, Math.max(-4, state.z));

  const vanish = new VanishView($('chart-vanish'), $('vanish-readout'));
  const panels = {};
  for (const side of ['a', 'b']) {
    panels[side] = new ActivationPanel(side, specs, {
      onChange: ({name, params}) => {
        state[side] = name;
        state[`p${side}`] = params;
        refresh([side]);
      },
    });
    panels[side].setControls(state[side], state[`p${side}`]);
  }

  const depth = $('depth');
  depth.max = String(list.max_depth);
  const z = $('z');

  function syncControls() {
    $('range').value = state.range;
    depth.value = String(state.depth);
    $('depth-value').textContent = String(state.depth);
    $('zmode').value = state.zmode;
    z.value = String(state.z);
    $('z-value').textContent = fmt(state.z);
    for (const node of [z, $('z-label'), $('z-value')]) node.hidden = state.zmode !== 'fixed';
  }

  // One request cycle per side; the page is ready when neither side's panel is out of date.
  const server = {};
  for (const side of ['a', 'b']) {
    server[side] = new ServerCycle('/api/activations', {
      body: () => {
        const range = Number(state.range);
        return {name: state[side], params: state[`p${side}`], xmin: -range, xmax: range, n: POINTS,
                depth: list.max_depth, z_mode: state.zmode, z: state.z};
      },
      save: () => url.write(state),
      stale: () => panels[side].markStale(),
      show: (data) => {
        panels[side].show(data);
        vanish.set(side, data.name, data.gradient);
      },
      settled: () => !document.querySelector('.act-panel.stale'),
    });
  }

  function refresh(sides = ['a', 'b'], delay = 120) {
    for (const side of sides) server[side].refresh(delay);
  }

  $('range').addEventListener('change', () => { state.range = $('range').value; refresh(); });
  depth.addEventListener('input', () => {
    state.depth = Number(depth.value);
    $('depth-value').textContent = String(state.depth);
    vanish.setDepth(state.depth);
    url.write(state);
  });
  $('zmode').addEventListener('change', () => { state.zmode = $('zmode').value; syncControls(); refresh(); });
  z.addEventListener('input', () => { state.z = Number(z.value); $('z-value').textContent = fmt(state.z); refresh(); });

  syncControls();
  vanish.setDepth(state.depth);
  refresh(['a', 'b'], 0);
}

start();
