// Presenter mode sizes a lab's grids to the screen: one cell size for every grid of the row (the
// kernel's cells as large as the input's), the largest at which the row fits the width and the
// products line (`last`) still ends above the bottom of the window, between MIN px and a ninth of
// the window's height. Outside presenter mode the grids keep their density's sizes (app.css),
// which shrink to the width on a narrow screen. Only sizes are measured here, never a number.
import {isPresenter} from './presenter.js';

const MIN = 16;

/** Size the grids of `row` (a `.grids` box) for the screen; undo it outside presenter mode. */
export function fitGrids(row, last) {
  row.style.removeProperty('--fit-cell');
  delete row.dataset.fit;
  if (!isPresenter()) return;
  row.dataset.fit = '';
  const fits = (px) => {
    row.style.setProperty('--fit-cell', `${px}px`);
    const bottom = last.getBoundingClientRect().bottom + window.scrollY;
    return row.scrollWidth <= row.clientWidth + 1 && bottom <= window.innerHeight - 6;
  };
  let [lo, hi] = [MIN, Math.max(MIN, Math.floor(window.innerHeight / 9))];
  if (fits(hi)) return;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid; else hi = mid;
  }
  row.style.setProperty('--fit-cell', `${lo}px`);
}

/** Fit `row` now and again when the window is resized, presenter mode switched or the fonts loaded; returns the fit. */
export function keepFitted(row, last) {
  const fit = () => fitGrids(row, last);
  let timer = null;
  window.addEventListener('resize', () => { clearTimeout(timer); timer = setTimeout(fit, 100); });
  document.addEventListener('presenterchange', fit);
  document.fonts?.ready.then(fit);
  return fit;
}
