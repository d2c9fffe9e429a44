// The stage where the window slides: the input (or ∂l/∂x), the kernels with their biases (or ∂l/∂w and ∂l/∂b), the
// window's small grids of products, the output (or ∂l/∂y) and stage 2's maps, each drawn as grids of numbers with
// their headings; then what a step shows on them: the marked cells, the products, the sum and the arrow from the
// window to its cell. The grids are made by options.grid(el, gridOptions), and the sum and the arrow are the views
// options.sum and options.link: the controller hands them over (views never import each other). Clicks, paints
// and typed values go back through the options' callbacks.

import { flat, mapOf, shape } from "../lib/arrays.js";
import { formatNumber } from "../lib/format.js";

const MARKS = ["is-window", "is-current", "is-field", "is-winner", "is-selected", "is-pending"];
const STAGE2_NAMES = { max: "max pooling", avg: "average pooling", conv: "second convolution" };

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
    this.phase = el.dataset.phase;
    const part = (id) => el.querySelector(`#${id}`);
    this.parts = {
      input: part("conv-input-grids"), inputHeading: part("conv-input-heading"),
      kernel: part("conv-kernel-grids"), kernelHeading: part("conv-kernel-heading"),
      products: part("conv-products"), productsHeading: part("conv-products-heading"),
      output: part("conv-output-grids"), outputHeading: part("conv-output-heading"),
      stage2: part("conv-stage2-grids"), stage2Heading: part("conv-stage2-heading"), stage2Column: part("conv-stage2-col"),
    };
    this.resizes = new ResizeObserver(() => this.relink());
    this.resizes.observe(el);
  }

  /**
   * data (each part optional): inputs {input [C][n][n], pad, backward, plan}, kernels {kernels, bias, backward, plan}
   * (plan: null while there is none or it is stale), outputs {plan, backward}, stale, phase, hide; and what the
   * step shows: marks [{set, index, name, cells}] with filter (the current kernel), products {grids, heading}, sum
   * (the WindowSum's data), link {from, to} (the arrow's ends, {set, index, cells} each) or null.
   */
  update(data) {
    if (data.inputs) this.showInputs(data.inputs);
    if (data.kernels) this.showKernels(data.kernels);
    if (data.outputs) this.showOutputs(data.outputs);
    if (data.stale !== undefined) this.el.classList.toggle("is-stale", data.stale);
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

  /** Draw the arrow between the window and the cell shown last (after a step, or when the layout moves). */
  relink() {
    if (!this.link) return this.options.link.update({ visible: false });
    const box = ({ grid, cells }) => grid?.boxOf(cells, this.el);
    this.options.link.update({ from: box(this.link.from), to: box(this.link.to), visible: this.phase === "sum" });
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
  showInputs({ input, pad, backward, plan }) {
    const [c, n] = shape(input);
    const grids = this.ensureGrids("input", c, (ci) => ({
      fit: fitFor(c),
      editable: !backward,
      onPaint: (r, col) => this.options.onPaintInput(ci, r, col),
      onEdit: (r, col, value) => this.options.onEditInput(ci, r, col, value),
      onCellClick: (r, col) => this.options.onInputClick(ci, r, col),
    }), `${backward}`);
    const dx = backward && plan ? plan.arrays.dx : null;
    const unreached = plan ? plan.header.conv.unreached : { rows: [], cols: [] };
    grids.forEach((grid, ci) => {
      const values = dx ? mapOf(dx.data, dx.shape, ci) : flat(input[ci]);
      const name = backward ? `∂l/∂x, channel ${ci}` : `channel ${ci}`;
      grid.update({ values, h: n, w: n, pad, caption: c > 1 || backward ? name : "", label: `${backward ? "gradient at the input" : "input"}, channel ${ci}, ${n}×${n} with padding ${pad}`, signed: backward ? true : undefined });
      grid.mark("is-unreached", paddedCells(n, pad).filter(([r, col]) => unreached.rows.includes(r) || unreached.cols.includes(col)));
    });
    this.parts.inputHeading.textContent = backward ? "∂l/∂x: gradient at the input" : `Input (${n}×${n}${c > 1 ? `×${c}` : ""}, padding ${pad})`;
  }

  /** The kernels with their biases (forward) or their gradients (backward). */
  showKernels({ kernels, bias, backward, plan }) {
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
    this.sets.kernel.forEach((grid, g) => {
      const fi = Math.floor(g / c);
      const ci = g % c;
      const values = dw ? mapOf(dw.data, dw.shape, g) : flat(kernels[fi][ci]);
      const caption = backward ? `∂l/∂w${c > 1 ? `, channel ${ci}` : ""}` : c > 1 ? `channel ${ci}` : "";
      grid.update({ values, h: k, w: k, caption, label: `${backward ? "gradient of " : ""}filter ${fi}, channel ${ci}`, signed: true });
    });
    container.querySelectorAll(".conv-filter").forEach((filter, fi) => {
      const box = filter.querySelector(".conv-bias");
      if (backward) {
        const db = plan ? plan.arrays.db.data[fi] : null;
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
