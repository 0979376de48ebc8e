// Predictions over the websocket /ws/predict, one at a time.
//
//   const socket = new PredictSocket();
//   const reply = await socket.ask(body);   // {type: 'prediction', ...} or {type: 'error', code, detail}
//
// The caller keeps one question open at a time (the draw page's Predictor). If the socket cannot
// be opened or closes, the question goes to POST /api/predict instead, and the socket is tried
// again for the next one.
import {ApiError, postJSON} from './api.js';
import {lang, t} from './i18n.js';

export class PredictSocket {
  constructor(path = '/ws/predict') {
    this.path = path;
    this.socket = null;
    this.opening = null;
    this.pending = null;
    this.nextId = 1;
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}${this.path}?lang=${lang}`;
  }

  /** Resolves to an open socket, or null when none can be had. */
  open() {
    if (this.socket?.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    if (this.opening) return this.opening;
    this.opening = new Promise((resolve) => {
      const socket = new WebSocket(this.url());
      socket.addEventListener('open', () => { this.socket = socket; resolve(socket); });
      socket.addEventListener('message', (event) => this.receive(event));
      socket.addEventListener('close', () => {
        if (this.socket === socket) this.socket = null;
        resolve(null);
        this.settle({type: 'closed'});
      });
    }).finally(() => { this.opening = null; });
    return this.opening;
  }

  receive(event) {
    let reply;
    try { reply = JSON.parse(event.data); } catch { return; }
    if (this.pending && (reply.id === this.pending.id || reply.id === null)) this.settle(reply);
  }

  settle(reply) {
    const pending = this.pending;
    this.pending = null;
    pending?.resolve(reply);
  }

  /** The server's reply to `body` (a POST /api/predict body). */
  async ask(body) {
    const socket = await this.open();
    if (socket) {
      const id = this.nextId++;
      const reply = await new Promise((resolve) => {
        this.pending = {id, resolve};
        socket.send(JSON.stringify({...body, id}));
      });
      if (reply.type !== 'closed') return reply;
    }
    try {
      return {type: 'prediction', ...(await postJSON('/api/predict', body, {alert: false}))};
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return {type: 'error', code: error.code ?? 'network', detail: error.message || t('error.network')};
    }
  }
}
