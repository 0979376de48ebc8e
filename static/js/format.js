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

/** The input cells no window reads (an answer's `unread`: 0-based rows and columns of the input)
 * marked on `grids` (padding [ph, pw]), and said in `note`: PyTorch never reads them. null clears. */
export function showUnread(grids, padding, unread, note, t) {
  const [ph, pw] = padding;
  for (const g of grids) {
    const cells = [];
    if (unread) {
      for (let r = 0; r < g.rows; r++) {
        for (let c = 0; c < g.cols; c++) {
          if (unread.rows.includes(r) || unread.cols.includes(c)) cells.push([r + ph, c + pw]);
        }
      }
    }
    g.highlight(cells, 'unread');
  }
  const lines = [];
  const list = (indices) => indices.map((i) => i + 1).join(', ');
  if (unread?.rows.length) lines.push(t('unread.rows', {rows: list(unread.rows), count: unread.rows.length}));
  if (unread?.cols.length) lines.push(t('unread.cols', {cols: list(unread.cols), count: unread.cols.length}));
  note.textContent = lines.join(' ');
  note.hidden = !lines.length;
}
