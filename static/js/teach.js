// The teacher's side of "follow the teacher": the header's [data-follow-teach] button opens a class
// (POST /api/classes), and the class panel shows its join code, join URL, QR code (an <img> the
// server draws) and how many students follow. While this browser tab leads, every change of the
// page's address (a lab's whole configuration and its player's step live there: urlstate.js,
// player.js) is sent to the class's websocket, so it needs nothing from the labs themselves.
//
// The class's control token is kept in sessionStorage: only this tab leads (the server checks the
// token on every state, as for training runs: run_tokens.js); a student's browser never has it.
import {postJSON, showAlert} from './api.js';
import {t} from './i18n.js';
import {ClassSocket} from './class_socket.js';
import {buildQuery, parseQuery} from './urlstate.js';

const KEY = 'cnn-playground.class-lead';          // {code, token, join_url, qr_url, open}
const PERSONAL = ['lang', 'presenter', 'class'];  // each browser's own (app/classes.py PERSONAL_PARAMS)

export function load(key) {
  try { return JSON.parse(sessionStorage.getItem(key)); } catch { return null; }
}

export function store(key, value) {
  try {
    if (value) sessionStorage.setItem(key, JSON.stringify(value)); else sessionStorage.removeItem(key);
  } catch { /* private mode: the class lasts as long as this page */ }
}

/** What the class follows of a page: its path and its query without each browser's own parameters. */
export function pageState(href = location.href) {
  const url = new URL(href, location.href);
  const params = parseQuery(url.search);
  for (const name of PERSONAL) params.delete(name);
  return {path: url.pathname, query: buildQuery(params).slice(1)};
}

function element(tag, attributes = {}, text = '') {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

class Teacher {
  constructor(button) {
    this.button = button;
    this.lead = load(KEY);
    // The panel shows on the page where the teacher opens it: on the next page the lab comes first
    // (the header button still says how many follow, and opens the panel again).
    if (this.lead) this.lead.open = false;
    this.counts = {following: 0, exploring: 0};
    this.sent = null;
    this.socket = null;
    this.panel = null;
    button.addEventListener('click', () => (this.lead ? this.togglePanel() : this.open()));
    watchAddress(() => this.sendState());
    if (this.lead) this.start();
    this.render();
  }

  async open() {
    this.button.disabled = true;
    try {
      const created = await postJSON('/api/classes', {});
      this.lead = {code: created.code, token: created.control_token, join_url: created.join_url,
                   qr_url: created.qr_url, open: true};
      store(KEY, this.lead);
      this.start();
    } catch { /* the server's message is in the alert area */ } finally {
      this.button.disabled = false;
      this.render();
    }
  }

  start() {
    this.sent = null;
    this.socket = new ClassSocket(this.lead.code, {
      onOpen: () => { this.socket.send({type: 'lead', token: this.lead.token}); this.sent = null; this.sendState(); },
      onMessage: (message) => this.onMessage(message),
      onGone: () => this.stop(t('follow.banner.gone', {code: this.lead.code})),
      onStatus: (status) => { this.lost = status !== 'open'; this.render(); },
    });
  }

  onMessage(message) {
    if (message.type === 'count') {
      this.counts = {following: message.following, exploring: message.exploring};
      this.render();
    } else if (message.type === 'ended') {
      this.stop();
    } else if (message.type === 'error') {
      if (message.code === 'not_class_leader' || message.code === 'unknown_class') this.stop(message.message);
      else showAlert(message.message);
    }
  }

  /** Send the page's state when it changed (and the websocket is open: it is sent again on reconnecting). */
  sendState() {
    if (!this.socket) return;
    const state = pageState();
    if (this.sent && this.sent.path === state.path && this.sent.query === state.query) return;
    if (this.socket.send({type: 'state', token: this.lead.token, ...state})) this.sent = state;
  }

  async end() {
    const {code, token} = this.lead;
    try {
      await postJSON(`/api/classes/${encodeURIComponent(code)}/end`, {}, {headers: {'X-Control-Token': token}});
    } catch (error) {
      if (error.status !== 404 && error.status !== 403) return;  // (gone already, or not ours: stop leading)
    }
    this.stop();
  }

  stop(message = null) {
    this.socket?.close();
    this.socket = null;
    this.lead = null;
    store(KEY, null);
    this.render();
    if (message) showAlert(message, 'info');
  }

  togglePanel() {
    this.lead.open = !this.lead.open;
    store(KEY, this.lead);
    this.render();
    if (this.lead.open) this.panel?.querySelector('[data-class-hide]')?.focus();
  }

  render() {
    const {button, lead} = this;
    button.textContent = lead ? t('follow.leading', {code: lead.code, ...this.counts}) : t('follow.teach');
    button.title = t('follow.teach.title');
    button.setAttribute('aria-expanded', String(Boolean(lead?.open)));
    if (!lead) { this.panel?.remove(); this.panel = null; return; }
    if (!this.panel) this.panel = this.buildPanel();
    this.panel.hidden = !lead.open;
    // Just below the header, whatever its height (CSSOM: allowed by the page's style-src 'self').
    this.panel.style.top = `${Math.max(8, Math.round(document.querySelector('.topbar').getBoundingClientRect().bottom) + 8)}px`;
    this.panel.querySelector('[data-class-count]').textContent = t('follow.panel.count', this.counts);
    this.panel.querySelector('[data-class-lost]').hidden = !this.lost;
  }

  buildPanel() {
    const {code, join_url: url, qr_url: qr} = this.lead;
    // The join URL may wrap before '/join/', not inside the code.
    const urlLine = element('p', {class: 'class-url', 'data-class-url': ''});
    const cut = url.indexOf('/join/');
    urlLine.append(...(cut > 0 ? [url.slice(0, cut), document.createElement('wbr'), url.slice(cut)] : [url]));
    const panel = element('aside', {class: 'class-panel', 'aria-labelledby': 'class-panel-title', 'data-class-panel': ''});
    panel.append(
      element('h2', {id: 'class-panel-title'}, t('follow.panel.title')),
      element('p', {class: 'class-label'}, t('follow.panel.code')),
      element('p', {class: 'class-code', 'data-class-code': ''}, code),
      element('p', {class: 'class-label'}, t('follow.panel.url')),
      urlLine,
      element('img', {class: 'class-qr', src: qr, alt: t('follow.panel.qr_alt', {url}), width: '232', height: '232'}),
      element('p', {class: 'class-count', 'data-class-count': '', 'aria-live': 'polite'}),
      element('p', {class: 'class-lost', 'data-class-lost': '', hidden: ''}, t('follow.panel.lost')),
      element('p', {class: 'class-hint'}, t('follow.panel.hint')),
    );
    const actions = element('div', {class: 'class-actions'});
    const hide = element('button', {type: 'button', 'data-class-hide': ''}, t('follow.panel.hide'));
    const end = element('button', {type: 'button', class: 'class-end', 'data-class-end': ''}, t('follow.panel.end'));
    hide.addEventListener('click', () => { this.togglePanel(); this.button.focus(); });
    panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') { this.togglePanel(); this.button.focus(); }
    });
    end.addEventListener('click', () => this.end());
    actions.append(hide, end);
    panel.append(actions);
    document.querySelector('.topbar').after(panel);
    return panel;
  }
}

/** Call `changed()` after every change of the address: the labs write their state with history.replaceState. */
function watchAddress(changed) {
  for (const name of ['pushState', 'replaceState']) {
    const original = history[name];
    history[name] = function patched(...args) {
      const result = original.apply(this, args);
      changed();
      return result;
    };
  }
  window.addEventListener('popstate', changed);
}

/** Make the header's [data-follow-teach] button open and show a class (not while this tab follows one). */
export function bindTeach(following) {
  const button = document.querySelector('[data-follow-teach]');
  if (!button) return null;
  if (following) { button.hidden = true; return null; }
  return new Teacher(button);
}
