// One conv unit's computation, zoomed into from the layer strip: where its window lies on the maps it reads, then
// for one map at a time the window's values × the kernel's weights = the products, and the sum over every map
// plus the bias, through ReLU to the unit's value. Every number is the server's (the `unit` of a prediction
// frame, docs/protocol/lenet.md); this view lays them out and colours them. Zoomed into the input, it shows the
// 28×28 image large, and beside it the saliency map laid over it when the page explains a class.

import { paintHeatmap } from "../lib/canvas.js";
import { paintOverlay } from "./heatmap-figure.js";
import { cssColor, DIVERGING, level, SEQUENTIAL } from "../lib/colors.js";
import { formatNumber, formatValue } from "../lib/format.js";

const cell = (value) => value.toFixed(2).replace(/^-(0\.00)$/, "$1").replace("-", "−");
const exact = (value) => formatValue(value, 4);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function largest(grids) {
  let m = 0;
  for (const grid of grids) for (const row of grid) for (const v of row) m = Math.max(m, Math.abs(v));
  return m || 1;
}

/** A K×K table of numbers on their colours (dark text on light colours, white on dark). */
function grid(caption, values, { signed, bound, padding }) {
  const table = element("table", "zoom-grid number");
  table.append(element("caption", "", caption));
  const body = element("tbody");
  const [lo, hi] = signed ? [-bound, bound] : [0, bound];
  const scale = signed ? DIVERGING : SEQUENTIAL;
  values.forEach((row, r) => {
    const tr = element("tr");
    row.forEach((v, c) => {
      const td = element("td", "", padding?.[r][c] ? "pad" : cell(v));
      if (padding?.[r][c]) td.className = "is-padding";
      else {
        const [red, green, blue] = scale[level(v, lo, hi)];
        td.style.background = cssColor(scale, v, lo, hi);
        td.style.color = 0.299 * red + 0.587 * green + 0.114 * blue > 140 ? "#000" : "#fff";
      }
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(body);
  return table;
}

export class UnitZoom {
  /** heading: the zoom's <h3>; body: its empty container. */
  constructor(heading, body) {
    this.heading = heading;
    this.body = body;
    this.map = 0; // which of the maps read is written out in numbers
    this.computation = null;
  }

  /** The unit being opened, before the server's numbers arrive. */
  wait(unit) {
    this.heading.textContent = `${unit.stage} · map ${unit.channel} · row ${unit.row}, column ${unit.col}`;
    this.body.replaceChildren(element("p", "zoom-sum", "Asking the server for this unit's numbers…"));
    delete this.body.dataset.unit;
  }

  /** The input large: {input, saliency?, target?} (28×28 ink and ∂ score / ∂ pixel), or null for an empty pad. */
  showInput(data) {
    this.computation = null;
    this.heading.textContent = "input · the 28×28 image LeNet-5 reads";
    this.body.dataset.unit = "input";
    if (data === null) {
      this.body.replaceChildren(element("p", "zoom-sum", "Draw a digit: this is where the network's input appears."));
      return;
    }
    const figure = (caption, paint) => {
      const node = element("figure");
      const canvas = element("canvas", "heatmap");
      canvas.setAttribute("aria-hidden", "true");
      paint(canvas);
      node.append(canvas, element("figcaption", "", caption));
      return node;
    };
    const row = element("div", "zoom-input");
    const ink = (canvas) => paintHeatmap(canvas, data.input, 28, 28, SEQUENTIAL, [0, 1]);
    row.append(figure("the input: ink from 0 (paper) to 1", ink));
    if (data.saliency) {
      const bound = largest([[data.saliency]]);
      const over = (canvas) => paintOverlay(canvas, data.input, data.saliency, 28, 28, DIVERGING, bound);
      row.append(figure(`∂ score of ${data.target} / ∂ pixel over the input: red pixels would raise the score ` +
        "if inked more, blue ones lower it", over));
    } else {
      row.append(element("p", "zoom-sum", "Press “Explain with gradients” to lay the saliency map over the input here."));
    }
    this.body.replaceChildren(row);
    this.body.dataset.saliency = String(Boolean(data.saliency));
  }

  /**
   * computation: the frame's `unit` (null: the pad is empty); previous: {data, shape} of the stage it reads,
   * for the overview of where its window lies.
   */
  update(computation, previous) {
    if (computation === null) {
      this.body.replaceChildren(element("p", "zoom-sum", "Draw a digit: the unit computes on your drawing."));
      delete this.body.dataset.unit;
      return;
    }
    const same = this.computation && ["stage", "channel", "row", "col"].every((k) => this.computation[k] === computation[k]);
    const strongest = (best, s, i, all) => (Math.abs(s) > Math.abs(all[best]) ? i : best);
    if (!same) this.map = computation.subtotals.reduce(strongest, 0); // open on the map that counts most
    this.computation = computation;
    this.previous = previous;
    this.render();
  }

  render() {
    const u = this.computation;
    const maps = u.window.length;
    const k = u.kernel[0].length;
    this.heading.textContent = `${u.stage} · map ${u.channel} · row ${u.row}, column ${u.col}: ` +
      `a ${k}×${k} window of ${maps === 1 ? "the" : `all ${maps}`} ${u.previous} map${maps === 1 ? "" : "s"} × its kernel`;
    this.body.dataset.unit = `${u.stage}-${u.channel}-${u.row}-${u.col}`;
    this.body.replaceChildren(this.where(), this.product(), this.sum());
  }

  /** The map read (the one written out) with the window on it, and buttons for the other maps. */
  where() {
    const u = this.computation;
    const row = element("div", "zoom-where");
    const [, height, width] = this.previous.shape;
    const figure = element("figure");
    const frame = element("div", "heatmap-figure__frame");
    const canvas = element("canvas", "heatmap");
    canvas.setAttribute("aria-hidden", "true");
    const size = height * width;
    const values = this.previous.data.subarray(this.map * size, (this.map + 1) * size);
    paintHeatmap(canvas, values, width, height, SEQUENTIAL, [0, Math.max(...values) || 1]);
    const box = element("div", "rf-box");
    const [r0, r1] = u.rows.map((r) => Math.max(0, Math.min(height - 1, r)));
    const [c0, c1] = u.cols.map((c) => Math.max(0, Math.min(width - 1, c)));
    Object.assign(box.style, {
      top: `${(100 * r0) / height}%`, left: `${(100 * c0) / width}%`,
      height: `${(100 * (r1 - r0 + 1)) / height}%`, width: `${(100 * (c1 - c0 + 1)) / width}%`,
    });
    frame.append(canvas, box);
    const span = ([first, last]) => `${formatNumber(first)} to ${formatNumber(last)}`;
    const map = u.window.length > 1 ? ` map ${this.map}` : "";
    const padding = u.padding.flat().some(Boolean) ? " (outside the map: zero padding)" : "";
    figure.append(frame, element("figcaption", "",
      `its window on ${u.previous}${map}: rows ${span(u.rows)}, columns ${span(u.cols)}${padding}`));
    row.append(figure);
    if (u.window.length > 1) {
      const buttons = element("div", "zoom-maps");
      buttons.setAttribute("role", "group");
      buttons.setAttribute("aria-label", `Which ${u.previous} map to write out`);
      buttons.append(element("span", "", "Sum per map:"));
      u.subtotals.forEach((subtotal, map) => {
        const button = element("button", "", `${map}: ${cell(subtotal)}`);
        button.type = "button";
        button.setAttribute("aria-pressed", String(map === this.map));
        button.addEventListener("click", () => {
          this.map = map;
          this.render();
          this.body.querySelector(`.zoom-maps button:nth-of-type(${map + 1})`)?.focus();
        });
        buttons.append(button);
      });
      row.append(buttons);
    }
    return row;
  }

  /** window × kernel = products, for the map written out. */
  product() {
    const u = this.computation;
    const m = this.map;
    const name = u.window.length > 1 ? ` (${u.previous} map ${m})` : "";
    const row = element("div", "zoom-product");
    row.append(
      grid(`window${name}`, u.window[m], { signed: false, bound: largest(u.window), padding: u.padding }),
      element("span", "zoom-operator", "×"),
      grid(`kernel${u.window.length > 1 ? ` for map ${m}` : ""}`, u.kernel[m], { signed: true, bound: largest(u.kernel) }),
      element("span", "zoom-operator", "="),
      grid("products", u.products[m], { signed: true, bound: largest(u.products) }),
      element("span", "zoom-operator", "→"),
      element("span", "zoom-sum", `Σ = ${exact(u.subtotals[m])}`),
    );
    return row;
  }

  /** Every map's sum, plus the bias, through ReLU. */
  sum() {
    const u = this.computation;
    const p = element("p", "zoom-sum");
    p.dataset.testid = "zoom-sum";
    p.dataset.z = String(u.z); // the engine's own conv output at this unit, for scripts and tests
    const terms = u.subtotals.map((s, i) => (i === 0 ? exact(s) : `${s < 0 ? "−" : "+"} ${exact(Math.abs(s))}`));
    const what = u.subtotals.length > 1 ? `the ${u.subtotals.length} maps' sums` : "the sum of the products";
    p.append(`${what}, ${terms.join(" ")}, plus the bias ${exact(u.bias)}: z = ${exact(u.sum)}; `,
      `ReLU(z) = max(0, z) = `, element("strong", "", exact(u.value)), " is this unit's value.");
    return p;
  }
}
