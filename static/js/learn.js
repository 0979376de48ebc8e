// The training page: the network and hyperparameters in the URL, the builder checked by the server
// as you edit, and a run started, watched and controlled. A run's URL (`?run=<id>`) opens the same
// run in any number of browsers; each one replays the run's history and then follows it live.
// A run can go slowly for a class to watch (the pace: steps a second, changed live by its owner; every
// step then updates the charts, filters and feature maps) and, paused, one batch at a time.
import {ApiError, clearAlert, getJSON, postJSON, showAlert} from './api.js';
import {count} from './format.js';
import {NetworkBuilder, decode, encode, toItem, toSpec} from './builder.js';
import {lang, t} from './i18n.js';
import {ServerCycle} from './lab.js';
import {PaceSlider} from './run_pace.js';
import {RunStream} from './run_stream.js';
import {controlLink, keepToken, takeTokenFromUrl, tokenFor} from './run_tokens.js';
import {RunView} from './run_view.js';
import {UrlState, replaceParams, types} from './urlstate.js';

const OPTIONS = JSON.parse(document.getElementById('learn-options').textContent);
const ACTIVATIONS = OPTIONS.activations;
const PRESET_NAMES = Object.keys(OPTIONS.presets);
const $ = (id) => document.getElementById(id);

const presetItems = (name) => OPTIONS.presets[name].layers.map((entry) => toItem(entry, ACTIVATIONS));
const DEFAULT_PRESET = 'lenet5';

/** A pace from the URL: 1 to the server's fastest, or '' (full speed). */
function parsePace(text) {
  if (text === '') return '';
  const v = types.int.parse(text);
  return v >= 1 && v <= OPTIONS.limits.max_pace ? v : undefined;
}

const url = new UrlState([
  {name: 'preset', type: types.oneOf(['', ...PRESET_NAMES]), default: DEFAULT_PRESET},
  {name: 'layers', type: {parse: (s) => decode(s, ACTIVATIONS), format: encode}, default: presetItems(DEFAULT_PRESET)},
  {name: 'optimizer', type: types.oneOf(OPTIONS.optimizers), default: 'momentum'},
  {name: 'lr', type: types.float, default: 0.05},
  {name: 'batch', type: types.int, default: 64},
  {name: 'epochs', type: types.int, default: 2},
  {name: 'l2', type: types.float, default: 0},
  {name: 'dropout', type: {parse: (s) => (s === '' ? '' : types.float.parse(s)), format: String}, default: ''},
  {name: 'seed', type: types.int, default: 0},
  {name: 'data', type: types.oneOf(['sample', 'mnist']), default: 'sample'},
  {name: 'pace', type: {parse: parsePace, format: String}, default: ''},  // steps a second; '' = full speed
  {name: 'run', type: types.string, default: ''},
]);

function initialState() {
  const state = url.read();
  const params = new URLSearchParams(location.search);
  if (state.preset && !params.has('layers')) state.layers = presetItems(state.preset);
  if (state.data === 'mnist' && !OPTIONS.datasets.mnist) state.data = 'sample';
  return state;
}

const state = initialState();
const numbers = Object.fromEntries([...document.querySelectorAll('#run-numbers dd')].map((dd) => [dd.dataset.key, dd]));
const totals = Object.fromEntries([...document.querySelectorAll('#run-numbers [data-total]')].map((n) => [n.dataset.total, n]));
const view = new RunView({
  state: $('run-state'), numbers, totals, result: $('run-result'),
  lossChart: $('loss-chart'), accChart: $('acc-chart'),
  snapshot: {filters: $('filters'), scale: $('filters-scale'), probe: $('probe'), maps: $('maps'), step: $('snapshot-step')},
  epoch: {confusion: $('confusion'), mistakes: $('mistakes'), title: $('epoch-title')},
});
const builder = new NetworkBuilder({list: $('layers'), kind: $('add-kind'), add: $('add-layer'), memory: $('network-memory')}, {
  activations: ACTIVATIONS,
  paddingModes: OPTIONS.padding_modes,
  onChange: (items) => { state.layers = items; state.preset = ''; $('preset').value = ''; save(); checkNetwork(); },
});
const pace = new PaceSlider($('pace'), $('pace-value'), {max: OPTIONS.limits.max_pace, onChange: changePace});
let stream = null;
let networkOk = false;

function save(options) {
  url.write(state, options);
}

// ---- the network and the hyperparameters ----

const FIELDS = {optimizer: 'optimizer', lr: 'lr', batch: 'batch', epochs: 'epochs', l2: 'l2', dropout: 'dropout',
                seed: 'seed', dataset: 'data'};

function fillForm() {
  $('preset').value = state.preset;
  if (!stream) $('new-lr').value = String(state.lr);
  if (!stream) pace.value = state.pace === '' ? null : state.pace;
  for (const [id, key] of Object.entries(FIELDS)) $(id).value = String(state[key]);
  builder.setItems(state.layers);
}

function readField(id) {
  const input = $(id);
  if (input.tagName === 'SELECT') return input.value;
  const text = input.value.trim();
  if (id === 'dropout' && text === '') return '';
  const v = Number(text);
  return text !== '' && Number.isFinite(v) ? v : text;
}

for (const [id, key] of Object.entries(FIELDS)) {
  $(id).addEventListener(id === 'optimizer' || id === 'dataset' ? 'change' : 'input', () => {
    state[key] = readField(id);
    if (id === 'dropout' && typeof state.dropout === 'number') {
      const all = (items) => items.flatMap((item) => (item.kind === 'branches' ? [item, ...item.paths.flatMap(all)] : [item]));
      for (const item of all(state.layers)) if (item.kind === 'dropout') item.p = state.dropout;
      builder.setItems(state.layers);
      checkNetwork();
    }
    if (id === 'batch' || id === 'optimizer') checkNetwork();  // the memory estimate depends on them
    save();
  });
}

$('preset').addEventListener('change', () => {
  state.preset = $('preset').value;
  if (state.preset) {
    state.layers = presetItems(state.preset);
    builder.setItems(state.layers);
  }
  save();
  checkNetwork();
});

function networkBody() {
  if (state.preset) return {preset: state.preset};
  return {layers: state.layers.map(toSpec)};
}

// The network's check (size, memory, the first problem) as the labs ask: the newest request counts.
const check = new ServerCycle('/api/networks/check', {
  body: () => ({...networkBody(), batch_size: state.batch, optimizer: state.optimizer}),
  alert: false,
  show: (answer) => {
    builder.showCheck(answer);
    networkOk = answer.ok;
    $('network-total').textContent = t('train.total', {params: count(answer.total_params), limit: count(answer.max_params)});
    const whole = answer.error && answer.error.index === null;
    showNetworkProblem(whole ? answer.error.detail : (answer.error ? t('train.problem.layer', {n: answer.error.index + 1}) : ''));
    updateButtons();
  },
  fail: (error) => {
    if (error instanceof ApiError) {
      builder.showMemory(null);
      showNetworkProblem(error.message);
    }
  },
});

function checkNetwork() {
  check.refresh(0);
}

function showNetworkProblem(text) {
  $('network-error').hidden = !text;
  $('network-error').textContent = text;
  if (text) networkOk = false;
  updateButtons();
}

// ---- a run ----

function updateButtons() {
  const s = view.state;
  const live = s === 'running' || s === 'paused' || s === 'queued';
  const owner = !state.run || tokenFor(state.run) !== null;  // a shared link only watches
  for (const id of ['pause', 'one-batch', 'stop', 'new-lr', 'set-lr', 'save-bar']) $(id).hidden = !owner;
  document.querySelector('label[for="new-lr"]').hidden = !owner;
  $('run-watching').hidden = owner;
  $('copy-control').hidden = !state.run || !owner;
  // A viewer of someone else's run does not start one from its page (the note links to a page of one's
  // own); the starter starts the next run once this one has ended.
  $('start').hidden = !owner;
  $('start').disabled = !networkOk || (live && owner);
  $('pause').disabled = !live;
  $('pause').textContent = s === 'paused' ? t('train.resume') : t('train.pause');
  $('pause').setAttribute('aria-pressed', String(s === 'paused'));
  $('one-batch').disabled = s !== 'paused';
  $('stop').disabled = !live;
  $('new-lr').disabled = $('set-lr').disabled = !live;
  $('pace').disabled = !owner;  // a viewer sees the run's pace, its owner changes it
  const done = s === 'done' && view.result && view.result.reason !== 'error' && view.result.step > 0;
  $('model-name').disabled = $('save').disabled = !done;
}

function command(message) {
  const token = tokenFor(state.run);
  if (!state.run || !token) return;
  if (stream?.send({...message, token})) return;
  const body = message.type === 'pace' ? {pace: message.pace} : {};
  if (message.type !== 'set') postJSON(`/api/runs/${state.run}/${message.type}`, body, {headers: {'X-Control-Token': token}}).catch(() => {});
}

/** The slider moved: the pace of the next run, and of this one if it is still going. */
function changePace(steps) {
  state.pace = steps ?? '';
  save();
  const live = ['running', 'paused', 'queued'].includes(view.state);
  if (live) command({type: 'pace', pace: steps});
}

function onEvent(event) {
  if (event.type === 'error') {
    showAlert(event.message);
    return;
  }
  view.handle(event);
  if (event.type === 'status' || event.type === 'done') {
    updateButtons();
    if ($('run-list-box').open) listRuns();
  }
  if (event.type === 'status' && event.lr !== undefined && document.activeElement !== $('new-lr')) $('new-lr').value = String(event.lr);
  if (event.type === 'pace' && document.activeElement !== $('pace')) pace.value = event.pace;
}

function showLink(id) {
  const link = $('run-link');
  const href = `${location.pathname}?run=${encodeURIComponent(id)}&lang=${lang}`;  // students see the teacher's language
  link.href = href;
  link.textContent = `${location.origin}${href}`;
  $('run-share').hidden = false;
}

function watch(run) {
  stream?.close();
  view.reset(run);
  $('new-lr').value = String(run.lr);
  pace.value = run.pace ?? null;
  $('save-result').textContent = '';
  $('model-name').value = run.saved?.[0] ?? `${run.config.preset ?? 'custom'}-${run.id}`;
  showLink(run.id);
  stream = new RunStream(run.id, {
    onEvent,
    onConnection: (c) => { $('run-connection').textContent = c === 'reconnecting' ? t('train.reconnecting') : ''; },
  });
  updateButtons();
}

/** The runs this server keeps (running, queued, recently finished), as links to watch them. */
async function listRuns() {
  let runs;
  try { runs = await getJSON('/api/runs', {alert: false}); } catch { return; }
  const items = runs.map((run) => {
    const li = document.createElement('li');
    const link = document.createElement('a');
    link.href = `${location.pathname}?run=${encodeURIComponent(run.id)}`;
    link.textContent = run.id;
    if (run.id === state.run) link.setAttribute('aria-current', 'true');
    const stateText = RunView.endedText(run)
      ?? (run.state === 'queued' ? t('train.runs.queued', {place: run.place ?? '?'}) : t(`train.state.${run.state}`));
    li.append(link, ` ${t('train.runs.item', {network: run.config.preset ? t(`train.preset.${run.config.preset}`)
      : t('train.preset.custom'), state: stateText, step: run.progress?.step ?? 0, total: run.steps_total,
      viewers: run.viewers})}`);
    return li;
  });
  if (!items.length) {
    const li = document.createElement('li');
    li.textContent = t('train.runs.none');
    items.push(li);
  }
  $('run-list').replaceChildren(...items);
}

function fromRunConfig(config) {
  state.preset = config.preset ?? '';
  state.layers = config.spec.layers.map((entry) => toItem(entry, ACTIVATIONS));
  Object.assign(state, {optimizer: config.optimizer, lr: config.lr, batch: config.batch_size, epochs: config.epochs,
                        l2: config.l2, dropout: config.dropout ?? '', seed: config.seed, data: config.dataset});
  fillForm();
}

async function start() {
  clearAlert();
  const body = {...networkBody(), epochs: state.epochs, batch_size: state.batch, lr: state.lr, optimizer: state.optimizer,
                seed: state.seed, dataset: state.data, l2: state.l2};
  if (state.dropout !== '') body.dropout = state.dropout;
  if (state.pace !== '') body.pace = state.pace;
  $('start').disabled = true;
  try {
    const run = await postJSON('/api/runs', body);
    keepToken(run.id, run.control_token);
    state.run = run.id;
    save({push: true});
    watch(run);
    listRuns();
  } catch {
    updateButtons();
  }
}

async function open(id) {
  try {
    const run = await getJSON(`/api/runs/${encodeURIComponent(id)}`);
    fromRunConfig(run.config);
    watch(run);
  } catch {
    state.run = '';
    replaceParams({run: null});
  }
  checkNetwork();
}

$('start').addEventListener('click', start);
$('pause').addEventListener('click', () => command({type: view.state === 'paused' ? 'resume' : 'pause'}));
$('one-batch').addEventListener('click', () => command({type: 'step'}));
$('stop').addEventListener('click', () => command({type: 'stop'}));
$('set-lr').addEventListener('click', () => {
  const text = $('new-lr').value.trim();
  const v = Number(text);
  command({type: 'set', lr: text !== '' && Number.isFinite(v) ? v : text});
});
$('new-lr').addEventListener('keydown', (event) => { if (event.key === 'Enter') $('set-lr').click(); });
$('save').addEventListener('click', async () => {
  const name = $('model-name').value.trim();
  $('save-result').textContent = '';
  try {
    const info = await postJSON(`/api/runs/${state.run}/save`, {name}, {headers: {'X-Control-Token': tokenFor(state.run)}});
    const link = document.createElement('a');
    link.href = `/draw?model=${encodeURIComponent(info.name)}`;
    link.textContent = t('train.saved.draw');
    $('save-result').replaceChildren(t('train.saved', {name: info.name}), ' ', link);
  } catch { /* the alert shows the server's message */ }
});
$('model-name').addEventListener('keydown', (event) => { if (event.key === 'Enter') $('save').click(); });
$('copy-control').addEventListener('click', async () => {
  const link = controlLink(state.run);
  if (!link) return;
  $('control-link').value = link;
  $('control-link').hidden = false;
  $('control-link').select();
  try { await navigator.clipboard.writeText(link); $('copy-control-done').textContent = t('train.control.copied'); }
  catch { $('copy-control-done').textContent = t('train.control.select'); }
});
$('run-list-box').addEventListener('toggle', () => { if ($('run-list-box').open) listRuns(); });
window.addEventListener('popstate', () => location.reload());

takeTokenFromUrl(state.run);
fillForm();
if (state.run) open(state.run); else checkNetwork();
updateButtons();
listRuns();
