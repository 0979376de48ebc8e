// A generic grid of numbers: editable (one text field per cell) or read-only, with highlighted
// cells and an optional border of padding cells drawn around the real ones.
//
//   const g = new Grid(container, {rows: 3, cols: 3, values, editable: true, label: 'input',
//                                  onInput: (values) => ...});
//   g.setPadding(1, 1);                    // a visible zero border (read-only cells)
//   g.setSides([0, 1, 0, 1]);              // a border per side: top, bottom, left, right
//   g.setPadCells(padded, source, title);  // padding cells showing the server's values (copies marked)
//   g.highlight([[0, 1], [0, 2]], 'window'); // cells in PADDED coordinates (as the engine's traces)
//   g.setValues([[19, 25], [37, 43]]);      // null shows an empty cell
//   g.values();                             // numbers; text that is not a number stays text
//
// Every cell has `data-r`/`data-c` (padded coordinates) and the real cells `data-row`/`data-col`.
// In an editable grid, arrow keys and Enter move between cells.
import {fmt} from './format.js';

/** A titled box for a grid (`div.grid-block` with an h2), added to `container`; the grid goes inside it. */
export function gridBlock(container, title) {
  const box = document.createElement('div');
  box.className = 'grid-block';
  const h = document.createElement('h2');
  h.textContent = title;
  box.append(h);
  container.append(box);
  return box;
}

function parseCell(text) {
  const s = text.trim();
  if (s === '') return s;
  const v = Number(s);
  return Number.isFinite(v) ? v : s;
}

export class Grid {
  /**
   * options: rows, cols, values (2-D array), editable (false), padding ([0, 0] rows and columns on
   * each side, or [top, bottom, left, right]), padValue (0),
   * label (the accessible name of the grid), onInput(values) (editable grids), className,
   * density ('l', 'm', 's' or 'xs' cell size; by default from the number of rows and columns).
   */
  constructor(container, {rows = 0, cols = 0, values = null, editable = false, padding = [0, 0], padValue = 0,
                          label = '', onInput = () => {}, className = '', density = null} = {}) {
    this.density = density;
    this.container = container;
    this.editable = editable;
    this.onInput = onInput;
    this.padValue = padValue;
    this.rows = rows;
    this.cols = cols;
    this.setSideList(padding);
    this.data = Array.from({length: rows}, (_, r) => Array.from({length: cols}, (_, c) => values?.[r]?.[c] ?? 0));
    this.root = document.createElement('div');
    this.root.className = `grid ${editable ? 'grid-editable' : 'grid-readonly'} ${className}`.trim();
    this.root.setAttribute('role', 'group');
    if (label) this.root.setAttribute('aria-label', label);
    this.label = label;
    container.append(this.root);
    this.draw();
  }

  /** Draw every cell again (after a resize or a padding change). */
  /** Keep the padding as `sides` [top, bottom, left, right] and `padding` [top, left] (where the real cells start). */
  setSideList(padding) {
    this.sides = padding.length === 4 ? [...padding] : [padding[0], padding[0], padding[1], padding[1]];
    this.padding = [this.sides[0], this.sides[2]];
  }

  draw() {
    const [top, bottom, left, right] = this.sides;
    const [ph, pw] = this.padding;
    const totalRows = this.rows + top + bottom;
    const totalCols = this.cols + left + right;
    this.root.style.setProperty('--cols', totalCols);
    this.root.style.setProperty('--rows', totalRows);
    const side = Math.max(totalRows, totalCols);
    this.root.dataset.density = this.density ?? (side <= 7 ? 'l' : side <= 11 ? 'm' : side <= 20 ? 's' : 'xs');
    this.cells = [];
    const nodes = [];
    for (let r = 0; r < totalRows; r++) {
      const line = [];
      for (let c = 0; c < totalCols; c++) {
        const row = r - ph;
        const col = c - pw;
        const real = row >= 0 && row < this.rows && col >= 0 && col < this.cols;
        const cell = this.makeCell(real, row, col);
        cell.dataset.r = r;
        cell.dataset.c = c;
        line.push(cell);
        nodes.push(cell);
      }
      this.cells.push(line);
    }
    this.root.replaceChildren(...nodes);
  }

  makeCell(real, row, col) {
    if (!real) {
      const pad = document.createElement('div');
      pad.className = 'cell pad';
      pad.textContent = fmt(this.padValue);
      return pad;
    }
    const value = this.data[row][col];
    if (this.editable) {
      const input = document.createElement('input');
      input.className = 'cell';
      input.type = 'text';
      input.inputMode = 'decimal';
      input.autocomplete = 'off';
      input.spellcheck = false;
      input.value = typeof value === 'number' ? fmt(value) : String(value ?? '');
      input.dataset.row = row;
      input.dataset.col = col;
      if (this.label) input.setAttribute('aria-label', `${this.label} [${row + 1}, ${col + 1}]`);
      input.addEventListener('input', () => {
        this.data[row][col] = parseCell(input.value);
        input.classList.toggle('invalid', typeof this.data[row][col] !== 'number');
        this.onInput(this.values());
      });
      input.addEventListener('keydown', (event) => this.onCellKey(event, row, col));
      input.addEventListener('focus', () => input.select());
      input.classList.toggle('invalid', typeof value !== 'number');
      return input;
    }
    const cell = document.createElement('div');
    cell.className = 'cell';
    cell.dataset.row = row;
    cell.dataset.col = col;
    cell.textContent = value === null || value === undefined ? '' : fmt(value);
    return cell;
  }

  onCellKey(event, row, col) {
    const moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], Enter: [1, 0]};
    const input = event.target;
    const atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    const atEnd = input.selectionStart === input.value.length;
    if (event.key === 'ArrowLeft' && (atStart || input.selectionEnd - input.selectionStart === input.value.length)) {
      moves.ArrowLeft = [0, -1];
    }
    if (event.key === 'ArrowRight' && atEnd) moves.ArrowRight = [0, 1];
    const move = moves[event.key];
    if (!move) return;
    const target = this.input(row + move[0], col + move[1]);
    if (target) {
      event.preventDefault();
      target.focus();
    }
  }

  /** The editable field of real cell (row, col), if any. */
  input(row, col) {
    if (!this.editable || row < 0 || col < 0 || row >= this.rows || col >= this.cols) return null;
    return this.cells[row + this.padding[0]][col + this.padding[1]];
  }

  /** The values: numbers, or the text of a cell that is not a number. */
  values() {
    return this.data.map((line) => line.slice());
  }

  /** Replace the values (and the size, if `values` has another shape). null shows an empty cell. */
  setValues(values) {
    const rows = values.length;
    const cols = rows ? values[0].length : 0;
    this.data = values.map((line) => line.slice());
    if (rows !== this.rows || cols !== this.cols) {
      this.rows = rows;
      this.cols = cols;
      this.draw();
      return;
    }
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) this.showCell(r, c);
  }

  /** Set one real cell's value. */
  setCell(row, col, value) {
    this.data[row][col] = value;
    this.showCell(row, col);
  }

  showCell(row, col) {
    const cell = this.cells[row + this.padding[0]][col + this.padding[1]];
    const value = this.data[row][col];
    const text = typeof value === 'number' ? fmt(value) : String(value ?? '');
    if (this.editable) {
      if (parseCell(cell.value) !== value) cell.value = text;
      cell.classList.toggle('invalid', typeof value !== 'number');
    } else {
      cell.textContent = value === null || value === undefined ? '' : text;
    }
  }

  /** Change the size, keeping the values that still fit and filling new cells with `fill`. */
  resize(rows, cols, fill = 0) {
    this.data = Array.from({length: rows}, (_, r) => Array.from({length: cols},
      (_, c) => this.data[r]?.[c] ?? fill));
    this.rows = rows;
    this.cols = cols;
    this.draw();
  }

  /** Draw a border of `ph` rows and `pw` columns of padding cells (showing `padValue`). */
  setPadding(ph, pw = ph, padValue = this.padValue) {
    if (this.sides.join() === [ph, ph, pw, pw].join() && padValue === this.padValue) return;
    this.setSideList([ph, pw]);
    this.padValue = padValue;
    this.draw();
  }

  /** Draw a border of [top, bottom, left, right] padding cells (no change, no redraw). */
  setSides(sides) {
    if (this.sides.join() === sides.join()) return;
    this.setSideList(sides);
    this.draw();
  }

  /**
   * Show the server's padded grid in the padding cells: `padded` (the whole padded grid, rows x
   * cols), `source` ({rows, cols}: the input row and column each padded row and column copies, null
   * for a zero). A cell that copies an input cell is marked `pad-copy` and tagged "row,col" (1-based);
   * `title(row, col)` gives its tooltip. Cells whose row or column is null are zeros, as usual.
   */
  setPadCells(padded, source, title) {
    for (const [r, line] of this.cells.entries()) {
      for (const [c, cell] of line.entries()) {
        if (!cell.classList.contains('pad')) continue;
        const [row, col] = [source.rows[r], source.cols[c]];
        const copy = row !== null && row !== undefined && col !== null && col !== undefined;
        cell.textContent = fmt(padded[r]?.[c] ?? this.padValue);
        cell.classList.toggle('pad-copy', copy);
        if (copy) {
          cell.dataset.tag = `${row + 1},${col + 1}`;
          cell.title = title(row, col);
        } else {
          delete cell.dataset.tag;
          cell.removeAttribute('title');
        }
      }
    }
  }

  /** The cell element at padded coordinates (r, c), or null. */
  cellAt(r, c) {
    return this.cells[r]?.[c] ?? null;
  }

  /** Mark cells (padded coordinates [r, c]) with `className`, removing it from all others. */
  highlight(cells, className = 'hl') {
    this.clearHighlight(className);
    for (const [r, c] of cells) this.cellAt(r, c)?.classList.add(className);
  }

  /** Remove `className` from every cell. */
  clearHighlight(className = 'hl') {
    for (const node of this.root.querySelectorAll(`.${className}`)) node.classList.remove(className);
  }

  /** Put a small label on a cell (e.g. its order in the window); null removes it. */
  tag(r, c, text) {
    const cell = this.cellAt(r, c);
    if (!cell) return;
    if (text === null || text === undefined) delete cell.dataset.tag; else cell.dataset.tag = text;
  }

  /** Remove the grid from the page. */
  remove() {
    this.root.remove();
  }
}
