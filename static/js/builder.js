// The network builder: a list of layers to add, remove, reorder and edit. It knows the layer kinds
// and their settings, nothing of shapes: after every edit the page asks POST /api/networks/check and
// hands the answer to `showCheck`, which writes each layer's output shape, parameter count and the
// notes' comparison (what a fully connected layer would need) under it, and in `parts.memory` the
// memory a run would need at its batch size with the server's budget (the server's MB figures).
//
//   const b = new NetworkBuilder(parts, {activations, onChange: (items) => ...});
//   b.setItems(decode('conv:6:5:1:2,relu,maxpool:2:2,flatten,dense:10'));
//   (a conv's padding may be 'same', 'valid' or per side '0_1_0_1' (top_bottom_left_right); after it
//    come its groups when not 1 (a number: conv:8:3:1:1:8 is depthwise on 8 channels) and its padding
//    mode when not zeros (a word: 'conv:4:2:1:same:reflect', 'conv:8:3:1:1:8:circular'))
//   b.showCheck(answer);   // rows, total, memory, error from the server
import {count} from './format.js';
import {t} from './i18n.js';

export const KINDS = ['conv', 'conv_transpose', 'maxpool', 'avgpool', 'activation', 'dropout', 'flatten', 'dense',
                      'batchnorm2d', 'batchnorm1d'];

// kind -> settings in URL order: [name, min, max, step]
const FIELDS = {
  conv: [['filters', 1, 64, 1], ['kernel', 1, 11, 1], ['stride', 1, 4, 1], ['padding', 0, 5, 1], ['groups', 1, 64, 1]],
  conv_transpose: [['filters', 1, 64, 1], ['kernel', 1, 11, 1], ['stride', 1, 4, 1], ['padding', 0, 5, 1],
                   ['output_padding', 0, 3, 1]],
  maxpool: [['size', 1, 4, 1], ['stride', 1, 4, 1]],
  avgpool: [['size', 1, 4, 1], ['stride', 1, 4, 1]],
  activation: [],
  dropout: [['p', 0, 0.95, 0.05]],
  flatten: [],
  dense: [['units', 1, 1024, 1]],
  batchnorm2d: [['momentum', 0, 1, 0.01]],
  batchnorm1d: [['momentum', 0, 1, 0.01]],
};
const NEW = {conv: {filters: 4, kernel: 3, stride: 1, padding: 0, groups: 1, padding_mode: 'zeros'},
             conv_transpose: {filters: 4, kernel: 3, stride: 2, padding: 0, output_padding: 0},
             maxpool: {size: 2, stride: 2},
             avgpool: {size: 2, stride: 2}, activation: {fn: 'relu'}, dropout: {p: 0.5}, flatten: {},
             dense: {units: 10}, batchnorm2d: {momentum: 0.1}, batchnorm1d: {momentum: 0.1}};

const SIDES = ['top', 'bottom', 'left', 'right'];

/** A conv's padding as the builder's text: `1`, `same`, `valid` or `top,bottom,left,right`. */
export function paddingText(padding) {
  return padding !== null && typeof padding === 'object' ? SIDES.map((side) => padding[side]).join(',') : String(padding);
}

/** The builder's padding text as the spec's value: a whole number, 'same', 'valid', the four sides
 *  ("0,1,0,1" or "0 1 0 1": top, bottom, left, right) as an object, or else the text itself (the
 *  server then says what a padding may be). */
export function parsePadding(text) {
  const s = String(text).trim();
  if (s !== '' && Number.isInteger(Number(s))) return Number(s);
  const parts = s.split(/[\s,_]+/);
  if (parts.length === 4 && parts.every((v) => v !== '' && Number.isInteger(Number(v)))) {
    return Object.fromEntries(SIDES.map((side, i) => [side, Number(parts[i])]));
  }
  return s;
}

// Activations with settings, PyTorch's names and defaults: fn -> [[name, choices] or [name, min, max, step]].
const ACT_FIELDS = {
  gelu: [['approximate', ['none', 'tanh']]],
  softplus: [['beta', 0.1, 10, 0.1], ['threshold', 0, 50, 0.5]],
};
const ACT_NEW = {gelu: {approximate: 'none'}, softplus: {beta: 1, threshold: 20}};

/** An activation item: its function and that function's settings (defaults filled in). */
function activationItem(fn, settings = {}) {
  const item = {kind: 'activation', fn, ...structuredClone(ACT_NEW[fn] ?? {})};
  for (const [name] of ACT_FIELDS[fn] ?? []) {
    if (settings[name] !== undefined) item[name] = settings[name];
  }
  return item;
}

/** A spec entry (`{"type": "conv", "filters": 6, ...}`) as a builder item. */
export function toItem(entry, activations) {
  const {type, ...rest} = entry;
  if (activations.includes(type)) return activationItem(type, rest);
  const item = {kind: type, ...NEW[type]};
  for (const [name] of FIELDS[type] ?? []) {
    if (name in rest) item[name] = rest[name];
  }
  if (type === 'conv') item.padding_mode = rest.padding_mode ?? 'zeros';
  if ((type === 'maxpool' || type === 'avgpool') && (rest.stride === undefined || rest.stride === null)) {
    item.stride = item.size;
  }
  return item;
}

/** A builder item as the engine's spec entry. */
export function toSpec(item) {
  if (item.kind === 'activation') {
    return Object.fromEntries([['type', item.fn], ...(ACT_FIELDS[item.fn] ?? []).map(([name]) => [name, item[name]])]);
  }
  const entry = {type: item.kind};
  for (const [name] of FIELDS[item.kind]) entry[name] = item[name];
  if (item.kind === 'conv' && (item.padding_mode ?? 'zeros') !== 'zeros') entry.padding_mode = item.padding_mode;
  return entry;
}

/** An activation as URL text: `relu`, `gelu` (its defaults), `gelu:tanh`, `softplus:2:20`. */
function encodeActivation(item) {
  const fields = ACT_FIELDS[item.fn] ?? [];
  const defaults = fields.every(([name]) => item[name] === ACT_NEW[item.fn][name]);
  return defaults ? item.fn : [item.fn, ...fields.map(([name]) => item[name])].join(':');
}

/** Items as URL text: `conv:6:5:1:2,relu,maxpool:2:2,flatten,dense:10` (a conv's groups only when not 1). */
export function encode(items) {
  const value = (item, name) => (name === 'padding' ? paddingText(item.padding).replaceAll(',', '_') : item[name]);
  const mode = (item) => (item.kind === 'conv' && (item.padding_mode ?? 'zeros') !== 'zeros' ? [item.padding_mode] : []);
  return items.map((item) => {
    if (item.kind === 'activation') return encodeActivation(item);
    const values = FIELDS[item.kind].map(([name]) => value(item, name));
    if (item.kind === 'conv' && (item.groups ?? 1) === 1) values.pop();
    return [item.kind, ...values, ...mode(item)].join(':');
  }).join(',');
}

/** The URL text back as items (undefined when it is not a list of known layers). */
export function decode(text, activations) {
  if (!text) return undefined;
  const items = [];
  for (const token of text.split(',')) {
    const [kind, ...values] = token.split(':');
    if (activations.includes(kind)) {
      const fields = ACT_FIELDS[kind] ?? [];
      if (values.length > fields.length) return undefined;
      const settings = {};
      fields.forEach(([name, ...range], i) => {
        if (values[i] === undefined) return;
        const v = Number(values[i]);
        settings[name] = Array.isArray(range[0]) || !Number.isFinite(v) || values[i] === '' ? values[i] : v;
      });
      items.push(activationItem(kind, settings));
      continue;
    }
    if (!(kind in FIELDS) || kind === 'activation') return undefined;
    const item = {kind, ...NEW[kind]};
    // a conv's groups and padding mode both come after its padding, each only when not the default
    const fields = kind === 'conv' ? FIELDS.conv.filter(([name]) => name !== 'groups') : FIELDS[kind];
    fields.forEach(([name], i) => {
      if (values[i] === undefined) return;
      const v = Number(values[i]);
      item[name] = name === 'padding' ? parsePadding(values[i]) : Number.isFinite(v) && values[i] !== '' ? v : values[i];
    });
    if (kind === 'conv') {
      for (const extra of values.slice(fields.length)) {
        if (extra !== '' && Number.isFinite(Number(extra))) item.groups = Number(extra); else item.padding_mode = extra;
      }
    }
    items.push(item);
  }
  return items;
}

function iconButton(action, label, glyph) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `layer-${action}`;
  b.dataset.action = action;
  b.setAttribute('aria-label', label);
  b.title = label;
  b.textContent = glyph;
  return b;
}

const number = count;

export class NetworkBuilder {
  /** parts: {list (an <ol>), kind (select), add (button), memory (an element, optional)};
   *  options: activations, paddingModes (the server's list), onChange(items). */
  constructor({list, kind, add, memory = null}, {activations, paddingModes = ['zeros'], onChange = () => {}}) {
    this.list = list;
    this.memory = memory;
    this.activations = activations;
    this.paddingModes = paddingModes;
    this.onChange = onChange;
    this.items = [];
    this.disabled = false;
    add.addEventListener('click', () => {
      this.items.push({kind: kind.value, ...structuredClone(NEW[kind.value])});
      this.render();
      this.changed();
      this.list.lastElementChild?.querySelector('input, select')?.focus();
    });
  }

  setItems(items) {
    this.items = structuredClone(items);
    this.render();
  }

  /** Read-only while a run shows another network (a run's URL opened by a viewer). */
  setDisabled(disabled) {
    this.disabled = disabled;
    for (const node of this.list.querySelectorAll('input, select, button')) node.disabled = disabled;
  }

  changed() {
    this.onChange(structuredClone(this.items));
  }

  render() {
    this.list.replaceChildren(...this.items.map((item, i) => this.row(item, i)));
    this.setDisabled(this.disabled);
  }

  row(item, i) {
    const li = document.createElement('li');
    li.className = 'layer';
    li.dataset.index = String(i);
    li.dataset.kind = item.kind;
    const head = document.createElement('div');
    head.className = 'layer-head';
    const title = document.createElement('span');
    title.className = 'layer-title';
    title.textContent = t(`train.kind.${item.kind}`);
    const name = document.createElement('span');
    name.className = 'layer-name';
    const tools = document.createElement('span');
    tools.className = 'layer-tools';
    const up = iconButton('up', t('train.layer.up', {n: i + 1}), '▲');
    const down = iconButton('down', t('train.layer.down', {n: i + 1}), '▼');
    const remove = iconButton('remove', t('train.layer.remove', {n: i + 1}), '✕');
    up.addEventListener('click', () => this.move(i, -1, 'up'));
    down.addEventListener('click', () => this.move(i, 1, 'down'));
    remove.addEventListener('click', () => this.remove(i));
    tools.append(up, down, remove);
    head.append(name, title, tools);
    const fields = document.createElement('div');
    fields.className = 'layer-fields';
    if (item.kind === 'activation') {
      fields.append(this.activationField(item, i));
      for (const [field, ...range] of ACT_FIELDS[item.fn] ?? []) {
        fields.append(Array.isArray(range[0]) ? this.choiceField(item, i, field, range[0])
          : this.numberField(item, i, field, ...range));
      }
    }
    for (const [field, min, max, step] of FIELDS[item.kind]) {
      fields.append(field === 'padding' && item.kind === 'conv' ? this.paddingField(item, i) : this.numberField(item, i, field, min, max, step));
    }
    if (item.kind === 'conv') fields.append(this.paddingModeField(item, i));
    const info = document.createElement('div');
    info.className = 'layer-info';
    info.setAttribute('aria-live', 'polite');
    const problem = document.createElement('div');
    problem.className = 'layer-problem';
    problem.hidden = true;
    li.append(head, fields, info, problem);
    up.disabled = i === 0;
    down.disabled = i === this.items.length - 1;
    return li;
  }

  numberField(item, i, field, min, max, step) {
    const label = document.createElement('label');
    label.className = 'layer-field';
    const input = document.createElement('input');
    input.type = 'number';
    input.min = String(min);
    input.max = String(max);
    input.step = String(step);
    input.value = String(item[field]);
    input.dataset.field = field;
    input.setAttribute('aria-label', t('train.layer.field', {n: i + 1, field: t(`train.field.${field}`)}));
    input.addEventListener('input', () => {
      const text = input.value.trim();
      const v = Number(text);
      item[field] = text !== '' && Number.isFinite(v) ? v : text;
      this.changed();
    });
    const span = document.createElement('span');
    span.textContent = t(`train.field.${field}`);
    span.setAttribute('aria-hidden', 'true');
    label.append(span, input);
    return label;
  }

  /** A conv's padding: a number, same, valid or top,bottom,left,right (suggested in a list). */
  paddingField(item, i) {
    const label = document.createElement('label');
    label.className = 'layer-field';
    const input = document.createElement('input');
    input.type = 'text';
    input.className = 'layer-padding';
    input.value = paddingText(item.padding);
    input.dataset.field = 'padding';
    input.title = t('train.field.padding_help');
    input.setAttribute('list', 'padding-choices');
    input.setAttribute('aria-label', t('train.layer.field', {n: i + 1, field: t('train.field.padding')}));
    input.addEventListener('input', () => {
      item.padding = parsePadding(input.value);
      this.changed();
    });
    if (!document.getElementById('padding-choices')) {
      const list = document.createElement('datalist');
      list.id = 'padding-choices';
      for (const choice of ['0', '1', '2', 'same', 'valid', '0,1,0,1']) {
        const option = document.createElement('option');
        option.value = choice;
        list.append(option);
      }
      document.body.append(list);
    }
    const span = document.createElement('span');
    span.textContent = t('train.field.padding');
    span.setAttribute('aria-hidden', 'true');
    label.append(span, input);
    return label;
  }

  paddingModeField(item, i) {
    const label = document.createElement('label');
    label.className = 'layer-field';
    const select = document.createElement('select');
    select.dataset.field = 'padding_mode';
    select.setAttribute('aria-label', t('train.layer.field', {n: i + 1, field: t('train.field.padding_mode')}));
    for (const mode of this.paddingModes) {
      const option = document.createElement('option');
      option.value = mode;
      option.textContent = mode;
      select.append(option);
    }
    select.value = item.padding_mode ?? 'zeros';
    select.addEventListener('change', () => { item.padding_mode = select.value; this.changed(); });
    const span = document.createElement('span');
    span.textContent = t('train.field.padding_mode');
    span.setAttribute('aria-hidden', 'true');
    label.append(span, select);
    return label;
  }

  activationField(item, i) {
    const label = document.createElement('label');
    label.className = 'layer-field';
    const select = document.createElement('select');
    select.dataset.field = 'fn';
    select.setAttribute('aria-label', t('train.layer.field', {n: i + 1, field: t('train.field.fn')}));
    for (const fn of this.activations) {
      const option = document.createElement('option');
      option.value = fn;
      option.textContent = fn;
      select.append(option);
    }
    select.value = item.fn;
    select.addEventListener('change', () => {
      this.items[i] = activationItem(select.value);  // the new function's settings, at their defaults
      this.render();
      this.changed();
      this.list.children[i]?.querySelector('select[data-field=fn]')?.focus();
    });
    label.append(select);
    return label;
  }

  /** A setting that is one of a few names (GELU's approximate: none, tanh), each option explained. */
  choiceField(item, i, field, choices) {
    const label = document.createElement('label');
    label.className = 'layer-field';
    const select = document.createElement('select');
    select.dataset.field = field;
    select.setAttribute('aria-label', t('train.layer.field', {n: i + 1, field: t(`train.field.${field}`)}));
    for (const choice of choices) {
      const option = document.createElement('option');
      option.value = choice;
      option.textContent = t(`train.choice.${field}.${choice}`);
      select.append(option);
    }
    select.value = item[field];
    select.addEventListener('change', () => { item[field] = select.value; this.changed(); });
    const span = document.createElement('span');
    span.textContent = t(`train.field.${field}`);
    span.setAttribute('aria-hidden', 'true');
    label.append(span, select);
    return label;
  }

  move(i, by, action) {
    const j = i + by;
    if (j < 0 || j >= this.items.length) return;
    [this.items[i], this.items[j]] = [this.items[j], this.items[i]];
    this.render();
    this.changed();
    this.list.children[j]?.querySelector(`[data-action=${action}]:not(:disabled)`)?.focus();
  }

  remove(i) {
    this.items.splice(i, 1);
    this.render();
    this.changed();
    const next = this.list.children[Math.min(i, this.items.length - 1)];
    next?.querySelector('[data-action=remove]')?.focus();
  }

  /** The server's answer: each layer's name, shape and parameters, the memory, and the first problem. */
  showCheck(answer) {
    this.showMemory(answer?.memory ?? null);
    const rows = answer?.layers ?? [];
    [...this.list.children].forEach((li, i) => {
      const row = rows[i];
      const info = li.querySelector('.layer-info');
      const name = li.querySelector('.layer-name');
      name.textContent = row ? row.name : '';
      if (!row) {
        info.textContent = '';
      } else {
        let text = t('train.layer.shape', {shape: row.output_shape.join('×'), params: number(row.params)});
        if (row.dense_params !== null && row.dense_params !== undefined
            && (row.type === 'conv' || row.type === 'conv_transpose')) {
          text += ` · ${t('train.layer.dense', {dense: number(row.dense_params), ratio: number(row.dense_ratio)})}`;
        }
        info.textContent = text;
      }
      const problem = li.querySelector('.layer-problem');
      const here = answer?.error && answer.error.index === i;
      li.classList.toggle('invalid', Boolean(here));
      problem.hidden = !here;
      problem.textContent = here ? answer.error.detail : '';
    });
  }

  /** Training and evaluation memory in MB at the run's batch size, and the budget; marked when over
   *  it (the refusal itself is the check's whole-network error). Hidden when the network does not work. */
  showMemory(memory) {
    if (!this.memory) return;
    this.memory.hidden = !memory;
    this.memory.classList.toggle('over', Boolean(memory) && Math.max(memory.train_bytes, memory.eval_bytes) > memory.budget_bytes);
    this.memory.textContent = memory ? t('train.memory', {
      batch: String(memory.batch_size), train: number(memory.train_mb), eval: number(memory.eval_mb),
      budget: number(memory.budget_mb)}) : '';
    if (memory) Object.assign(this.memory.dataset, {trainMb: memory.train_mb, evalMb: memory.eval_mb, budgetMb: memory.budget_mb});
  }
}
