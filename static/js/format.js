// How the page writes what the server computed (display only: nothing is computed here).

/** A number as a student would write it: 19, -0.5, 0.333 (at most 4 significant digits; a huge
 * one, like a diverging loss, as 5.067e+33). */
export function fmt(x) {
  if (x === null || x === undefined) return '';
  if (typeof x !== 'number') return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const text = Number(x.toPrecision(4)).toString();
  return text === '-0' ? '0' : text;
}

/** A number in a sum: negative numbers in brackets, `(-2)`. */
export function term(x) {
  const text = fmt(x);
  return typeof x === 'number' && x < 0 ? `(${text})` : text;
}

/** The server's formula lines (an answer's `formula`) in `container`, one `span.formula-line` each. */
export function showFormula(container, lines) {
  container.replaceChildren(...lines.map((line) => {
    const node = document.createElement('span');
    node.className = 'formula-line';
    node.textContent = line;
    return node;
  }));
}

/** A count as the page's language groups it: 61,706 in English and in Chinese (one format per
 * language, for every count on every page; the server's templates write the same). */
export function count(n) {
  return Number(n).toLocaleString(document.documentElement.lang);
}

/** A shape as `3×4` (or `2×3×3`). */
export function shape(dims) {
  return dims.join('×');
}
