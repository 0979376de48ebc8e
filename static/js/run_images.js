// Small images of a training run, drawn from the server's pixels: digits (28x28, 0 = background),
// feature maps (0..255 over their layer's range) and first-layer filters (-255..255, a diverging
// scale). Pixels arrive as base64 of uint8 bytes; nothing here computes a number, it only paints.
import {colour, paintPixels} from './colour.js';

/** base64 text -> bytes. */
export function bytes(base64) {
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** A canvas of `rows` x `cols` pixels, painted by `rgb(index)` for each cell in row-major order. */
export function canvas(rows, cols, rgb, {label = '', className = ''} = {}) {
  const c = document.createElement('canvas');
  c.width = cols;
  c.height = rows;
  if (className) c.className = className;
  c.setAttribute('role', 'img');
  if (label) c.setAttribute('aria-label', label);
  paintPixels(c, rows, cols, rgb);
  return c;
}

const GRAY = {kind: 'gray', low: 0, high: 255};
const DIVERGING = {kind: 'diverging', low: -255, high: 255};

/** A digit as ink on paper (MNIST stores ink as 255 on a 0 background). */
export function digit(base64, label = '') {
  const px = bytes(base64);
  return canvas(28, 28, (i) => colour(255 - px[i], GRAY), {label, className: 'digit'});
}

/** Channel `k` of (C, H, W) maps given as 0..255 bytes. */
export function featureMap(px, k, h, w, label = '') {
  const offset = k * h * w;
  return canvas(h, w, (i) => colour(px[offset + i], GRAY), {label, className: 'fmap'});
}

/** One kernel (kh x kw) from levels in -255..255 (blue negative, white 0, red positive). */
export function kernel(levels, label = '') {
  const rows = levels.length;
  const cols = levels[0].length;
  return canvas(rows, cols, (i) => colour(levels[Math.floor(i / cols)][i % cols], DIVERGING),
                {label, className: 'kernel'});
}
