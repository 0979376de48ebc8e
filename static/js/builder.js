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
//    mode when not zeros (a word: 'conv:4:2:1:same:reflect', 'conv:8:3:1:1:8:circular'); a branches
//    layer is 'branches:add[conv:4:3:1:1;relu;conv:4:3:1:1|]': paths split by '|', their layers by ';')
//   b.showCheck(answer);   // rows, total, memory, error from the server
import {count} from './format.js';
import {t} from './i18n.js';

export const KINDS = ['conv', 'conv_transpose', 'maxpool', 'avgpool', 'activation', 'dropout', 'flatten', 'dense',
                      'batchnorm2d', 'batchnorm1d', 'branches'];
const PATH_KINDS = KINDS.filter((kind) => kind !== 'branches');  // (the builder nests no branches in branches)
const MERGES = ['concat', 'add'];
const MAX_PATHS = 8;

// kind -> settings in URL order: [name, min, max, step]
const FIELDS = {
  conv: [['filters', 1, 64, 1], ['kernel', 1, 11, 1], ['stride', 1, 4, 1], ['padding', 0, 5, 1], ['groups', 1, 64, 1]],
  conv_transpose: [['filters', 1, 64, 1], ['kernel', 1, 11, 1], ['stride', 1, 4, 1], ['padding', 0, 5, 1],
                   ['output_padding', 0, 3, 1]],
  maxpool: [['size', 1, 4, 1], ['stride', 1, 4, 1], ['padding', 0, 2, 1]],
  avgpool: [['size', 1, 4, 1], ['stride', 1, 4, 1], ['padding', 0, 2, 1]],
  activation: [],
  dropout: [['p', 0, 0.95, 0.05]],
  flatten: [],
  dense: [['units', 1, 1024, 1]],
  batchnorm2d: [['momentum', 0, 1, 0.01]],
  batchnorm1d: [['momentum', 0, 1, 0.01]],
  branches: [],
};
const NEW = {conv: {filters: 4, kernel: 3, stride: 1, padding: 0, groups: 1, padding_mode: 'zeros'},
             conv_transpose: {filters: 4, kernel: 3, stride: 2, padding: 0, output_padding: 0},
             maxpool: {size: 2, stride: 2, padding: 0}, avgpool: {size: 2, stride: 2, padding: 0},
             activation: {fn: 'relu'}, dropout: {p: 0.5}, flatten: {}, dense: {units: 10},
             batchnorm2d: {momentum: 0.1}, batchnorm1d: {momentum: 0.1},
             // a residual block: x + conv(relu(conv(x))), 3x3 with padding 1 keeping the size
             branches: {merge: 'add', paths: [[{kind: 'conv', filters: 4, kernel: 3, stride: 1, padding: 1, groups: 1,
                                                 padding_mode: 'zeros'},
                                                {kind: 'activation', fn: 'relu'},
                                                {kind: 'conv', filters: 4, kernel: 3, stride: 1, padding: 1, groups: 1,
                                                 padding_mode: 'zeros'}], []]}};

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
  if (type === 'branches') {
    return {kind: 'branches', merge: rest.merge ?? 'concat',
            paths: (rest.paths ?? []).map((path) => path.map((e) => toItem(e, activations)))};
  }
  const item = {kind: type, ...structuredClone(NEW[type])};
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
  if (item.kind === 'branches') return {type: 'branches', merge: item.merge, paths: item.paths.map((path) => path.map(toSpec))};
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

/** One item as URL text (a conv's groups only when not 1, its padding mode only when not zeros); a
 *  branches layer as `branches:add[conv:4:3:1:1;relu;conv:4:3:1:1|]` (paths separated by `|`, their
 *  layers by `;`). */
function encodeItem(item) {
  if (item.kind === 'activation') return encodeActivation(item);
  if (item.kind === 'branches') {
    return `branches:${item.merge}[${item.paths.map((path) => path.map(encodeItem).join(';')).join('|')}]`;
  }
  const value = (name) => (name === 'padding' ? paddingText(item.padding).replaceAll(',', '_') : item[name]);
  const values = FIELDS[item.kind].map(([name]) => value(name));
  if (item.kind === 'conv' && (item.groups ?? 1) === 1) values.pop();
  const mode = item.kind === 'conv' && (item.padding_mode ?? 'zeros') !== 'zeros' ? [item.padding_mode] : [];
  return [item.kind, ...values, ...mode].join(':');
}

/** Items as URL text: `conv:6:5:1:2,relu,maxpool:2:2:0,flatten,dense:10`. */
export function encode(items) {
  return items.map(encodeItem).join(',');
}

/** `text` split at `separator` outside brackets. */
function splitTop(text, separator) {
  const parts = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '[') depth += 1;
    else if (text[i] === ']') depth -= 1;
    else if (text[i] === separator && depth === 0) { parts.push(text.slice(start, i)); start = i + 1; }
  }
  parts.push(text.slice(start));
  return parts;
}

/** One layer's URL text back as an item (undefined when it is not a known layer). */
function decodeItem(token, activations) {
  const branches = /^branches:(\w+)\[(.*)\]$/s.exec(token);
  if (branches) {
    const paths = splitTop(branches[2], '|').map((path) => (path === '' ? [] : splitTop(path, ';').map((t) => decodeItem(t, activations))));
    if (paths.some((path) => path.includes(undefined))) return undefined;
    return {kind: 'branches', merge: branches[1], paths};
  }
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
    return activationItem(kind, settings);
  }
  if (!(kind in FIELDS) || kind === 'activation' || kind === 'branches') return undefined;
  const item = {kind, ...structuredClone(NEW[kind])};
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
  return item;
}

/** The URL text back as items (undefined when it is not a list of known layers). */
export function decode(text, activations) {
  if (!text) return undefined;
  const items = splitTop(text, ',').map((token) => decodeItem(token, activations));
  return items.includes(undefined) ? undefined : items;
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

/** A layer's name (the last part of `branches1.path2.conv1` in a path), output shape and parameters
 *  (and at the top level, for a convolution, what a fully connected layer would need). */
function showRow(li, row) {
  const info = li.querySelector(':scope > .layer-info');
  const name = li.querySelector(':scope > .layer-head > .layer-name');
  name.textContent = row ? row.name.split('.').pop() : '';
  name.title = row ? row.name : '';
  if (!row) {
    info.textContent = '';
    return;
  }
  let text = t('train.layer.shape', {shape: row.output_shape.join('×'), params: number(row.params)});
  const inPath = row.name.includes('.');  // (a narrow column: the comparison stays at the top level)
  if (row.dense_params !== null && row.dense_params !== undefined && (row.type === 'conv' || row.type === 'conv_transpose') && !inPath) {
    text += ` · ${t('train.layer.dense', {dense: number(row.dense_params), ratio: number(row.dense_ratio)})}`;
  }
  info.textContent = text;
}

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
    const fields = this.fields(item, (field) => t('train.layer.field', {n: i + 1, field}));
    const info = document.createElement('div');
    info.className = 'layer-info';
    info.setAttribute('aria-live', 'polite');
    const problem = document.createElement('div');
    problem.className = 'layer-problem';
    problem.hidden = true;
    if (item.kind === 'branches') {
      fields.append(this.mergeField(item, i));
      li.append(head, fields, info, this.paths(item, i), problem);
    } else {
      li.append(head, fields, info, problem);
    }
    up.disabled = i === 0;
    down.disabled = i === this.items.length - 1;
    return li;
  }

  /** A layer's settings; `name(field)` names one for a screen reader. */
  fields(item, name) {
    const fields = document.createElement('div');
    fields.className = 'layer-fields';
    if (item.kind === 'activation') {
      fields.append(this.activationField(item, name));
      for (const [field, ...range] of ACT_FIELDS[item.fn] ?? []) {
        fields.append(Array.isArray(range[0]) ? this.choiceField(item, name, field, range[0])
          : this.numberField(item, name, field, ...range));
      }
    }
    for (const [field, min, max, step] of FIELDS[item.kind]) {
      fields.append(field === 'padding' && item.kind === 'conv' ? this.paddingField(item, name)
        : this.numberField(item, name, field, min, max, step));
    }
    if (item.kind === 'conv') fields.append(this.choiceField(item, name, 'padding_mode', this.paddingModes, (mode) => mode));
    return fields;
  }

  mergeField(item, i) {
    const label = document.createElement('label');
    label.className = 'layer-field';
    const select = document.createElement('select');
    select.dataset.field = 'merge';
    select.setAttribute('aria-label', t('train.layer.field', {n: i + 1, field: t('train.field.merge')}));
    for (const merge of MERGES) {
      const option = document.createElement('option');
      option.value = merge;
      option.textContent = t(`train.merge.${merge}`);
      select.append(option);
    }
    select.value = item.merge;
    select.addEventListener('change', () => { item.merge = select.value; this.changed(); });
    label.append(select);
    return label;
  }

  /** The paths of branches layer `i`, side by side, and a button to add one. */
  paths(item, i) {
    const box = document.createElement('div');
    box.className = 'branch-paths';
    item.paths.forEach((path, p) => box.append(this.path(item, i, path, p)));
    const add = document.createElement('button');
    add.type = 'button';
    add.className = 'path-add';
    add.textContent = t('train.path.add');
    add.disabled = item.paths.length >= MAX_PATHS;
    add.addEventListener('click', () => {
      item.paths.push([]);
      this.render();
      this.changed();
      this.list.children[i]?.querySelector('.branch-path:last-of-type select')?.focus();
    });
    box.append(add);
    return box;
  }

  path(item, i, path, p) {
    const box = document.createElement('section');
    box.className = 'branch-path';
    box.dataset.path = String(p);
    const head = document.createElement('div');
    head.className = 'path-head';
    const title = document.createElement('span');
    title.className = 'path-title';
    title.textContent = t('train.path', {p: p + 1});
    const remove = iconButton('remove-path', t('train.path.remove', {p: p + 1, n: i + 1}), '✕');
    remove.disabled = item.paths.length <= 2;
    remove.addEventListener('click', () => {
      if (item.paths.length <= 2) return;
      item.paths.splice(p, 1);
      this.render();
      this.changed();
    });
    head.append(title, remove);
    const list = document.createElement('ol');
    list.className = 'path-layers';
    path.forEach((sub, m) => list.append(this.subRow(item, i, path, p, sub, m)));
    const identity = document.createElement('p');
    identity.className = 'path-identity';
    identity.textContent = t('train.path.identity');
    identity.hidden = path.length > 0;
    const adder = document.createElement('div');
    adder.className = 'path-adder';
    const kind = document.createElement('select');
    kind.setAttribute('aria-label', t('train.path.add_layer', {p: p + 1}));
    for (const k of PATH_KINDS) {
      const option = document.createElement('option');
      option.value = k;
      option.textContent = t(`train.kind.${k}`);
      kind.append(option);
    }
    const add = document.createElement('button');
    add.type = 'button';
    add.className = 'path-add-layer';
    add.textContent = '+';
    add.setAttribute('aria-label', t('train.path.add_layer', {p: p + 1}));
    add.title = t('train.path.add_layer', {p: p + 1});
    add.addEventListener('click', () => {
      path.push({kind: kind.value, ...structuredClone(NEW[kind.value])});
      this.render();
      this.changed();
      this.list.children[i]?.querySelectorAll('.branch-path')[p]?.querySelector('.sublayer:last-child input, .sublayer:last-child select')?.focus();
    });
    adder.append(kind, add);
    const info = document.createElement('div');
    info.className = 'path-info';
    info.setAttribute('aria-live', 'polite');
    box.append(head, list, identity, adder, info);
    return box;
  }

  subRow(item, i, path, p, sub, m) {
    const li = document.createElement('li');
    li.className = 'layer sublayer';
    li.dataset.kind = sub.kind;
    li.dataset.index = String(m);
    const head = document.createElement('div');
    head.className = 'layer-head';
    const title = document.createElement('span');
    title.className = 'layer-title';
    title.textContent = t(`train.kind.${sub.kind}`);
    const name = document.createElement('span');
    name.className = 'layer-name';
    const tools = document.createElement('span');
    tools.className = 'layer-tools';
    const where = {n: i + 1, p: p + 1, m: m + 1};
    const up = iconButton('up', t('train.path.up', where), '▲');
    const down = iconButton('down', t('train.path.down', where), '▼');
    const remove = iconButton('remove', t('train.path.remove_layer', where), '✕');
    const swap = (j) => {
      if (j < 0 || j >= path.length) return;
      [path[m], path[j]] = [path[j], path[m]];
      this.render();
      this.changed();
    };
    up.addEventListener('click', () => swap(m - 1));
    down.addEventListener('click', () => swap(m + 1));
    remove.addEventListener('click', () => { path.splice(m, 1); this.render(); this.changed(); });
    tools.append(up, down, remove);
    head.append(name, title, tools);
    const fields = this.fields(sub, (field) => t('train.path.field', {...where, field}));
    const info = document.createElement('div');
    info.className = 'layer-info';
    li.append(head, fields, info);
    up.disabled = m === 0;
    down.disabled = m === path.length - 1;
    return li;
  }

  numberField(item, name, field, min, max, step) {
    const label = document.createElement('label');
    label.className = 'layer-field';
    const input = document.createElement('input');
    input.type = 'number';
    input.min = String(min);
    input.max = String(max);
    input.step = String(step);
    input.value = String(item[field]);
    input.dataset.field = field;
    input.setAttribute('aria-label', name(t(`train.field.${field}`)));
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
  paddingField(item, name) {
    const label = document.createElement('label');
    label.className = 'layer-field';
    const input = document.createElement('input');
    input.type = 'text';
    input.className = 'layer-padding';
    input.value = paddingText(item.padding);
    input.dataset.field = 'padding';
    input.title = t('train.field.padding_help');
    input.setAttribute('list', 'padding-choices');
    input.setAttribute('aria-label', name(t('train.field.padding')));
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

  /** A setting that is one of a few names, as a menu: GELU's approximate (each option explained, the
   *  `train.choice.*` texts) or a conv's padding mode (PyTorch's names as they are). */
  choiceField(item, name, field, choices, label = (choice) => t(`train.choice.${field}.${choice}`)) {
    const wrapper = document.createElement('label');
    wrapper.className = 'layer-field';
    const select = document.createElement('select');
    select.dataset.field = field;
    select.setAttribute('aria-label', name(t(`train.field.${field}`)));
    for (const choice of choices) {
      const option = document.createElement('option');
      option.value = choice;
      option.textContent = label(choice);
      select.append(option);
    }
    select.value = item[field] ?? choices[0];
    select.addEventListener('change', () => { item[field] = select.value; this.changed(); });
    const span = document.createElement('span');
    span.textContent = t(`train.field.${field}`);
    span.setAttribute('aria-hidden', 'true');
    wrapper.append(span, select);
    return wrapper;
  }

  activationField(item, name) {
    const label = document.createElement('label');
    label.className = 'layer-field';
    const select = document.createElement('select');
    select.dataset.field = 'fn';
    select.setAttribute('aria-label', name(t('train.field.fn')));
    for (const fn of this.activations) {
      const option = document.createElement('option');
      option.value = fn;
      option.textContent = fn;
      select.append(option);
    }
    select.value = item.fn;
    select.addEventListener('change', () => {
      // the new function's settings, at their defaults (the item is changed in place: it may be in a path)
      for (const [setting] of ACT_FIELDS[item.fn] ?? []) delete item[setting];
      Object.assign(item, activationItem(select.value));
      const at = [...this.list.querySelectorAll('select[data-field=fn]')].indexOf(select);
      this.render();
      this.changed();
      this.list.querySelectorAll('select[data-field=fn]')[at]?.focus();
    });
    label.append(select);
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
      showRow(li, row);
      const problem = li.querySelector(':scope > .layer-problem');
      const here = answer?.error && answer.error.index === i;
      li.classList.toggle('invalid', Boolean(here));
      problem.hidden = !here;
      problem.textContent = here ? answer.error.detail : '';
      [...li.querySelectorAll(':scope > .branch-paths > .branch-path')].forEach((box, p) => {
        const path = row?.paths?.[p];
        const params = here ? answer.error.params ?? {} : {};
        box.classList.toggle('invalid', params.path === p + 1 || (params.odd ?? []).includes(p + 1));
        box.querySelector('.path-info').textContent = path
          ? t('train.path.shape', {shape: path.output_shape.join('×'), params: number(path.params)}) : '';
        [...box.querySelectorAll(':scope > .path-layers > .sublayer')].forEach((sub, m) => showRow(sub, path?.layers?.[m]));
      });
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
