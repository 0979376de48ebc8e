// The "Code" panel (templates/_export.html): the page's set-up as a PyTorch or an engine script.
//
// The set-up is the body the page last sent to its endpoint (api.js keeps it: sentBodies), so the
// code is always that of what the page shows; on the draw page it is the selected model and the digit
// the network last saw (export_state.js). The server
// writes the code (POST /api/export); this module only shows it and copies it. Copying uses the
// Clipboard API where the page may (HTTPS or localhost); elsewhere (a classroom server reached over
// plain HTTP) it selects the code and tries the older copy command, and says to press Ctrl+C if the
// browser refused that too.
import {postJSON, sentBodies} from './api.js';
import {exportSetups} from './export_state.js';
import {t} from './i18n.js';

const area = document.getElementById('export');
const $ = (id) => document.getElementById(id);
const kind = area.dataset.exportKind;
const source = area.dataset.exportSource;
const state = {target: 'pytorch', open: false, code: '', asked: 0, timer: null};

function setup() {
  if (kind === 'model') {
    const select = document.getElementById('model');
    return {...(select && select.value ? {model: select.value} : {}), ...(exportSetups.get('model') ?? {})};
  }
  return sentBodies.get(source) ?? null;
}

function status(text) {
  $('export-status').textContent = text;
}

async function refresh() {
  if (!state.open) return;
  const body = setup();
  const asked = ++state.asked;
  $('export-note').textContent = t(`export.note.${state.target}`);
  if (body === null) {
    show('', t('export.nothing'));
    return;
  }
  status(t('export.loading'));
  let answer;
  try {
    answer = await postJSON('/api/export', {kind, setup: body, target: state.target}, {alert: false});
  } catch (error) {
    if (asked === state.asked) show('', error.message);
    return;
  }
  if (asked !== state.asked) return;  // a newer set-up or tab was asked for meanwhile
  show(answer.code, '');
  const link = $('export-weights');
  link.hidden = !answer.weights;
  if (answer.weights) {
    link.href = answer.weights.url;
    link.setAttribute('download', answer.weights.filename);
    link.textContent = t('export.weights', {file: answer.weights.filename});
  }
}

function show(code, message) {
  state.code = code;
  $('export-code').textContent = code;
  $('export-code').hidden = !code;
  $('export-copy').disabled = !code;
  if (!code) $('export-weights').hidden = true;
  status(message);
  area.dataset.ready = code ? 'yes' : 'no';
}

function selectCode() {
  const range = document.createRange();
  range.selectNodeContents($('export-code'));
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function copy() {
  if (!state.code) return;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(state.code);
      status(t('export.copied'));
      area.dataset.copied = 'clipboard';
      return;
    } catch { /* refused (permissions): fall back to selecting the text */ }
  }
  selectCode();
  let copied = false;
  try { copied = document.execCommand('copy'); } catch { copied = false; }
  status(t(copied ? 'export.copied' : 'export.selected'));
  area.dataset.copied = copied ? 'command' : 'selected';
}

function toggle() {
  state.open = !state.open;
  $('export-toggle').setAttribute('aria-expanded', String(state.open));
  $('export-panel').hidden = !state.open;
  if (state.open) refresh();
}

function choose(target) {
  state.target = target;
  for (const tab of area.querySelectorAll('[role="tab"]')) {
    tab.setAttribute('aria-selected', String(tab.dataset.target === target));
  }
  refresh();
}

$('export-toggle').addEventListener('click', toggle);
$('export-copy').addEventListener('click', copy);
for (const tab of area.querySelectorAll('[role="tab"]')) {
  tab.addEventListener('click', () => choose(tab.dataset.target));
  tab.addEventListener('keydown', (event) => {  // the tab pattern: arrow keys move between the two tabs
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    const other = area.querySelector(`[role="tab"]:not([data-target="${tab.dataset.target}"])`);
    other.focus();
    choose(other.dataset.target);
  });
}
// A new set-up while the panel is open: write its code (after the page's own burst of requests settles).
document.addEventListener('api:sent', (event) => {
  if (!state.open || event.detail.path !== source) return;
  clearTimeout(state.timer);
  state.timer = setTimeout(refresh, 300);
});
document.getElementById('model')?.addEventListener('change', () => { if (kind === 'model') refresh(); });
document.addEventListener('export:setup', (event) => {
  if (!state.open || event.detail.kind !== kind) return;
  clearTimeout(state.timer);
  state.timer = setTimeout(refresh, 300);
});
