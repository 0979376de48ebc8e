// One side of the activation lab: the activation's menu, its parameter sliders, the chart of f and
// f' with the saturated stretches shaded, and the captions. It draws what the server answered.
//
//   const panel = new ActivationPanel('a', specs, {onChange: ({name, params}) => ...});
//   panel.setControls('leaky_relu', {a: 0.1});   // menu and sliders (no request)
//   panel.show(answer);                          // an answer of POST /api/activations
import {fmt} from './format.js';
import {has, t} from './i18n.js';
import {LineChart} from './linechart.js';

const $ = (id) => document.getElementById(id);

/** The activation's name as the catalogue writes it ("Leaky ReLU"), or its id. */
export function activationName(name) {
  return has(`act.name.${name}`) ? t(`act.name.${name}`) : name;
}

/** Only the parameters `spec` has, as numbers (or one of their choices), the missing ones at their defaults. */
export function cleanParams(spec, params = {}) {
  const out = {};
  for (const p of spec.params) {
    if (p.choices) {
      out[p.name] = p.choices.includes(params[p.name]) ? params[p.name] : p.default;
      continue;
    }
    const v = Number(params[p.name]);
    out[p.name] = Number.isFinite(v) ? v : p.default;
  }
  return out;
}

/** Numbers formatted for a caption; lists and text are left as they are. */
function formatted(values) {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'number' ? fmt(v) : v]));
}

export class ActivationPanel {
  /**
   * side: 'a' or 'b' (the template's ids end in -a or -b); specs: name -> {formula, params}
   * from GET /api/activations; onChange({name, params}) when the user picks or slides.
   */
  constructor(side, specs, {onChange}) {
    this.side = side;
    this.specs = specs;
    this.onChange = onChange;
    this.root = $(`panel-${side}`);
    this.select = $(`name-${side}`);
    this.paramsBox = $(`params-${side}`);
    this.formula = $(`formula-${side}`);
    this.fact = $(`fact-${side}`);
    this.saturation = $(`saturation-${side}`);
    this.chart = new LineChart($(`chart-${side}`), {xLabel: 'z', width: 560, height: 250});
    this.name = null;
    this.params = {};
    for (const name of Object.keys(specs)) {
      const option = document.createElement('option');
      option.value = name;
      option.textContent = activationName(name);
      this.select.append(option);
    }
    this.select.addEventListener('change', () => {
      const name = this.select.value;
      this.setControls(name, cleanParams(specs[name]));
      this.onChange({name, params: this.params});
    });
  }

  /** Show the menu and the sliders for `name` at `params` (already cleaned). */
  setControls(name, params) {
    const rebuilt = name !== this.name;
    this.name = name;
    this.params = {...params};
    this.select.value = name;
    this.root.dataset.name = name;
    this.formula.textContent = this.specs[name].formula;
    if (rebuilt) this.buildSliders();
    for (const input of this.paramsBox.querySelectorAll('input[data-param]')) {
      input.value = String(this.params[input.dataset.param]);
      input.nextElementSibling.textContent = fmt(this.params[input.dataset.param]);
    }
    for (const select of this.paramsBox.querySelectorAll('select[data-param]')) {
      select.value = this.params[select.dataset.param];
    }
  }

  buildSliders() {
    const spec = this.specs[this.name];
    this.paramsBox.replaceChildren();
    this.paramsBox.hidden = !spec.params.length;
    for (const p of spec.params) {
      if (p.choices) {
        this.paramsBox.append(this.choice(p));
        continue;
      }
      const label = document.createElement('label');
      label.className = 'act-param';
      const text = document.createElement('span');
      text.className = 'act-param-name';
      text.textContent = has(`act.param.${p.name}`) ? t(`act.param.${p.name}`) : p.name;
      const input = document.createElement('input');
      input.type = 'range';
      input.id = `param-${this.side}-${p.name}`;
      input.min = String(p.min);
      input.max = String(p.max);
      input.step = String(p.step);
      input.dataset.param = p.name;
      const value = document.createElement('output');
      value.setAttribute('for', input.id);
      input.addEventListener('input', () => this.slid(p.name, Number(input.value)));
      label.append(text, input, value);
      this.paramsBox.append(label);
    }
  }

  /** A menu for a parameter that is one of a few names (GELU's approximate), each option explained. */
  choice(p) {
    const label = document.createElement('label');
    label.className = 'act-param';
    const text = document.createElement('span');
    text.className = 'act-param-name';
    text.textContent = has(`act.param.${p.name}`) ? t(`act.param.${p.name}`) : p.name;
    const select = document.createElement('select');
    select.id = `param-${this.side}-${p.name}`;
    select.dataset.param = p.name;
    for (const choice of p.choices) {
      const option = document.createElement('option');
      option.value = choice;
      option.textContent = has(`act.choice.${p.name}.${choice}`) ? t(`act.choice.${p.name}.${choice}`) : choice;
      select.append(option);
    }
    select.addEventListener('change', () => this.slid(p.name, select.value));
    label.append(text, select);
    return label;
  }

  /** A slider moved. RReLU's range keeps lower <= upper by moving the other end along. */
  slid(param, value) {
    const params = {...this.params, [param]: value};
    if (this.name === 'rrelu') {
      if (param === 'lower' && params.lower > params.upper) params.upper = params.lower;
      if (param === 'upper' && params.upper < params.lower) params.lower = params.upper;
    }
    this.setControls(this.name, params);
    this.onChange({name: this.name, params: this.params});
  }

  markStale() {
    this.root.classList.add('stale');
  }

  /** Draw an answer of POST /api/activations. */
  show(data) {
    this.root.classList.remove('stale');
    const {x, f, df, facts} = data;
    const name = activationName(data.name);
    const threshold = fmt(data.threshold);
    this.chart.setLabel(t('act.chart_label', {name}));
    this.chart.setData({
      series: [{id: 'f', label: t('act.legend.f', {name}), x, y: f},
               {id: 'df', label: t('act.legend.df', {name}), x, y: df, dash: true}],
      regions: data.saturation.map(([x0, x1]) => ({x0, x1, label: t('act.legend.saturated', {threshold})})),
      bands: data.f_lower ? [{x, lower: data.f_lower, upper: data.f_upper, label: t('act.legend.band')}] : [],
      markers: [{x: facts.argmax_df, y: facts.max_df, series: 'df', label: t('act.marker.max_df', {value: fmt(facts.max_df)})}],
      xDomain: [x[0], x[x.length - 1]],
    });
    const scalars = Object.fromEntries(Object.entries(data.params).filter(([, v]) => typeof v === 'number'));
    // A parameter that is a name picks its own caption: act.fact.gelu.tanh for GELU's tanh form.
    const named = Object.values(data.params).find((v) => typeof v === 'string' && has(`act.fact.${data.name}.${v}`));
    this.fact.textContent = t(named ? `act.fact.${data.name}.${named}` : `act.fact.${data.name}`,
      formatted({...facts, ...scalars}));
    this.formula.textContent = data.formula;
    this.root.dataset.maxDf = String(facts.max_df);
    this.root.dataset.argmaxDf = String(facts.argmax_df);
    this.saturation.textContent = this.saturationText(data, threshold);
  }

  saturationText(data, threshold) {
    const [lo, hi] = [data.x[0], data.x[data.x.length - 1]];
    if (!data.saturation.length) return t('act.saturation.none', {threshold});
    if (data.saturation.length === 1 && data.saturation[0][0] === lo && data.saturation[0][1] === hi) {
      return t('act.saturation.all', {threshold});
    }
    const parts = data.saturation.map(([x0, x1]) => {
      if (x0 === lo) return `z ≤ ${fmt(x1)}`;
      if (x1 === hi) return `z ≥ ${fmt(x0)}`;
      return x0 === x1 ? `z = ${fmt(x0)}` : `${fmt(x0)} ≤ z ≤ ${fmt(x1)}`;
    });
    return t('act.saturation.some', {threshold, regions: parts.join(t('act.saturation.join'))});
  }
}
