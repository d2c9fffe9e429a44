// A grid of numbers as an HTML table: one cell per value, coloured by a colour scale, with an optional ring of
// zero padding drawn as visibly different cells. Cells can be highlighted by named marks (the window, the
// current output cell, a receptive field…), clicked, and — when editable — painted by click or drag and typed into.
// Coordinates are the input's own: padding cells have rows and columns below 0 or at/after the size.
// The cells' size: outside presentation mode `fit` pixels across; in presentation mode the CSS fills the space the
// stage gives the grid (container units over --rows and --cols). Either way the numbers are drawn only when the
// cells, as drawn, are large enough for them (data-density, measured).

import { DIVERGING, SEQUENTIAL, level, range } from "../lib/colors.js";
import { formatNumber } from "../lib/format.js";

const TYPING = /^[0-9.\-]$/;
const FIT_PX = 420; // default width a grid may take
const MIN_CELL_PX = 7;
const MAX_CELL_PX = 43;
const DENSITY = [[2, "large"], [1.35, "medium"], [1, "small"]]; // cell widths in rem, from the largest down
const MONO_EM = 0.62; // a monospace digit's width, in em

function textColor(rgb) {
  const [r, g, b] = rgb;
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? "#111827" : "#ffffff";
}

export class ConvGrid {
  /**
   * options: caption (text above the table), label (accessible name), editable, onPaint(row, col) when a cell is
   * painted, onEdit(row, col, value) when a value is typed, onCellClick(row, col), fit (the width in CSS pixels
   * the grid may take: its cells get as large as fits, numbers drawn only when they are large enough).
   */
  constructor(el, options = {}) {
    this.el = el;
    this.options = options;
    this.marks = new Map();
    this.cells = [];
    this.longest = 0; // the most characters a number of the grid takes
    this.el.classList.add("conv-grid");
    this.caption = document.createElement("p");
    this.caption.className = "conv-grid__caption";
    this.table = document.createElement("table");
    this.table.className = "conv-grid__table";
    this.table.setAttribute("role", "grid");
    this.el.append(this.caption, this.table);
    if (options.editable) this.table.classList.add("is-editable");
    if (options.editable || options.onCellClick) this.listen();
    this.resizes = new ResizeObserver(() => this.measure());
    this.resizes.observe(this.table);
  }

  /**
   * How dense the cells are as drawn: the numbers' size follows (none in tiny cells). Where the cells keep their
   * size whatever they hold (presentation mode), numbers too long for them are not drawn either.
   */
  measure() {
    const td = this.cells[0];
    if (!td) return;
    const width = td.getBoundingClientRect().width;
    const rem = width / parseFloat(getComputedStyle(document.documentElement).fontSize);
    this.table.dataset.density = DENSITY.find(([min]) => rem >= min)?.[1] ?? "tiny";
    if (getComputedStyle(this.table).tableLayout !== "fixed") return;
    const text = MONO_EM * this.longest * parseFloat(getComputedStyle(td).fontSize);
    if (text > width - 2) this.table.dataset.density = "small";
  }

  /** data: values (row-major h×w), h, w, pad, caption, label, signed (diverging scale), bounds [lo, hi]. */
  update(data) {
    const { values, h, w, pad = 0 } = data;
    this.caption.textContent = data.caption ?? this.options.caption ?? "";
    this.caption.hidden = !this.caption.textContent;
    this.table.setAttribute("aria-label", data.label ?? this.options.label ?? this.caption.textContent);
    if (h !== this.h || w !== this.w || pad !== this.pad) this.build(h, w, pad);
    const longest = this.longest;
    this.longest = 0;
    const finite = Array.from(values).filter(Number.isFinite);
    const signed = data.signed ?? finite.some((v) => v < 0);
    const scale = signed ? DIVERGING : SEQUENTIAL;
    const [lo, hi] = data.bounds ?? (finite.length ? range(finite, signed) : [0, 1]);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const value = values[r * w + c];
        const cell = this.cell(r, c);
        const text = formatNumber(value);
        if (cell.firstChild?.nodeValue !== text) cell.textContent = text;
        this.longest = Math.max(this.longest, text.length);
        if (Number.isFinite(value)) {
          const rgb = scale[level(value, lo, hi)];
          cell.style.backgroundColor = `rgb(${rgb[0]} ${rgb[1]} ${rgb[2]})`;
          cell.style.color = textColor(rgb);
        } else {
          cell.style.backgroundColor = "";
          cell.style.color = "";
        }
        cell.title = Number.isFinite(value) ? String(value) : "";
      }
    }
    if (this.longest !== longest) this.measure();
  }

  build(h, w, pad) {
    this.h = h;
    this.w = w;
    this.pad = pad;
    this.marks.clear();
    const rows = h + 2 * pad;
    const cols = w + 2 * pad;
    const fit = Math.min(this.options.fit ?? FIT_PX, window.innerWidth - 48);
    const cell = Math.max(MIN_CELL_PX, Math.min(MAX_CELL_PX, Math.floor(fit / cols)));
    this.table.style.setProperty("--cell", `${cell}px`);
    this.table.style.setProperty("--rows", rows);
    this.table.style.setProperty("--cols", cols);
    this.cells = [];
    const body = document.createElement("tbody");
    for (let i = 0; i < rows; i++) {
      const tr = document.createElement("tr");
      for (let j = 0; j < cols; j++) {
        const r = i - pad;
        const c = j - pad;
        const td = document.createElement("td");
        td.dataset.row = r;
        td.dataset.col = c;
        const padding = r < 0 || r >= h || c < 0 || c >= w;
        if (padding) {
          td.className = "is-pad";
          td.textContent = "0";
          td.setAttribute("aria-label", "padding 0");
        }
        td.tabIndex = -1;
        tr.append(td);
        this.cells.push(td);
      }
      body.append(tr);
    }
    this.table.replaceChildren(body);
    const first = this.cell(0, 0);
    if (first && (this.options.editable || this.options.onCellClick)) first.tabIndex = 0;
    this.measure();
  }

  /** The td of (row, col) in input coordinates (padding included), or null outside the padded grid. */
  cell(r, c) {
    const i = r + this.pad;
    const j = c + this.pad;
    const cols = this.w + 2 * this.pad;
    if (i < 0 || j < 0 || i >= this.h + 2 * this.pad || j >= cols) return null;
    return this.cells[i * cols + j];
  }

  /** Give the cells [[row, col], …] the class of mark `name` (and take it from every other cell). */
  mark(name, cells) {
    for (const td of this.marks.get(name) ?? []) td.classList.remove(name);
    const marked = [];
    for (const [r, c] of cells) {
      const td = this.cell(r, c);
      if (td) {
        td.classList.add(name);
        marked.push(td);
      }
    }
    this.marks.set(name, marked);
  }

  /** The table's bounding box relative to `origin`'s box. */
  box(origin) {
    const table = this.table.getBoundingClientRect();
    const base = origin.getBoundingClientRect();
    return { left: table.left - base.left, top: table.top - base.top, right: table.right - base.left, bottom: table.bottom - base.top };
  }

  /** Bounding box, relative to `origin`'s box, of the cells [[row, col], …] (null when none is drawn). */
  boxOf(cells, origin) {
    const rects = cells.map(([r, c]) => this.cell(r, c)?.getBoundingClientRect()).filter(Boolean);
    if (!rects.length) return null;
    const base = origin.getBoundingClientRect();
    const left = Math.min(...rects.map((b) => b.left)) - base.left;
    const top = Math.min(...rects.map((b) => b.top)) - base.top;
    const right = Math.max(...rects.map((b) => b.right)) - base.left;
    const bottom = Math.max(...rects.map((b) => b.bottom)) - base.top;
    return { left, top, right, bottom };
  }

  listen() {
    const at = (event) => {
      const td = document.elementFromPoint(event.clientX, event.clientY)?.closest?.("td");
      return td && this.table.contains(td) ? td : null;
    };
    const coords = (td) => [Number(td.dataset.row), Number(td.dataset.col)];
    const inside = (td) => td && !td.classList.contains("is-pad");
    this.table.addEventListener("pointerdown", (event) => {
      const td = at(event);
      if (!td) return;
      event.preventDefault(); // a click does not take the keyboard focus, so the page's keys keep stepping
      if (this.options.editable && inside(td)) {
        this.painting = true;
        this.lastPainted = td;
        this.options.onPaint?.(...coords(td));
      } else {
        this.options.onCellClick?.(...coords(td));
      }
    });
    this.table.addEventListener("pointermove", (event) => {
      if (!this.painting) return;
      const td = at(event);
      if (inside(td) && td !== this.lastPainted) {
        this.lastPainted = td;
        this.options.onPaint?.(...coords(td));
      }
    });
    this.stopPainting = () => {
      this.painting = false;
      this.lastPainted = null;
    };
    window.addEventListener("pointerup", this.stopPainting);
    window.addEventListener("pointercancel", this.stopPainting);
    this.table.addEventListener("dblclick", (event) => {
      const td = event.target.closest("td");
      if (this.options.editable && inside(td)) this.edit(td, "");
    });
    this.table.addEventListener("keydown", (event) => this.key(event));
  }

  key(event) {
    const td = event.target.closest?.("td");
    if (!td) return;
    const [r, c] = [Number(td.dataset.row), Number(td.dataset.col)];
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[event.key]) {
      event.preventDefault();
      event.stopPropagation(); // arrows move within the grid while it has the focus
      const [dr, dc] = moves[event.key];
      const next = this.cell(r + dr, c + dc);
      if (next) {
        td.tabIndex = -1;
        next.tabIndex = 0;
        next.focus();
      }
      return;
    }
    const editable = this.options.editable && !td.classList.contains("is-pad");
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      event.stopPropagation();
      if (editable) this.edit(td, "");
      else this.options.onCellClick?.(r, c);
    } else if (editable && TYPING.test(event.key)) {
      event.preventDefault();
      event.stopPropagation();
      this.edit(td, event.key);
    } else if (editable && (event.key === "Delete" || event.key === "Backspace")) {
      event.preventDefault();
      this.options.onEdit?.(r, c, 0);
    }
  }

  /** Type a value into a cell: an input over it; Enter or leaving commits, Escape cancels. */
  edit(td, start) {
    const [r, c] = [Number(td.dataset.row), Number(td.dataset.col)];
    const input = document.createElement("input");
    input.type = "text";
    input.inputMode = "decimal";
    input.className = "conv-grid__editor";
    input.value = start || td.title;
    input.setAttribute("aria-label", `value at row ${r + 1}, column ${c + 1}`);
    const text = td.textContent;
    td.textContent = "";
    td.append(input);
    input.focus();
    if (!start) input.select();
    let done = false;
    const finish = (commit) => {
      if (done) return;
      done = true;
      const value = Number(input.value.replace("−", "-"));
      input.remove();
      td.textContent = text;
      td.focus();
      if (commit && input.value.trim() !== "" && Number.isFinite(value)) this.options.onEdit?.(r, c, value);
    };
    input.addEventListener("keydown", (event) => {
      event.stopPropagation();
      if (event.key === "Enter") finish(true);
      if (event.key === "Escape") finish(false);
    });
    input.addEventListener("blur", () => finish(true));
  }

  destroy() {
    this.resizes.disconnect();
    if (this.stopPainting) {
      window.removeEventListener("pointerup", this.stopPainting);
      window.removeEventListener("pointercancel", this.stopPainting);
    }
    this.el.replaceChildren();
  }
}
