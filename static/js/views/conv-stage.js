// The stage where the window slides: the input (or ∂l/∂x), the kernels with their biases (or ∂l/∂w and ∂l/∂b), the
// window's small grids of products, the output (or ∂l/∂y) and stage 2's maps, each drawn as grids of numbers with
// their headings; then what a step shows on them: the marked cells, the products, the sum and the arrow from the
// window to its cell. The grids are made by options.grid(el, gridOptions), and the sum and the arrow are the views
// options.sum and options.link: the controller hands them over (views never import each other). Clicks, paints
// and typed values go back through the options' callbacks.
// In presentation mode the CSS sizes the cells from the space each set of grids gets; this view only picks how many
// grids of a set go side by side (--across, --down) and measures their captions (--chrome), so the cells come out
// as large as the space allows. The arrow is drawn only across the empty gap between two grids, never over text.

import { flat, mapOf, shape } from "../lib/arrays.js";
import { range } from "../lib/colors.js";
import { formatNumber } from "../lib/format.js";

const MARKS = ["is-window", "is-current", "is-field", "is-winner", "is-selected", "is-pending"];
const STAGE2_NAMES = { max: "max pooling", avg: "average pooling", conv: "second convolution" };
const GAP_REM = 0.75; // the gap between grids of a set (conv.css)
const ARROW_GAP_PX = 6; // the arrow keeps this far from the grids it joins

/**
 * How many of `count` grids of rows×cols cells go side by side in width×height (rem) to make the cells largest;
 * each box at least minWidth rem wide (its caption or bias field).
 */
function bestAcross(count, rows, cols, width, height, chrome, minWidth = 0) {
  let best = 1;
  let size = -Infinity; // the least bad when nothing fits
  for (let across = 1; across <= count; across++) {
    if (across > 1 && (width - (across - 1) * GAP_REM) / across < minWidth) break;
    const down = Math.ceil(count / across);
    const cell = Math.min((width - (across - 1) * GAP_REM) / (across * cols),
      (height - down * chrome - (down - 1) * GAP_REM) / (down * rows));
    if (cell > size + 1e-9) [best, size] = [across, cell];
  }
  return best;
}

const middle = (box, axis) => (axis === "x" ? (box.left + box.right) / 2 : (box.top + box.bottom) / 2);

/** Width each of `count` grids side by side may take. */
function fitFor(count) {
  return count === 1 ? 420 : count === 2 ? 300 : 220;
}

function paddedCells(n, pad) {
  const cells = [];
  for (let r = -pad; r < n + pad; r++) for (let c = -pad; c < n + pad; c++) cells.push([r, c]);
  return cells;
}

export class ConvStage {
  /**
   * options: grid(el, gridOptions) → a grid view; sum (a WindowSum); link (a LinkLine); onPaintInput(c, row, col),
   * onEditInput(c, row, col, value), onInputClick(c, row, col), onPaintKernel(f, c, i, j), onEditKernel(f, c, i, j,
   * value), onKernelClick(f, c, i, j), onBias(f, value), onOutputClick(f, y, x), onStage2Click(f, y, x).
   */
  constructor(el, options) {
    this.el = el;
    this.options = options;
    this.sets = { input: [], kernel: [], products: [], output: [], stage2: [] };
    this.layoutKeys = {};
    this.link = null;
    this.sums = null; // backward: ∂l/∂x, ∂l/∂w and ∂l/∂b as far as the current step has built them up
    this.shown = {}; // the last inputs and kernels shown, to show again with new sums
    this.phase = el.dataset.phase;
    const part = (id) => el.querySelector(`#${id}`);
    this.parts = {
      input: part("conv-input-grids"), inputHeading: part("conv-input-heading"),
      kernel: part("conv-kernel-grids"), kernelHeading: part("conv-kernel-heading"),
      products: part("conv-products"), productsHeading: part("conv-products-heading"),
      output: part("conv-output-grids"), outputHeading: part("conv-output-heading"),
      stage2: part("conv-stage2-grids"), stage2Heading: part("conv-stage2-heading"), stage2Column: part("conv-stage2-col"),
      empty: part("conv-output-empty"),
    };
    this.resizes = new ResizeObserver(() => {
      this.arrange();
      this.relink();
    });
    for (const box of [el, this.parts.input, this.parts.output, this.parts.stage2, this.parts.kernel]) this.resizes.observe(box);
  }

  /**
   * data (each part optional): inputs {input [C][n][n], pad, backward, plan}, kernels {kernels, bias, backward, plan}
   * (plan: null while there is none or a problem stands), outputs {plan, backward}, problem (the sentence why there
   * is no output, or null), sums (backward: {dx [C][H·W], dw [F·C][K·K], db [F]} as built up so far, or null for
   * the totals), phase, hide; and what the step shows: marks [{set, index, name, cells}] with filter (the current
   * kernel), products {grids, heading}, sum (the WindowSum's data), link {from, to} (the arrow's ends, {set, index,
   * cells} each) or null.
   */
  update(data) {
    if (data.sums !== undefined) this.sums = data.sums;
    if (data.inputs || (data.sums !== undefined && this.shown.inputs)) this.showInputs(data.inputs ?? this.shown.inputs);
    if (data.kernels || (data.sums !== undefined && this.shown.kernels)) this.showKernels(data.kernels ?? this.shown.kernels);
    if (data.outputs) this.showOutputs(data.outputs);
    if (data.problem !== undefined) this.showProblem(data.problem);
    if (data.inputs || data.kernels || data.outputs || data.problem !== undefined) this.arrange();
    if (data.phase !== undefined) this.el.dataset.phase = this.phase = data.phase;
    if (data.hide !== undefined) this.el.classList.toggle("hide-pending", Boolean(data.hide));
    if (data.marks) this.showMarks(data.marks, data.filter);
    if (data.products) this.showProducts(data.products);
    if (data.sum) this.options.sum.update(data.sum);
    if (data.link !== undefined) {
      this.link = data.link && { from: this.anchor(data.link.from), to: this.anchor(data.link.to) };
      this.relink();
    }
  }

  /** Make every grid anew at its next update (the direction changed: editing, clicks and captions differ). */
  relayout() {
    this.layoutKeys = {};
  }

  anchor({ set, index, cells }) {
    return { grid: this.sets[set][index], cells };
  }

  /** Draw the window's frame and the arrow to its cell shown last (after a step, or when the layout moves). */
  relink() {
    if (!this.link) return this.options.link.update({ visible: false });
    const { from, to } = this.link;
    const window = from.grid?.boxOf(from.cells, this.el);
    const cell = to.grid?.boxOf(to.cells, this.el);
    const line = window && cell ? this.gapLine(from.grid, window, to.grid, cell) : null;
    this.options.link.update({ box: window, line, visible: this.phase === "sum" });
  }

  /**
   * The arrow from the window's grid to the target's, across the gap between them only (from the window's row or
   * column to the target cell's): inside a grid it would cross numbers. Null when the grids are not apart or
   * anything with text lies in the gap.
   */
  gapLine(source, window, target, cell) {
    const a = source.box(this.el);
    const b = target.box(this.el);
    const m = ARROW_GAP_PX;
    let line = null;
    if (a.right + 3 * m <= b.left) line = { x1: a.right + m, y1: middle(window, "y"), x2: b.left - m, y2: middle(cell, "y") };
    else if (b.right + 3 * m <= a.left) line = { x1: a.left - m, y1: middle(window, "y"), x2: b.right + m, y2: middle(cell, "y") };
    else if (a.bottom + 3 * m <= b.top) line = { x1: middle(window, "x"), y1: a.bottom + m, x2: middle(cell, "x"), y2: b.top - m };
    else if (b.bottom + 3 * m <= a.top) line = { x1: middle(window, "x"), y1: a.top - m, x2: middle(cell, "x"), y2: b.bottom + m };
    return line && this.clear(line) ? line : null;
  }

  /** Whether the segment (stage coordinates) misses every element with text on the stage. */
  clear({ x1, y1, x2, y2 }) {
    const base = this.el.getBoundingClientRect();
    const boxes = [...this.el.querySelectorAll("h3, p, table, label, button, .window-sum")]
      .filter((el) => el.checkVisibility())
      .map((el) => el.getBoundingClientRect());
    const samples = 32;
    for (let i = 0; i <= samples; i++) {
      const x = base.left + x1 + ((x2 - x1) * i) / samples;
      const y = base.top + y1 + ((y2 - y1) * i) / samples;
      if (boxes.some((box) => x >= box.left && x <= box.right && y >= box.top && y <= box.bottom)) return false;
    }
    return true;
  }

  /**
   * Presentation mode: how many grids of each set go side by side, and the room their captions take (--chrome),
   * measured, so the CSS can make the cells as large as the set's space allows.
   */
  arrange() {
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
    for (const name of ["input", "output", "stage2"]) {
      const grids = this.sets[name];
      if (!grids.length || !grids[0].h) continue;
      const first = grids[0];
      const chrome = (first.el.offsetHeight - first.table.offsetHeight) / rem;
      this.place(this.parts[name], grids.length, first.h + 2 * first.pad, first.w + 2 * first.pad, chrome, 1);
    }
    const filters = this.parts.kernel.querySelectorAll(".conv-filter");
    const kernel = this.sets.kernel[0];
    if (filters.length && kernel?.h) {
      const perFilter = this.sets.kernel.length / filters.length;
      const chrome = (filters[0].offsetHeight - kernel.table.offsetHeight) / rem;
      // Kernels as tall as their grids (not a size container) may take a share of the stage's height (conv.css).
      const share = parseFloat(getComputedStyle(this.el).getPropertyValue("--kernel-share"));
      const sized = getComputedStyle(this.parts.kernel).containerType === "size";
      const room = sized || !share ? null : (share * this.el.clientHeight) / rem;
      const bias = filters[0].querySelector(".conv-bias").offsetWidth / rem;
      this.place(this.parts.kernel, filters.length, kernel.h, kernel.w * perFilter, chrome, perFilter, room, bias);
    }
  }

  /**
   * Set a container's arrangement: `count` boxes of rows×cols cells, each holding `inner` grids side by side, in
   * the container's box (or `height` rem of it), each box at least minWidth rem wide.
   */
  place(container, count, rows, cols, chrome, inner, height = null, minWidth = 0) {
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
    const box = container.getBoundingClientRect();
    const across = bestAcross(count, rows, cols, box.width / rem, height ?? box.height / rem, chrome, minWidth);
    container.style.setProperty("--boxes", across);
    container.style.setProperty("--across", across * inner);
    container.style.setProperty("--down", Math.ceil(count / across));
    container.style.setProperty("--chrome", `${Math.max(0, chrome)}rem`);
    if (height !== null) container.style.setProperty("--room", `${height}rem`);
  }

  /** No output (the settings cannot work): the output column says why instead of showing stale numbers. */
  showProblem(message) {
    this.parts.empty.textContent = message ? `No output: ${message}` : "";
    this.parts.empty.hidden = !message;
    if (!message) return;
    this.ensureGrids("output", 0, () => ({}), "none");
    this.ensureGrids("stage2", 0, () => ({}), "none");
    this.parts.stage2Column.hidden = true;
    this.parts.outputHeading.textContent = "Output";
  }

  ensureGrids(name, count, options, key) {
    const fullKey = `${count}|${key}`;
    if (this.layoutKeys[name] === fullKey) return this.sets[name];
    for (const grid of this.sets[name]) grid.destroy();
    const container = this.parts[name];
    container.replaceChildren();
    this.sets[name] = Array.from({ length: count }, (_, i) => {
      const wrap = document.createElement("div");
      wrap.className = "conv-grid-wrap";
      container.append(wrap);
      return this.options.grid(wrap, options(i));
    });
    this.layoutKeys[name] = fullKey;
    return this.sets[name];
  }

  /** The input (forward) or its gradient (backward) column. */
  showInputs(inputs) {
    this.shown.inputs = inputs;
    const { input, pad, backward, plan } = inputs;
    const [c, n] = shape(input);
    const grids = this.ensureGrids("input", c, (ci) => ({
      fit: fitFor(c),
      editable: !backward,
      onPaint: (r, col) => this.options.onPaintInput(ci, r, col),
      onEdit: (r, col, value) => this.options.onEditInput(ci, r, col, value),
      onCellClick: (r, col) => this.options.onInputClick(ci, r, col),
    }), `${backward}`);
    const dx = backward && plan ? plan.arrays.dx : null;
    const bounds = dx ? range(dx.data, true) : undefined;
    const unreached = plan ? plan.header.conv.unreached : { rows: [], cols: [] };
    grids.forEach((grid, ci) => {
      const values = dx ? (this.sums?.dx[ci] ?? mapOf(dx.data, dx.shape, ci)) : flat(input[ci]);
      const name = backward ? `∂l/∂x${c > 1 ? `, ch ${ci}` : ""}` : `channel ${ci}`;
      grid.update({ values, h: n, w: n, pad, bounds, caption: c > 1 || backward ? name : "", label: `${backward ? "gradient at the input" : "input"}, channel ${ci}, ${n}×${n} with padding ${pad}`, signed: backward ? true : undefined });
      grid.mark("is-unreached", paddedCells(n, pad).filter(([r, col]) => unreached.rows.includes(r) || unreached.cols.includes(col)));
    });
    this.parts.inputHeading.textContent = backward ? "∂l/∂x: gradient at the input" : `Input (${n}×${n}${c > 1 ? `×${c}` : ""}, padding ${pad})`;
  }

  /** The kernels with their biases (forward) or their gradients (backward). */
  showKernels(shownKernels) {
    this.shown.kernels = shownKernels;
    const { kernels, bias, backward, plan } = shownKernels;
    const [f, c, k] = shape(kernels);
    const container = this.parts.kernel;
    const key = `${f}|${c}|${k}|${backward}`;
    if (this.layoutKeys.kernel !== key) {
      for (const grid of this.sets.kernel) grid.destroy();
      container.replaceChildren();
      this.sets.kernel = [];
      for (let fi = 0; fi < f; fi++) container.append(this.filterBox(fi, f, c, backward));
      this.layoutKeys.kernel = key;
    }
    const dw = backward && plan ? plan.arrays.dw : null;
    const bounds = dw ? range(dw.data, true) : undefined;
    this.sets.kernel.forEach((grid, g) => {
      const fi = Math.floor(g / c);
      const ci = g % c;
      const values = dw ? (this.sums?.dw[g] ?? mapOf(dw.data, dw.shape, g)) : flat(kernels[fi][ci]);
      const caption = backward ? `∂l/∂w${c > 1 ? `, ch ${ci}` : ""}` : c > 1 ? `channel ${ci}` : "";
      grid.update({ values, h: k, w: k, caption, bounds, label: `${backward ? "gradient of " : ""}filter ${fi}, channel ${ci}`, signed: true });
    });
    container.querySelectorAll(".conv-filter").forEach((filter, fi) => {
      const box = filter.querySelector(".conv-bias");
      if (backward) {
        const db = plan ? (this.sums?.db[fi] ?? plan.arrays.db.data[fi]) : null;
        box.textContent = `∂l/∂b = ${db === null ? "…" : formatNumber(db)}`;
      } else {
        const input = box.querySelector("input");
        if (document.activeElement !== input) input.value = String(bias[fi]);
      }
    });
    this.parts.kernelHeading.textContent = backward ? "∂l/∂w: gradient of the kernels" : `Kernel${f > 1 ? "s" : ""} (${k}×${k}${c > 1 ? `×${c}` : ""})`;
  }

  /** Filter fi's box: its caption, one grid per channel, and its bias field (forward) or ∂l/∂b (backward). */
  filterBox(fi, f, c, backward) {
    const filter = document.createElement("div");
    filter.className = "conv-filter";
    filter.dataset.filter = fi;
    const caption = document.createElement("p");
    caption.className = "conv-filter__caption";
    caption.textContent = f > 1 ? `filter ${fi}` : "";
    const grids = document.createElement("div");
    grids.className = "conv-filter__grids";
    filter.append(caption, grids);
    for (let ci = 0; ci < c; ci++) {
      const wrap = document.createElement("div");
      wrap.className = "conv-grid-wrap";
      grids.append(wrap);
      this.sets.kernel.push(this.options.grid(wrap, {
        fit: f * c > 3 ? 125 : 150,
        editable: !backward,
        onPaint: (r, col) => this.options.onPaintKernel(fi, ci, r, col),
        onEdit: (r, col, value) => this.options.onEditKernel(fi, ci, r, col, value),
        onCellClick: (i, j) => this.options.onKernelClick(fi, ci, i, j),
      }));
    }
    const bias = document.createElement(backward ? "p" : "label");
    bias.className = "conv-bias";
    if (!backward) {
      bias.textContent = "bias b ";
      const input = document.createElement("input");
      input.type = "number";
      input.step = "any";
      input.className = "conv-bias__input";
      input.dataset.filter = fi;
      input.addEventListener("change", () => this.options.onBias(fi, Number(input.value)));
      bias.append(input);
    }
    filter.append(bias);
    return filter;
  }

  /** The output maps (or ∂l/∂y) and stage 2's (or ∂l/∂z). */
  showOutputs({ plan, backward }) {
    const { header, arrays } = plan;
    const [oh, ow] = header.conv.out;
    const filters = header.conv.filters;
    const outputs = this.ensureGrids("output", filters, (fi) => ({
      fit: fitFor(filters),
      onCellClick: (y, x) => this.options.onOutputClick(fi, y, x),
    }), `${oh}|${ow}`);
    const source = backward ? arrays.dconv : arrays.output;
    outputs.forEach((grid, fi) => {
      const caption = backward ? `∂l/∂y, map ${fi}` : filters > 1 ? `map ${fi}` : "";
      grid.update({ values: mapOf(source.data, source.shape, fi), h: oh, w: ow, caption, label: `${backward ? "gradient at the " : ""}output map ${fi}, ${oh}×${ow}`, signed: backward ? true : undefined });
    });
    this.parts.outputHeading.textContent = backward
      ? (header.stage2 ? "∂l/∂y: gradient at the conv output" : "∂l/∂y: gradient arriving at the output")
      : `Output (${oh}×${ow}${filters > 1 ? `×${filters}` : ""})`;
    const st2 = header.stage2;
    this.parts.stage2Column.hidden = !st2;
    if (!st2) return this.ensureGrids("stage2", 0, () => ({}), "none");
    const [h2, w2] = st2.out;
    const grids = this.ensureGrids("stage2", st2.channels, (ci) => ({
      fit: fitFor(st2.channels),
      onCellClick: (y, x) => this.options.onStage2Click(ci, y, x),
    }), `${h2}|${w2}`);
    const values = backward ? arrays.dout : arrays.stage2_output;
    grids.forEach((grid, ci) => {
      const caption = backward ? `∂l/∂z, map ${ci}` : st2.channels > 1 ? `map ${ci}` : "";
      grid.update({ values: mapOf(values.data, values.shape, ci), h: h2, w: w2, caption, label: `stage 2 ${backward ? "gradient " : ""}map ${ci}, ${h2}×${w2}`, signed: backward ? true : undefined });
    });
    this.parts.stage2Heading.textContent = backward
      ? "∂l/∂z: gradient arriving at stage 2's output"
      : `Stage 2: ${STAGE2_NAMES[st2.kind]} (${h2}×${w2}${st2.channels > 1 ? `×${st2.channels}` : ""})`;
  }

  /** Take every mark off, then give the cells of each mark its class; filter is the kernel drawn as current. */
  showMarks(marks, filter) {
    for (const grids of Object.values(this.sets)) for (const grid of grids) for (const name of MARKS) grid.mark(name, []);
    this.parts.kernel.querySelectorAll(".conv-filter.is-current").forEach((el) => el.classList.remove("is-current"));
    for (const { set, index, name, cells } of marks) {
      if (index === undefined) this.sets[set].forEach((grid) => grid.mark(name, cells));
      else this.sets[set][index]?.mark(name, cells);
    }
    if (filter !== undefined) this.parts.kernel.querySelector(`.conv-filter[data-filter="${filter}"]`)?.classList.add("is-current");
  }

  /** The small grids of the window's products or values (none: an empty list). */
  showProducts({ grids, heading }) {
    const list = grids ?? [];
    const key = list.map((g) => `${g.h}x${g.w}`).join(",");
    const made = this.ensureGrids("products", list.length, () => ({ fit: list.length > 3 ? 125 : 150 }), key);
    made.forEach((grid, i) => grid.update({ ...list[i], signed: true }));
    this.parts.productsHeading.hidden = !list.length;
    this.parts.productsHeading.textContent = heading;
  }

  destroy() {
    this.resizes.disconnect();
    for (const grids of Object.values(this.sets)) for (const grid of grids) grid.destroy();
    this.sets = { input: [], kernel: [], products: [], output: [], stage2: [] };
    this.layoutKeys = {};
  }
}
