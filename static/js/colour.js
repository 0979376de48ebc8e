// The front end's one module for colour: every value -> colour scale and the one painter that
// draws a 2-D array of numbers onto a canvas (one canvas pixel per value). No other module
// defines a colour ramp or writes pixels itself (tests/test_colour_module.py checks it).
//
//   import {colour, paintArray} from './colour.js';
//   paintArray(canvas, values, (v) => colour(v, {kind: 'diverging', low: -1, high: 1}));
//
// The scales (the server chooses every range; these only turn a number into a colour):
//   colour(v, {kind: 'gray', low, high})       black (low) to white (high);
//   colour(v, {kind: 'diverging', low, high})  blue (low), white (the middle), red (high);
//   inkColour(v)                               ink in [0, 1]: white paper to near-black ink;
//   signedColour(v, scale)                     white at 0, ink up to +scale, red down to -scale;
//   explainColour(v, scale, ink)               the draw page's explanation: red raises the answer,
//                                              blue lowers it, over the input's ink dimmed.
// Colours are [r, g, b] arrays of 0..255; `css(rgb)` writes one for a style.

export const WHITE = [255, 255, 255];
export const BLACK = [0, 0, 0];
export const INK = [17, 17, 20];            // the pen on /draw, the dark end of the ink scale
export const BLUE = [33, 102, 172];         // negative end of the diverging scale; "lowers it" on /draw
export const RED = [178, 24, 43];           // positive end of the diverging scale
export const ALERT_RED = [200, 40, 30];     // /draw: negative values, and "raises the answer"

/** The colour a fraction `f` (0..1) of the way from `a` to `b`. */
export function mix(a, b, f) {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * f));
}

/** `rgb` as CSS text, e.g. 'rgb(33, 102, 172)'. */
export function css([r, g, b]) {
  return `rgb(${r}, ${g}, ${b})`;
}

/** The colour of `v` on a scale {kind: 'gray' | 'diverging', low, high}, as [r, g, b]. */
export function colour(v, {kind, low, high}) {
  const span = high - low;
  const t = span > 0 ? Math.min(1, Math.max(0, (v - low) / span)) : 0.5;
  if (kind === 'diverging') return t < 0.5 ? mix(BLUE, WHITE, t * 2) : mix(WHITE, RED, (t - 0.5) * 2);
  const g = Math.round(t * 255);
  return [g, g, g];
}

/** A scale's kind as a CSS gradient, low (left) to high (right), for a scale bar. */
export function rampCss(kind) {
  const stops = kind === 'diverging' ? [BLUE, WHITE, RED] : [BLACK, WHITE];
  return `linear-gradient(to right, ${stops.map(css).join(', ')})`;
}

/** Ink in [0, 1] as grey: 0 white, 1 near black. */
export function inkColour(v) {
  return mix(WHITE, INK, Math.min(1, Math.max(0, v)));
}

/** A value on a scale: white at 0, towards `positive` up to +scale and `negative` down to -scale. */
export function signedColour(v, scale, positive = INK, negative = ALERT_RED) {
  if (!(scale > 0)) return WHITE;
  const f = Math.min(1, Math.abs(v) / scale);
  return mix(WHITE, v >= 0 ? positive : negative, f);
}

/** An explanation value over a pixel with ink `ink` (0..1): red raises the answer, blue lowers it. */
export function explainColour(v, scale, ink) {
  const base = inkColour(0.55 * ink);
  const f = scale > 0 ? Math.min(1, Math.abs(v) / scale) : 0;
  return mix(base, v >= 0 ? ALERT_RED : BLUE, 0.9 * f);
}

/** Paint `rows` x `cols` pixels of `canvas` (resized to fit), pixel i (row-major) coloured `rgbAt(i)`. */
export function paintPixels(canvas, rows, cols, rgbAt) {
  if (canvas.width !== cols || canvas.height !== rows) {
    canvas.width = cols;
    canvas.height = rows;
  }
  if (!rows || !cols) return;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const [r, g, b] = rgbAt(i);
    const k = 4 * i;
    image.data[k] = r;
    image.data[k + 1] = g;
    image.data[k + 2] = b;
    image.data[k + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** Paint a 2-D array on a canvas, one canvas pixel per value, with `colourOf(value, row, col)`. */
export function paintArray(canvas, values, colourOf) {
  const rows = values.length;
  const cols = rows ? values[0].length : 0;
  paintPixels(canvas, rows, cols, (i) => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    return colourOf(values[r][c], r, c);
  });
}

/** Clear a canvas to transparent. */
export function blank(canvas) {
  canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
}
