// One player for every animation: play, pause, step forward and back, speed, scrubber, reset.
//
//   const player = new Player(container, {showStep: (i) => draw(i), count: steps.length});
//   player.setCount(n, index)      // new trace: n steps, show step `index`
//
// The player knows nothing of what it animates: it calls `showStep(i)` (0 <= i < count) and
// `onChange(i)` (for example to write the step into the URL). With `keys: true` (the default)
// it listens on the document: Space play/pause, Left/Right step, Home/End first/last step. Who
// owns a key press is keys.js's one rule: keys are left alone while focus is in a text field, a
// select or the scrubber, and Space on a focused button elsewhere keeps its native meaning.
import {t} from './i18n.js';
import {pageOwnsKey} from './keys.js';

const SPEEDS = [0.5, 1, 2, 4, 8]; // steps per second

function button(action, label, glyph) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `player-${action}`;
  b.dataset.action = action;
  b.setAttribute('aria-label', label);
  b.title = label;
  b.innerHTML = `<span class="glyph" aria-hidden="true">${glyph}</span><span class="label">${label}</span>`;
  return b;
}

export class Player {
  /**
   * container: an element the controls are drawn into.
   * options: showStep(i) (required), onChange(i), count (0), index (0), speed (steps/s, 2),
   * keys (true: bind the keyboard on the document).
   */
  constructor(container, {showStep, onChange = () => {}, count = 0, index = 0, speed = 2, keys = true}) {
    this.container = container;
    this.showStep = showStep;
    this.onChange = onChange;
    this.count = 0;
    this.index = 0;
    this.speed = SPEEDS.includes(speed) ? speed : 2;
    this.timer = null;
    this.render();
    this.onKey = this.onKey.bind(this);
    if (keys) document.addEventListener('keydown', this.onKey);
    this.setCount(count, index);
  }

  render() {
    const c = this.container;
    c.classList.add('player');
    c.setAttribute('role', 'group');
    c.setAttribute('aria-label', t('player.label'));
    c.replaceChildren();
    this.buttons = {
      reset: button('reset', t('player.reset'), '⟲'),
      first: button('first', t('player.first'), '⇤'),
      back: button('back', t('player.back'), '◁'),
      play: button('play', t('player.play'), '▶'),
      forward: button('forward', t('player.forward'), '▷'),
      last: button('last', t('player.last'), '⇥'),
    };
    for (const b of Object.values(this.buttons)) {
      b.addEventListener('click', () => this.act(b.dataset.action));
      c.append(b);
    }
    this.scrubber = document.createElement('input');
    this.scrubber.type = 'range';
    this.scrubber.className = 'player-scrubber';
    this.scrubber.min = '0';
    this.scrubber.step = '1';
    this.scrubber.setAttribute('aria-label', t('player.scrubber'));
    // (the value is read first: pausing redraws the controls, scrubber included, at the current step)
    this.scrubber.addEventListener('input', () => { const i = Number(this.scrubber.value); this.pause(); this.goTo(i); });
    this.counter = document.createElement('output');
    this.counter.className = 'player-counter';
    this.counter.setAttribute('aria-live', 'polite');
    const speedLabel = document.createElement('label');
    speedLabel.className = 'player-speed';
    this.speedInput = document.createElement('input');
    this.speedInput.type = 'range';
    this.speedInput.min = '0';
    this.speedInput.max = String(SPEEDS.length - 1);
    this.speedInput.step = '1';
    this.speedInput.value = String(SPEEDS.indexOf(this.speed));
    this.speedText = document.createElement('span');
    this.speedInput.addEventListener('input', () => this.setSpeed(SPEEDS[Number(this.speedInput.value)]));
    speedLabel.append(t('player.speed'), ' ', this.speedInput, ' ', this.speedText);
    c.append(this.scrubber, this.counter, speedLabel);
    this.updateSpeedText();
  }

  act(action) {
    const actions = {
      reset: () => this.reset(), first: () => { this.pause(); this.first(); },
      back: () => { this.pause(); this.prev(); }, play: () => this.toggle(),
      forward: () => { this.pause(); this.next(); }, last: () => { this.pause(); this.last(); },
    };
    actions[action]();
  }

  /** A new animation of `count` steps, showing step `index` (clamped). Pauses. */
  setCount(count, index = 0) {
    this.pause();
    this.count = Math.max(0, count | 0);
    this.scrubber.max = String(Math.max(0, this.count - 1));
    this.scrubber.disabled = this.count <= 1;
    this.index = -1;
    if (this.count) this.goTo(index); else this.update();
  }

  /** Show step `i` (clamped to the steps there are). */
  goTo(i) {
    if (!this.count) return;
    const index = Math.min(this.count - 1, Math.max(0, Math.round(Number(i)) || 0));
    const changed = index !== this.index;
    this.index = index;
    this.showStep(index);
    this.update();
    if (changed) this.onChange(index);
  }

  next() { this.goTo(this.index + 1); }
  prev() { this.goTo(this.index - 1); }
  first() { this.goTo(0); }
  last() { this.goTo(this.count - 1); }

  /** Back to the first step, paused. */
  reset() { this.pause(); this.first(); }

  get playing() { return this.timer !== null; }

  play() {
    if (this.playing || this.count <= 1) return;
    if (this.index >= this.count - 1) this.goTo(0); // at the end, play starts again
    this.timer = setInterval(() => {
      if (this.index >= this.count - 1) this.pause(); else this.next();
    }, 1000 / this.speed);
    this.update();
  }

  pause() {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.buttons) this.update();
  }

  toggle() { if (this.playing) this.pause(); else this.play(); }

  /** Steps per second: one of 0.5, 1, 2, 4, 8. */
  setSpeed(speed) {
    this.speed = SPEEDS.includes(speed) ? speed : 2;
    this.speedInput.value = String(SPEEDS.indexOf(this.speed));
    this.updateSpeedText();
    if (this.playing) { this.pause(); this.play(); }
  }

  updateSpeedText() {
    this.speedText.textContent = t('player.speed_value', {speed: this.speed});
  }

  update() {
    const {play} = this.buttons;
    const label = this.playing ? t('player.pause') : t('player.play');
    play.setAttribute('aria-label', label);
    play.title = label;
    play.setAttribute('aria-pressed', String(this.playing));
    play.innerHTML = `<span class="glyph" aria-hidden="true">${this.playing ? '❚❚' : '▶'}</span><span class="label">${label}</span>`;
    const atStart = this.index <= 0;
    const atEnd = this.index >= this.count - 1;
    this.buttons.back.disabled = this.buttons.first.disabled = !this.count || atStart;
    this.buttons.forward.disabled = this.buttons.last.disabled = !this.count || atEnd;
    this.buttons.play.disabled = this.buttons.reset.disabled = this.count <= 1;
    this.scrubber.value = String(Math.max(0, this.index));
    this.counter.textContent = this.count
      ? t('player.step', {step: this.index + 1, count: this.count}) : t('player.no_steps');
  }

  onKey(event) {
    // Space on another control keeps its meaning (pressing it); on the player's own buttons it plays/pauses.
    if (!pageOwnsKey(event, {own: this.container})) return;
    const keys = {
      ' ': () => this.toggle(), ArrowRight: () => { this.pause(); this.next(); },
      ArrowLeft: () => { this.pause(); this.prev(); }, Home: () => { this.pause(); this.first(); },
      End: () => { this.pause(); this.last(); },
    };
    if (!(event.key in keys)) return;
    event.preventDefault();
    keys[event.key]();
  }

  /** Stop and unbind the keyboard. */
  destroy() {
    this.pause();
    document.removeEventListener('keydown', this.onKey);
  }
}
