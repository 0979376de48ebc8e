// The page's whole configuration in the URL, TensorFlow-Playground style.
//
// A page declares ONE table of fields; each field has a name, a type, a default and (through its
// type) a parse and a format function. `UrlState.read()` turns the query string into a state
// object (missing or unreadable fields take their default); `UrlState.write(state)` puts the
// state back into the URL without reloading, leaving parameters it does not own (lang,
// presenter, ...) untouched. A copied link therefore reproduces the screen.
//
//   const url = new UrlState([
//     {name: 'stride', type: types.int, default: 1},
//     {name: 'input', type: types.tensor(3), default: [[[0, 1], [2, 3]]]},
//   ]);
//   const state = url.read();  state.stride += 1;  url.write(state);

// Characters left readable in a query value: the tensor separators and number characters.
const KEEP = /%(2C|3B|3A|7E|2D|2E|5F)/gi;

/** encodeURIComponent, but keeping `, ; : ~ - . _` readable (they are legal in a query). */
export function encodeValue(text) {
  return encodeURIComponent(text).replace(KEEP, (m) => decodeURIComponent(m));
}

/** Parse a query string into a Map (later duplicates win). */
export function parseQuery(search = location.search) {
  const map = new Map();
  for (const [k, v] of new URLSearchParams(search)) map.set(k, v);
  return map;
}

/** A query string (with its leading '?', or '' when empty) from a Map or object. */
export function buildQuery(params) {
  const entries = params instanceof Map ? [...params] : Object.entries(params);
  const parts = entries.filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeValue(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** `href` with some parameters changed: a value sets it, null or undefined removes it. */
export function withParams(href, changes) {
  const url = new URL(href, location.href);
  const params = parseQuery(url.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined) params.delete(k); else params.set(k, v);
  }
  return `${url.pathname}${buildQuery(params)}${url.hash}`;
}

/** Change some parameters of the current URL in place (no reload, no history entry). */
export function replaceParams(changes) {
  history.replaceState(history.state, '', withParams(location.href, changes));
}

// ---- field types: {parse(text) -> value or undefined when unreadable, format(value) -> text} ----

function number(text) {
  const t = text.trim();
  if (t === '') return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

// Separators by depth, innermost first: values, rows, channels, filters.
const SEPARATORS = [',', ';', ':', '~'];

function parseTensor(text, depth) {
  if (depth === 0) {
    const v = number(text);
    return v === undefined ? text : v; // text stays text: the server explains what is wrong with it
  }
  return text.split(SEPARATORS[depth - 1]).map((part) => parseTensor(part, depth - 1));
}

function formatTensor(value, depth) {
  if (depth === 0) return encodeURIComponent(String(value ?? '')); // escapes separators in text
  return value.map((part) => formatTensor(part, depth - 1)).join(SEPARATORS[depth - 1]);
}

function decodeLeaves(value, depth) {
  if (depth === 0) return typeof value === 'string' ? parseTensor(decodeURIComponent(value), 0) : value;
  return value.map((part) => decodeLeaves(part, depth - 1));
}

export const types = {
  int: {parse: (s) => { const v = number(s); return Number.isInteger(v) ? v : undefined; }, format: String},
  float: {parse: number, format: String},
  bool: {parse: (s) => (s === '1' || s === 'true' ? true : s === '0' || s === 'false' ? false : undefined),
         format: (v) => (v ? '1' : '0')},
  string: {parse: (s) => s, format: String},
  /** One of a fixed list of strings. */
  oneOf: (values) => ({parse: (s) => (values.includes(s) ? s : undefined), format: String}),
  /** A list of numbers, `1,2,3`. */
  list: {parse: (s) => { const v = s.split(',').map(number); return v.includes(undefined) ? undefined : v; },
         format: (v) => v.join(',')},
  /**
   * A nested array of numbers of a fixed depth: `0,1;2,3` is a 2x2 grid, `:` separates channels
   * and `~` filters. A cell that is not a number is kept as text.
   */
  tensor: (depth) => ({
    parse: (s) => (s === '' ? undefined : decodeLeaves(parseTensor(s, depth), depth)),
    format: (v) => formatTensor(v, depth),
  }),
};

export class UrlState {
  /** fields: [{name, type, default, parse?, format?}]; parse/format override the type's. */
  constructor(fields) {
    this.fields = fields.map((f) => ({parse: f.type.parse, format: f.type.format, ...f}));
  }

  /** Defaults, as a fresh object (deep-copied, so that editing the state never edits them). */
  defaults() {
    return Object.fromEntries(this.fields.map((f) => [f.name, structuredClone(f.default)]));
  }

  /** The state in `search` (default: the current URL); unreadable fields take their default. */
  read(search = location.search) {
    const params = parseQuery(search);
    const state = this.defaults();
    for (const f of this.fields) {
      if (!params.has(f.name)) continue;
      let value;
      try { value = f.parse(params.get(f.name)); } catch { value = undefined; }
      if (value !== undefined) state[f.name] = value;
    }
    return state;
  }

  /** The parameters this table owns, as text, for `state`. */
  params(state) {
    return Object.fromEntries(this.fields.map((f) => [f.name, f.format(state[f.name])]));
  }

  /** Put `state` into the URL; parameters this table does not own are kept. */
  write(state, {push = false} = {}) {
    const url = new URL(location.href);
    const params = parseQuery(url.search);
    for (const [k, v] of Object.entries(this.params(state))) params.set(k, v);
    const href = `${url.pathname}${buildQuery(params)}${url.hash}`;
    if (href === `${location.pathname}${location.search}${location.hash}`) return;
    if (push) history.pushState(null, '', href); else history.replaceState(history.state, '', href);
  }
}
