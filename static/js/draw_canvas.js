// The drawing pad: strokes from mouse, finger or pen (Pointer Events), undo and clear.
//
//   const pad = new DrawingPad(canvas, {onDraw: () => ..., onStrokeEnd: () => ...});
//   pad.undo(); pad.clear(); pad.isEmpty;
//   const {pixels, shape, canvas} = pad.ink();   // the drawing's ink as base64 bytes, 128 x 128
//
// Strokes are kept as lists of points in [0, 1] x [0, 1] of the pad, so the same strokes are
// drawn sharp on the screen (at the device's pixel density) and once more, at INK_SIDE x INK_SIDE,
// on an off-screen canvas whose pixels are sent to the server: 128 x 128, the size of the NIST
// scans MNIST was made from. The server does all the preprocessing; the pad only draws.
import {css, INK} from './colour.js';

export const INK_SIDE = 128;
const BRUSH = 0.085;              // pen width as a fraction of the pad's side
const INK_COLOUR = css(INK);

export class DrawingPad {
  /** canvas: the visible pad; onDraw() after every change, onStrokeEnd() when a stroke ends. */
  constructor(canvas, {onDraw = () => {}, onStrokeEnd = () => {}} = {}) {
    this.canvas = canvas;
    this.onDraw = onDraw;
    this.onStrokeEnd = onStrokeEnd;
    this.strokes = [];
    this.current = null;
    this.inkCanvas = document.createElement('canvas');
    this.inkCanvas.width = this.inkCanvas.height = INK_SIDE;
    this.inkCanvas.getContext('2d', {willReadFrequently: true});   // read after every change
    canvas.style.touchAction = 'none';
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) {
      canvas.addEventListener(type, (e) => this.up(e));
    }
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  get isEmpty() {
    return this.strokes.length === 0;
  }

  /** Where a pointer event is, in [0, 1] x [0, 1] of the pad. */
  point(event) {
    const box = this.canvas.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
  }

  down(event) {
    if (event.button !== 0 && event.pointerType === 'mouse') return;
    event.preventDefault();
    try {
      this.canvas.setPointerCapture(event.pointerId);   // keep the stroke when the pen leaves the pad
    } catch {
      // not an active pointer (a synthetic event): draw without capture
    }
    this.current = {id: event.pointerId, points: [this.point(event)]};
    this.strokes.push(this.current);
    this.render();
    this.onDraw();
  }

  move(event) {
    if (!this.current || event.pointerId !== this.current.id) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of (events.length ? events : [event])) this.current.points.push(this.point(e));
    this.render();
    this.onDraw();
  }

  up(event) {
    if (!this.current || event.pointerId !== this.current.id) return;
    this.current = null;
    this.onStrokeEnd();
  }

  /** Remove the last stroke; true if there was one. */
  undo() {
    if (this.current || !this.strokes.length) return false;
    this.strokes.pop();
    this.render();
    this.onStrokeEnd();
    return true;
  }

  /** Remove every stroke. */
  clear() {
    this.current = null;
    this.strokes = [];
    this.render();
    this.onStrokeEnd();
  }

  resize() {
    const box = this.canvas.getBoundingClientRect();
    const scale = window.devicePixelRatio || 1;
    const side = Math.max(1, Math.round(box.width * scale));
    if (this.canvas.width !== side) {
      this.canvas.width = this.canvas.height = side;
      this.render();
    }
  }

  render() {
    this.canvas.dataset.strokes = String(this.strokes.length);
    paintStrokes(this.canvas, this.strokes, '#ffffff');
    paintStrokes(this.inkCanvas, this.strokes, null);
  }

  /** The drawing as the bytes of its ink (the alpha of the strokes, 0 = none, 255 = full; INK_SIDE x INK_SIDE,
   *  row-major) in base64 with their shape, as POST /api/predict takes them in `pixels` and `shape`, and a
   *  copy of the canvas they were read from (for showing the steps of this very drawing). */
  ink() {
    const {data} = this.inkCanvas.getContext('2d').getImageData(0, 0, INK_SIDE, INK_SIDE);
    const alpha = new Uint8Array(INK_SIDE * INK_SIDE);
    for (let i = 0; i < alpha.length; i++) alpha[i] = data[4 * i + 3];
    let text = '';
    for (let i = 0; i < alpha.length; i += 0x2000) text += String.fromCharCode(...alpha.subarray(i, i + 0x2000));
    const copy = document.createElement('canvas');
    copy.width = copy.height = INK_SIDE;
    copy.getContext('2d').drawImage(this.inkCanvas, 0, 0);
    return {pixels: btoa(text), shape: [INK_SIDE, INK_SIDE], canvas: copy};
  }
}

/** Draw strokes (points in [0, 1]) on a square canvas, on `background` (null: transparent). */
function paintStrokes(canvas, strokes, background) {
  const ctx = canvas.getContext('2d');
  const side = canvas.width;
  ctx.clearRect(0, 0, side, side);
  if (background) {
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, side, side);
  }
  ctx.strokeStyle = ctx.fillStyle = INK_COLOUR;
  ctx.lineWidth = BRUSH * side;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const {points} of strokes) {
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0][0] * side, points[0][1] * side, ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
      continue;
    }
    ctx.beginPath();
    ctx.moveTo(points[0][0] * side, points[0][1] * side);
    for (const [x, y] of points.slice(1)) ctx.lineTo(x * side, y * side);
    ctx.stroke();
  }
}
