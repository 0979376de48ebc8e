// Follow the teacher, the student's side (loaded by every page through page.js).
//
// /join/CODE sends a student to the teacher's page with ?class=CODE; from then on this tab follows
// the class (kept in sessionStorage across pages): every state the teacher's page sends over the
// class's websocket is applied here. A state is the teacher's path and query (a lab keeps its
// whole configuration and its player's step in the URL), so following needs no code in the labs:
// - only the player's step changed: the step is shown in place, through the player's own scrubber;
// - anything else (another page, preset, setting): this page goes to the teacher's URL, keeping
//   its own language and presenter mode (after 200 ms without a newer state, so that typing on
//   the teacher's side does not reload every key).
// A banner says "Following the teacher" with "Explore alone"; exploring (also as soon as the
// student edits, clicks a control or a link) stops applying states, and "Rejoin the teacher" takes
// the teacher's current state again in one click.
import {t} from './i18n.js';
import {ClassSocket} from './class_socket.js';
import {bindTeach, load, pageState, store} from './teach.js';
import {parseQuery, withParams} from './urlstate.js';

const KEY = 'cnn-playground.class-follow';   // {code, mode: 'following' | 'exploring'}
const IN_PLACE = ['step'];                    // what a page shows without reloading
const IGNORED = ['speed'];                    // the teacher's player speed: each step arrives anyway
const NAVIGATE_AFTER_MS = 200;
const READY_WAIT_MS = 5000;

function element(tag, attributes = {}, text = '') {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

/** Whether two query strings differ only in `names` (and the ignored parameters). */
function sameExcept(a, b, names) {
  const [pa, pb] = [parseQuery(a), parseQuery(b)];
  for (const name of [...names, ...IGNORED]) { pa.delete(name); pb.delete(name); }
  return pa.size === pb.size && [...pa].every(([k, v]) => pb.get(k) === v);
}

/** Show player step `step` through the page's scrubber, once the page shows its newest answer. */
function showStep(step) {
  const scrubber = document.querySelector('main .player-scrubber');
  if (!scrubber) return false;
  const go = () => {
    scrubber.value = String(step);
    scrubber.dispatchEvent(new Event('input', {bubbles: true}));
  };
  if (document.body.dataset.ready !== 'pending') { go(); return true; }
  const observer = new MutationObserver(() => {
    if (document.body.dataset.ready === 'pending') return;
    observer.disconnect();
    go();
  });
  observer.observe(document.body, {attributes: true, attributeFilter: ['data-ready']});
  setTimeout(() => observer.disconnect(), READY_WAIT_MS);
  return true;
}

class Student {
  constructor(follow) {
    this.follow = follow;
    this.latest = null;
    this.timer = null;
    this.banner = this.buildBanner();
    this.socket = new ClassSocket(follow.code, {
      onOpen: () => { if (this.follow.mode === 'exploring') this.socket.send({type: 'explore'}); },
      onMessage: (message) => this.onMessage(message),
      onGone: () => this.over('follow.banner.gone'),
      onStatus: (status) => { this.lost = status !== 'open'; this.render(); },
    });
    this.watchEdits();
    this.render();
  }

  onMessage(message) {
    if (message.type === 'state') {
      this.latest = message;
      if (this.follow.mode === 'following') this.apply(message);
    } else if (message.type === 'ended') {
      this.over('follow.banner.ended');
    }
  }

  /** Show the teacher's state: a step in place, anything else by going to the teacher's URL. */
  apply(state) {
    const here = pageState();
    clearTimeout(this.timer);
    if (state.path === here.path && sameExcept(state.query, here.query, IN_PLACE)) {
      const step = parseQuery(state.query).get('step');
      if (step === parseQuery(here.query).get('step') || (step !== undefined && showStep(Number(step)))) return;
    }
    this.timer = setTimeout(() => {
      const own = parseQuery(location.search);
      location.replace(withParams(`${state.path}?${state.query}`, {presenter: own.get('presenter') ?? null}));
    }, NAVIGATE_AFTER_MS);
  }

  setMode(mode) {
    if (this.follow.mode === mode || !this.follow.code) return;
    this.follow.mode = mode;
    store(KEY, this.follow);
    clearTimeout(this.timer);
    this.socket.send({type: mode === 'exploring' ? 'explore' : 'follow'});  // (following: the server sends the state)
    this.render();
  }

  /** The class ended or is gone: say so, stop following (the banner stays until closed). */
  over(key) {
    this.ended = t(key, {code: this.follow.code});
    clearTimeout(this.timer);
    this.socket.close();
    store(KEY, null);
    this.render();
  }

  leave() {
    this.socket.close();
    store(KEY, null);
    this.banner.remove();
  }

  /** A student who edits the lab, presses its buttons or opens another page explores alone. */
  watchEdits() {
    const explore = (event) => {
      if (!event.isTrusted || this.follow.mode !== 'following' || this.ended) return;
      if (event.type === 'click' && !event.target.closest?.('main button, main a[href], .topnav a, .brand')) return;
      this.setMode('exploring');
    };
    const main = document.querySelector('main');
    main?.addEventListener('input', explore, true);
    main?.addEventListener('change', explore, true);
    document.addEventListener('click', explore, true);
  }

  buildBanner() {
    const banner = element('div', {class: 'follow-banner', role: 'status', 'data-follow-banner': ''});
    this.text = element('span', {class: 'follow-text', 'data-follow-text': ''});
    this.buttons = {
      explore: element('button', {type: 'button', 'data-follow-explore': ''}, t('follow.banner.explore')),
      rejoin: element('button', {type: 'button', class: 'follow-rejoin', 'data-follow-rejoin': ''}, t('follow.banner.rejoin')),
      leave: element('button', {type: 'button', 'data-follow-leave': ''}, t('follow.banner.leave')),
      close: element('button', {type: 'button', 'data-follow-close': ''}, t('follow.banner.close')),
    };
    this.buttons.explore.addEventListener('click', () => this.setMode('exploring'));
    this.buttons.rejoin.addEventListener('click', () => this.setMode('following'));
    this.buttons.leave.addEventListener('click', () => this.leave());
    this.buttons.close.addEventListener('click', () => this.banner.remove());
    banner.append(this.text, ...Object.values(this.buttons));
    document.querySelector('.topbar').after(banner);
    return banner;
  }

  render() {
    const {mode, code} = this.follow;
    const key = mode === 'following' ? 'follow.banner.following' : 'follow.banner.exploring';
    this.banner.dataset.mode = this.ended ? 'ended' : mode;
    this.text.textContent = this.ended ?? (this.lost ? t('follow.banner.reconnecting', {code}) : t(key, {code}));
    this.buttons.explore.hidden = Boolean(this.ended) || mode !== 'following';
    this.buttons.rejoin.hidden = Boolean(this.ended) || mode !== 'exploring';
    this.buttons.leave.hidden = Boolean(this.ended) || mode !== 'exploring';
    this.buttons.close.hidden = !this.ended;
  }
}

/** Follow the class this tab joined (?class=CODE, taken out of the address), or lead one, or neither. */
export function bindFollow() {
  const joined = parseQuery(location.search).get('class');
  if (joined && /^[A-Za-z0-9]{1,12}$/.test(joined)) {
    store(KEY, {code: joined.toUpperCase(), mode: 'following'});
    history.replaceState(history.state, '', withParams(location.href, {class: null}));
  }
  const follow = load(KEY);
  const student = follow?.code ? new Student(follow) : null;
  bindTeach(Boolean(student));
  return student;
}
