// The backprop walkthrough drawn from the server's steps: the diagram's value slots, the ledger of
// every step so far, and the current step's equation. Display only: every number comes from
// POST /api/backprop; this file turns step ids into symbols (dJ_dw21 -> ∂J/∂w₂₁) and writes numbers
// with the chosen number of decimals.
import {t} from './i18n.js';

const SUBSCRIPT = {0: '₀', 1: '₁', 2: '₂', 3: '₃', 4: '₄', 5: '₅', 6: '₆', 7: '₇', 8: '₈', 9: '₉'};
const INPUTS = ['x1', 'w11', 'b1', 'w21', 'b2', 'label', 'lr'];
const MINUS = '−';

/** `w21` -> `w₂₁`; `label` and `lr` -> their catalogue symbols. */
function name(base) {
  if (base === 'label' || base === 'lr') return t(`learn.bp.sym.${base}`);
  return base.replace(/^([A-Za-z]+)(\d+)$/, (_, letters, digits) => letters + [...digits].map((d) => SUBSCRIPT[d]).join(''));
}

/** A step id as a symbol: `dJ_dw21` -> `∂J/∂w₂₁`, `w11_new` -> `w₁₁′`. */
export function symbol(id) {
  const isNew = id.endsWith('_new');
  const base = isNew ? id.slice(0, -4) : id;
  const d = base.match(/^d([A-Za-z0-9]+)_d([A-Za-z0-9]+)$/);
  const text = d ? `∂${name(d[1])}/∂${name(d[2])}` : name(base);
  return isNew ? `${text}′` : text;
}

/** A number with at most `digits` decimals, trailing zeros dropped, and a real minus sign. */
export function decimals(x, digits) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return String(x);
  let text = Number.isInteger(x) ? String(x) : x.toFixed(digits);
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  if (/^-0(\.0*)?$/.test(text)) text = '0';
  return text.replace('-', MINUS);
}

function operators(text) {
  return text.replaceAll(' * ', ' · ').replaceAll(' - ', ` ${MINUS} `).replace('1/2', '½').replace(')^2', ')²')
    .replace('sigmoid(', 'σ(').replace("relu'(", 'ReLU′(').replace('relu(', 'ReLU(');
}

/** The expression with symbols: `{a11} * {w21} + {b2}` -> `a₁₁ · w₂₁ + b₂`. */
export function symbolic(expression) {
  return operators(expression.replace(/\{(\w+)\}/g, (_, id) => symbol(id)));
}

/** The expression with the numbers in it (negative numbers in brackets inside a formula). */
export function numeric(expression, values, digits) {
  const alone = /^\{\w+\}$/.test(expression);
  return operators(expression.replace(/\{(\w+)\}/g, (_, id) => {
    const text = decimals(values[id], digits);
    return !alone && values[id] < 0 ? `(${text})` : text;
  }));
}

/** The group a step is listed under in the ledger. */
function group(step) {
  if (step.kind === 'factor' || step.kind === 'gradient') return `grad-${step.gradient}`;
  return step.kind;
}

function groupTitle(step, values, digits) {
  if (step.kind === 'factor' || step.kind === 'gradient') return t('learn.bp.group.gradient', {param: symbol(step.gradient)});
  if (step.kind === 'update') return t('learn.bp.group.update', {lr: decimals(values.lr, digits)});
  return t(`learn.bp.group.${step.kind}`);
}

export class BackpropView {
  /** parts: {diagram, ledger, current} elements of the page. */
  constructor({diagram, ledger, current}) {
    this.diagram = diagram;
    this.ledger = ledger;
    this.current = current;
    this.data = null;
    this.digits = 3;
    this.index = 0;
  }

  /** New answer from the server (and how many decimals to show). */
  setData(data, digits) {
    this.data = data;
    this.digits = digits;
    this.order = new Map(data.steps.map((s, i) => [s.id, i]));
    this.drawLedger();
  }

  setDigits(digits) {
    this.digits = digits;
    if (this.data) { this.drawLedger(); this.showStep(this.index); }
  }

  drawLedger() {
    const {steps, values} = this.data;
    const items = [];
    let last = null;
    steps.forEach((step, i) => {
      const g = group(step);
      if (g !== last) {
        const head = document.createElement('li');
        head.className = 'bp-group';
        head.dataset.first = String(i);
        head.textContent = groupTitle(step, values, this.digits);
        items.push(head);
        last = g;
      }
      const li = document.createElement('li');
      li.className = `bp-line kind-${step.kind}`;
      li.dataset.id = step.id;
      li.dataset.index = String(i);
      li.append(this.equation(step));
      items.push(li);
    });
    this.ledger.replaceChildren(...items);
  }

  /** `symbol = formula = numbers = value` as nodes (the value in a span the tests can read). */
  equation(step) {
    const {values} = this.data;
    const span = document.createElement('span');
    span.className = 'bp-eq';
    const parts = [symbol(step.id), symbolic(step.expression)];
    const withNumbers = numeric(step.expression, values, this.digits);
    if (withNumbers !== parts[1] && !/^\{\w+\}$/.test(step.expression)) parts.push(withNumbers);
    const value = document.createElement('span');
    value.className = 'bp-value';
    value.dataset.valueId = step.id;
    value.textContent = decimals(step.value, this.digits);
    const shown = [...new Set(parts)].filter((p) => p !== value.textContent);
    span.append(`${shown.join(' = ')} = `, value);
    return span;
  }

  revealed(id, index) {
    return INPUTS.includes(id) || (this.order.has(id) && this.order.get(id) <= index);
  }

  showStep(i) {
    if (!this.data) return;
    this.index = i;
    const step = this.data.steps[i];
    const {values} = this.data;
    const operands = new Set([...step.expression.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
    for (const slot of this.diagram.querySelectorAll('.slot')) {
      const id = slot.dataset.id;
      const shown = this.revealed(id, i);
      const text = shown ? decimals(values[id], this.digits) : '';
      slot.textContent = slot.dataset.label && shown ? `${slot.dataset.label} = ${text}` : text;
      slot.classList.toggle('shown', shown);
      slot.classList.toggle('current', id === step.id);
      slot.classList.toggle('operand', operands.has(id));
    }
    for (const li of this.ledger.children) {
      const index = Number(li.dataset.index ?? li.dataset.first);
      li.classList.toggle('future', index > i);
      li.classList.toggle('current', li.dataset.index === String(i));
    }
    this.scrollLedger(this.ledger.querySelector('.current'));
    this.showCurrent(step);
  }

  /** Keep the current line in view inside the ledger (never scrolling the page itself). */
  scrollLedger(line) {
    const box = this.ledger;
    if (!line || box.scrollHeight <= box.clientHeight) return;
    const top = line.offsetTop;  // the ledger is positioned: it is the offset parent
    if (top < box.scrollTop) box.scrollTop = top;
    else if (top + line.offsetHeight > box.scrollTop + box.clientHeight) box.scrollTop = top + line.offsetHeight - box.clientHeight;
  }

  showCurrent(step) {
    const {notes, values} = this.data;
    const line = document.createElement('span');
    line.className = 'math-line bp-current-eq';
    line.append(this.equation(step));
    const kind = document.createElement('span');
    kind.className = 'bp-kind';
    kind.textContent = t(`learn.bp.kind.${step.kind}`);
    const why = document.createElement('span');
    why.className = 'where';
    why.textContent = t(`learn.bp.step.${step.id}`);
    const parts = [kind, line, why];
    const notesY = decimals(notes.y, notes.decimals);
    if (step.id === 'y_new' && this.digits <= notes.decimals && notesY !== decimals(values.y_new, this.digits)) {
      const note = document.createElement('span');
      note.className = 'where bp-notes';
      const params = Object.entries(notes.params).map(([k, v]) => `${symbol(k)} = ${decimals(v, notes.decimals)}`).join(', ');
      note.textContent = t('learn.bp.notes_rounding', {y: notesY, params});
      parts.push(note);
    }
    this.current.replaceChildren(...parts);
  }
}
