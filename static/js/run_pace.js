// A training run's pace as a slider: 1 to `max` steps a second, and one position past the end for full
// speed (the value null). It shows its value ("2 steps/s", "full speed") beside it and to screen readers.
//
//   const pace = new PaceSlider(input, output, {max: 10, onChange: (steps) => ...});
//   pace.value = 2;  pace.value = null;  pace.value  // -> 2 or null
import {t} from './i18n.js';

export class PaceSlider {
  constructor(input, output, {max, onChange}) {
    this.input = input;
    this.output = output;
    this.max = max;
    Object.assign(input, {min: '1', max: String(max + 1), step: '1'});
    input.addEventListener('input', () => this.show());
    input.addEventListener('change', () => onChange(this.value));
    this.show();
  }

  /** Steps a second, or null for full speed. */
  get value() {
    const v = Number(this.input.value);
    return v > this.max ? null : v;
  }

  set value(pace) {
    this.input.value = String(pace ?? this.max + 1);
    this.show();
  }

  show() {
    const pace = this.value;
    const text = pace === null ? t('train.pace.full') : t('train.pace.value', {n: pace});
    this.output.textContent = text;
    this.input.setAttribute('aria-valuetext', text);
  }
}
