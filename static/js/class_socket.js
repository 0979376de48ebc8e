// A class's websocket (/ws/classes/CODE, app/routers/classes.py), kept open: it reconnects after a
// drop (250 ms, doubling up to 8 s) until the class is gone (close 4404), ended or closed here.
//
//   const socket = new ClassSocket(code, {onOpen: () => ..., onMessage: (m) => ..., onGone: () => ...,
//                                         onStatus: (s) => ...});   // s: 'open', 'reconnecting'
//   socket.send({type: 'explore'});  socket.close();
import {lang} from './i18n.js';

export class ClassSocket {
  constructor(code, {onOpen = () => {}, onMessage = () => {}, onGone = () => {}, onStatus = () => {}}) {
    Object.assign(this, {code, onOpen, onMessage, onGone, onStatus});
    this.socket = null;
    this.closed = false;
    this.retry = 0;
    this.connect();
  }

  connect() {
    if (this.closed) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}/ws/classes/${encodeURIComponent(this.code)}?lang=${lang}`);
    this.socket = socket;
    socket.addEventListener('open', () => { this.retry = 0; this.onStatus('open'); this.onOpen(); });
    socket.addEventListener('message', (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      if (message.type === 'ended') this.closed = true;
      this.onMessage(message);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (event.code === 4404) { this.closed = true; this.onGone(); return; }
      if (this.closed) return;
      this.onStatus('reconnecting');
      this.retry = Math.min(this.retry + 1, 6);
      setTimeout(() => this.connect(), 250 * 2 ** (this.retry - 1));
    });
  }

  /** Send a message; false when the connection is not open (it is sent again on reconnecting, if the caller wants). */
  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  close() {
    this.closed = true;
    this.socket?.close(1000);
  }
}
