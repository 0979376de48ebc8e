// What the step-by-step labs share: a state kept in the URL (a preset's name can stand for its
// configuration), a Player whose step and speed are kept there too, and the debounced "ask the
// server, show the answer, keep the URL" cycle. Nothing here computes a number.
//
//   const state = presetState(url, fromPreset);
//   const save = () => url.write(state);
//   const player = statePlayer($('player'), state, save, (i) => view.showStep(i));
//   const server = new ServerCycle('/api/pool', {body: () => ({...}), save, stale: () => view.markStale(),
//                                                show: (trace) => ..., fail: () => ...});
//   server.refresh();   // after an edit (debounced); server.refresh(0) at once
import {Latest} from './api.js';
import {t} from './i18n.js';
import {Player} from './player.js';

export const $ = (id) => document.getElementById(id);

/** In place of a result the server refused to compute: a note that it is gone and why (the
 * refusal itself is in the alert area), so no out-of-date feature map stays on screen. */
export function showRefused(container) {
  const note = document.createElement('p');
  note.className = 'refused-note';
  note.setAttribute('role', 'status');
  note.textContent = t('lab.refused');
  container.classList.remove('stale');
  container.replaceChildren(note);
}

/** `value` rounded and kept within lo..hi; `fallback` when it is not a number. */
export function clampInt(value, lo, hi, fallback) {
  const v = Math.round(Number(value));
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : fallback;
}

/**
 * The state in the URL (`url` is a UrlState); `?preset=name` without `own` (the lab's data, say
 * `input`) fills in that preset's configuration, `fromPreset(name)`, except what the URL gives.
 */
export function presetState(url, fromPreset, own = 'input') {
  const state = url.read();
  const params = new URLSearchParams(location.search);
  if (state.preset && !params.has(own)) {
    const preset = fromPreset(state.preset);
    for (const [key, value] of Object.entries(preset)) if (!params.has(key) || key === 'preset') state[key] = value;
  }
  return state;
}

/** Choosing a preset in the #preset select loads its configuration into `state`, then `load()`; "custom" only saves. */
export function onPresetChosen(state, fromPreset, {save, load}) {
  $('preset').addEventListener('change', () => {
    const name = $('preset').value;
    if (!name) { state.preset = ''; save(); return; }
    Object.assign(state, fromPreset(name));
    load();
  });
}

/** A Player on `container` whose step and speed live in `state` (`save()` puts them in the URL). */
export function statePlayer(container, state, save, showStep) {
  const player = new Player(container, {
    speed: state.speed,
    showStep,
    onChange: (i) => { state.step = i; save(); },
  });
  player.speedInput.addEventListener('input', () => { state.speed = player.speed; save(); });
  return player;
}

/** Call `handler(id, value)` when the number field `id` is edited to a whole number (not while it is half typed). */
export function onWholeNumber(ids, handler) {
  for (const id of ids) {
    $(id).addEventListener('input', () => {
      const v = Number($(id).value);
      if ($(id).value === '' || !Number.isInteger(v)) return;
      handler(id, v);
    });
  }
}

/**
 * POST `body()` to `path` and show the answer; only the newest request counts. The page's
 * `body[data-ready]` says where it is: 'pending' from an edit until its answer is shown, 'yes'
 * then, 'error' when the server refused (its message is already in the alert area).
 * Hooks: body() -> the request; save() keeps the URL; stale() marks what is out of date;
 * show(answer); fail(error) clears what the refused request would have shown, or returns true
 * when it asked again instead (after correcting the state, it called compute()); settled() says
 * whether everything on the page is shown once this answer is (a page with several cycles).
 * `alert: false` leaves refusals out of the alert area (the page shows them in its own place).
 * Every lab that computes as you edit uses it: /conv, /pool, /filters, /activations,
 * /learn/backprop, and /learn's check of the network being built.
 */
export class ServerCycle {
  constructor(path, {body, save = () => {}, stale = () => {}, show, fail = () => {}, settled = () => true,
                     alert = true}) {
    Object.assign(this, {path, body, save, stale, show, fail, settled, alert});
    this.latest = new Latest();
    this.timer = null;
  }

  /** Ask the server again after `delay` ms (debounced while typing). */
  refresh(delay = 150) {
    document.body.dataset.ready = 'pending';
    this.stale();
    this.save();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.compute(), delay);
  }

  async compute() {
    let answer;
    try {
      answer = await this.latest.post(this.path, this.body(), {alert: this.alert});
    } catch (error) {
      if (this.fail(error) === true) return;
      document.body.dataset.ready = 'error';
      return;
    }
    if (!answer) return;
    this.show(answer);
    if (this.settled()) document.body.dataset.ready = 'yes';
  }
}
