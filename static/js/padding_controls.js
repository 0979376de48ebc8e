// The padding controls of the convolution and image-filter labs (templates/_lab.html,
// padding_controls): one whole number for every side, per side (top, bottom, left, right), "same"
// or "valid", and the padding mode. The state holds the API's own `padding` (a number,
// {top, bottom, left, right}, 'same' or 'valid') and `padding_mode`, both kept in the URL.
// Nothing here computes a size: "same" is worked out by the server, which answers each side.
import {t} from './i18n.js';
import {$} from './lab.js';

const SIDES = ['top', 'bottom', 'left', 'right'];

/** The modes the page offers (the server's list, rendered into the select). */
export const paddingModes = () => [...$('padding-mode').options].map((o) => o.value);

/** A UrlState type for `padding`: "1", "same", "valid", or "top,bottom,left,right" ("0,1,0,1"). */
export const paddingType = {
  parse: (s) => {
    if (s === 'same' || s === 'valid') return s;
    const v = s.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
    if (!v.every(Number.isInteger)) return undefined;
    if (v.length === 1) return v[0];
    return v.length === 4 ? Object.fromEntries(SIDES.map((side, i) => [side, v[i]])) : undefined;
  },
  format: (v) => (v !== null && typeof v === 'object' ? SIDES.map((side) => v[side]).join(',') : String(v)),
};

/** Which form a padding value has: 'number', 'sides', 'same' or 'valid'. */
export function paddingForm(padding) {
  if (typeof padding === 'string') return padding;
  return padding !== null && typeof padding === 'object' ? 'sides' : 'number';
}

/**
 * The border to draw around the input grids while the server's answer is on its way:
 * [top, bottom, left, right], or null for "same" (only the server knows its sides).
 */
export function askedSides(padding) {
  const form = paddingForm(padding);
  if (form === 'same') return null;
  if (form === 'valid') return [0, 0, 0, 0];
  const clean = (v) => Math.max(0, Number.isInteger(v) ? v : 0);
  return form === 'sides' ? SIDES.map((side) => clean(padding[side])) : Array(4).fill(clean(padding));
}

/** The sides of an answer's `padding` ({top, bottom, left, right}) as a list. */
export const answerSides = (padding) => SIDES.map((side) => padding[side]);

/**
 * Wire the controls to `state` (`padding`, `padding_mode`); `changed(what)` after an edit
 * ('padding' or 'mode'). `known()` gives the last answer's sides ({top, ...}), used when switching
 * to "per side" so that the numbers start where the page is.
 */
export class PaddingControls {
  constructor(state, {changed, known = () => null}) {
    Object.assign(this, {state, changed, known});
    this.hasForms = Boolean($('padding-form'));
    this.hasForms && $('padding-form').addEventListener('change', () => this.chooseForm($('padding-form').value));
    $('padding').addEventListener('input', () => this.onNumber('padding'));
    if (this.hasForms) for (const side of SIDES) $(`pad-${side}`).addEventListener('input', () => this.onNumber(side));
    $('padding-mode').addEventListener('change', () => {
      this.state.padding_mode = $('padding-mode').value;
      this.changed('mode');
    });
  }

  chooseForm(form) {
    const now = this.state.padding;
    if (form === 'number') {
      this.state.padding = paddingForm(now) === 'sides' ? Math.max(0, now.top) : 0;
    } else if (form === 'sides') {
      const sides = paddingForm(now) === 'number' ? Array(4).fill(Math.max(0, now))
        : this.known() ? answerSides(this.known()) : [0, 0, 0, 0];
      this.state.padding = Object.fromEntries(SIDES.map((side, i) => [side, sides[i]]));
    } else {
      this.state.padding = form;
    }
    this.sync();
    this.changed('padding');
  }

  onNumber(which) {
    const id = which === 'padding' ? 'padding' : `pad-${which}`;
    const v = Number($(id).value);
    if ($(id).value === '' || !Number.isInteger(v)) return;  // (not while it is half typed)
    if (which === 'padding') this.state.padding = v;
    else this.state.padding = {...this.state.padding, [which]: v};
    this.changed('padding');
  }

  /** Show the state in the controls. */
  sync() {
    const padding = this.state.padding;
    const form = paddingForm(padding);
    if (this.hasForms) {
      $('padding-form').value = form;
      $('padding-sides').hidden = form !== 'sides';
      if (form === 'sides') for (const side of SIDES) $(`pad-${side}`).value = String(padding[side]);
    }
    const number = form === 'number';
    $('padding').hidden = !number;
    $('padding-label').hidden = !number;
    if (number) $('padding').value = String(padding);
    $('padding-mode').value = this.state.padding_mode;
  }
}

/**
 * What the page says about an answer's padding (for "same" with an even kernel: where PyTorch put
 * the extra row or column), as lines; none when there is nothing to say.
 */
export function paddingNotes(asked, answer) {
  if (asked !== 'same') return [];
  const p = answer.padding;
  const lines = [];
  if (p.top !== p.bottom) lines.push(t('padding.same_extra_row', p));
  if (p.left !== p.right) lines.push(t('padding.same_extra_col', p));
  return lines;
}

/** The tooltip of a padding cell that copies input cell (row, col), 0-based. */
export function copyTitle(mode, row, col) {
  return t('padding.copies', {mode: t(`padding.mode_name.${mode}`), row: row + 1, col: col + 1});
}
