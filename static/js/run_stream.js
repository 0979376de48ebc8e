// A training run's websocket, kept open: every message is JSON with a `type`; run events carry `seq`.
// When the connection drops before `done`, it reconnects with `after=<last seq>` and so misses nothing
// and sees nothing twice. Commands go the other way: {type: 'pause' | 'resume' | 'stop'} and
// {type: 'set', lr}.
//
//   const stream = new RunStream(id, {onEvent: (e) => ..., onConnection: (state) => ...});
//   stream.send({type: 'pause'});  stream.close();
import {lang} from './i18n.js';

export class RunStream {
  constructor(runId, {onEvent, onConnection = () => {}}) {
    this.runId = runId;
    this.onEvent = onEvent;
    this.onConnection = onConnection;
    this.lastSeq = 0;
    this.finished = false;
    this.closed = false;
    this.retry = 0;
    this.socket = null;
    this.connect();
  }

  connect() {
    if (this.closed || this.finished) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${scheme}//${location.host}/ws/runs/${encodeURIComponent(this.runId)}?lang=${lang}&after=${this.lastSeq}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    this.onConnection('connecting');
    socket.addEventListener('open', () => { this.retry = 0; this.onConnection('open'); });
    socket.addEventListener('message', (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      if (typeof event.seq === 'number') {
        if (event.seq <= this.lastSeq) return;
        this.lastSeq = event.seq;
      }
      if (event.type === 'done') this.finished = true;
      this.onEvent(event);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (event.code === 4404) { this.finished = true; this.onConnection('gone'); return; }
      if (this.closed || this.finished) { this.onConnection('closed'); return; }
      this.onConnection('reconnecting');
      this.retry = Math.min(this.retry + 1, 6);
      setTimeout(() => this.connect(), 250 * 2 ** (this.retry - 1));
    });
  }

  /** Send a command; false when the connection is not open (the caller may use HTTP instead). */
  send(command) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(command));
    return true;
  }

  close() {
    this.closed = true;
    this.socket?.close(1000);
    this.socket = null;
  }
}
