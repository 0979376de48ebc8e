// The backprop walkthrough page: values in the URL, edits -> POST /api/backprop -> the player steps
// through forward pass, loss, every chain-rule factor, the SGD update and the new forward pass.
// "One more step" asks for the walkthrough after one more update and plots the loss history.
import {t} from './i18n.js';
import {BackpropView, decimals} from './backprop_view.js';
import {pageOwnsKey} from './keys.js';
import {$, ServerCycle, statePlayer} from './lab.js';
import {LineChart} from './linechart.js';
import {UrlState, types} from './urlstate.js';

const DEFAULTS = JSON.parse(document.getElementById('bp-defaults').textContent);
const NAMES = ['x1', 'w11', 'b1', 'w21', 'b2', 'label', 'lr'];
const MAX_UPDATES = 1000;

const url = new UrlState([
  ...NAMES.map((name) => ({name, type: types.float, default: DEFAULTS[name]})),
  {name: 'updates', type: types.int, default: 0},
  {name: 'step', type: types.int, default: 0},
  {name: 'digits', type: types.oneOf(['3', '10']), default: '3'},
  {name: 'speed', type: types.float, default: 1},
]);

const state = url.read();
state.updates = Math.min(MAX_UPDATES, Math.max(0, state.updates));
const view = new BackpropView({diagram: $('bp-diagram'), ledger: $('bp-ledger'), current: $('bp-current')});
const chart = new LineChart($('bp-chart'), {width: 460, height: 240, xLabel: t('learn.bp.chart.x'),
                                            yLabel: 'J', label: t('learn.bp.loss_chart'), legend: false});
const save = () => url.write(state);
const player = statePlayer($('player'), state, save, (i) => view.showStep(i));

function readInputs() {
  for (const input of document.querySelectorAll('#bp-values input')) {
    const text = input.value.trim();
    const v = Number(text);
    state[input.dataset.name] = text !== '' && Number.isFinite(v) ? v : text;
    input.classList.toggle('invalid', !(text !== '' && Number.isFinite(v)));
  }
}

function fillInputs() {
  for (const input of document.querySelectorAll('#bp-values input')) {
    input.value = String(state[input.dataset.name]);
    input.classList.remove('invalid');
  }
  $('bp-digits').value = state.digits;
}

function showUpdates() {
  $('bp-updates').textContent = t('learn.bp.updates', {n: state.updates, next: state.updates + 1});
  $('bp-restart').disabled = state.updates === 0;
  $('bp-more').disabled = state.updates >= MAX_UPDATES;
}

function drawChart(history) {
  const x = history.map((p) => p.update);
  const y = history.map((p) => p.loss);
  const last = history[history.length - 1];
  chart.setData({
    series: [{id: 'loss', label: 'J', x, y}],
    markers: history.length <= 12
      ? history.map((p) => ({x: p.update, y: p.loss, series: 'loss', label: p === last ? decimals(p.loss, 4) : ''}))
      : [{x: last.update, y: last.loss, series: 'loss', label: decimals(last.loss, 4)}],
    xDomain: [0, Math.max(5, last.update)],  // at least 0..5: whole updates on the axis
    yDomain: [0, Math.max(...y.filter(Number.isFinite)) * 1.1 || 1],
  });
}

const server = new ServerCycle('/api/backprop', {
  body: () => ({...Object.fromEntries(NAMES.map((n) => [n, state[n]])), updates: state.updates}),
  stale: showUpdates,
  show: (data) => {
    document.querySelector('.stage').classList.remove('stale-data');
    view.setData(data, Number(state.digits));
    drawChart(data.history);
    player.setCount(data.steps.length, state.step);
  },
  fail: () => { document.querySelector('.stage').classList.add('stale-data'); },
});

/** Ask for the walkthrough of the current values now (`delay` ms: debounced while typing). */
function refresh(delay = 0) {
  server.refresh(delay);
}

for (const input of document.querySelectorAll('#bp-values input')) {
  input.addEventListener('input', () => {
    readInputs();
    state.updates = 0;  // new starting values: training starts again
    save();
    refresh(150);
  });
}

$('bp-digits').addEventListener('change', () => {
  state.digits = $('bp-digits').value;
  save();
  view.setDigits(Number(state.digits));
});

function oneMore() {
  if (state.updates >= MAX_UPDATES) return;
  state.updates += 1;
  save();
  refresh();
}

$('bp-more').addEventListener('click', oneMore);
$('bp-restart').addEventListener('click', () => { state.updates = 0; state.step = 0; save(); refresh(); });
$('bp-reset').addEventListener('click', () => {
  Object.assign(state, Object.fromEntries(NAMES.map((n) => [n, DEFAULTS[n]])), {updates: 0, step: 0});
  fillInputs();
  save();
  refresh();
});

document.addEventListener('keydown', (event) => {
  if (event.key !== 'n' && event.key !== 'N') return;
  if (!pageOwnsKey(event)) return;
  event.preventDefault();
  oneMore();
});

fillInputs();
refresh();
