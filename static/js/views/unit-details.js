// The selected unit in words and numbers: which layer and position, its value (and gradient when explaining),
// its receptive field in input pixels, the kernel weights it applies and the values under its window, as small
// heatmaps with every number also in a table. The page controller gathers the numbers from the server's frames.

import { paintHeatmap } from "../lib/canvas.js";
import { formatNumber } from "../lib/format.js";

const OPEN_TABLE_CELLS = 25; // a single map this small shows its numbers without a click

function number(value) {
  const rounded = Math.abs(value) >= 1e-3 || value === 0 ? Number(value.toPrecision(3)) : Number(value.toExponential(1));
  return formatNumber(rounded);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class UnitDetails {
  /** el: an empty container; options.scales {sequential, diverging} for the small heatmaps. */
  constructor(el, { scales }) {
    this.el = el;
    this.scales = scales;
    this.update(null);
  }

  /**
   * detail: null (nothing selected) or {heading, facts: [[term, text]], field: {size, inside} | null,
   * groups: [{title, caption, signed, maps: [{label, values, rows, cols, padding?, mark?}]}]}.
   */
  update(detail) {
    if (detail === null) {
      this.el.replaceChildren(element("p", "unit-details__empty",
        "Hover over, tap or tab to any unit in the layers above to see what it reads: its receptive field, " +
        "its kernel weights and the values under its window."));
      return;
    }
    const facts = element("dl", "unit-details__facts");
    for (const [term, text] of detail.facts) facts.append(element("dt", "", term), element("dd", "number", text));
    const field = detail.field;
    this.el.dataset.fieldSize = field ? `${field.size[0]}x${field.size[1]}` : "";
    this.el.dataset.fieldInside = field ? `${field.inside[0]}x${field.inside[1]}` : "";
    this.el.replaceChildren(element("h3", "unit-details__heading", detail.heading), facts,
      ...detail.groups.map((group) => this.group(group)));
  }

  group({ title, caption, signed, maps }) {
    const section = element("section", "unit-details__group");
    let largest = 0;
    for (const map of maps) for (const v of map.values) largest = Math.max(largest, Math.abs(v));
    largest ||= 1;
    const bounds = signed ? [-largest, largest] : [0, largest];
    const scale = signed ? this.scales.diverging : this.scales.sequential;
    const range = signed ? `blue negative, red positive, ±${number(largest)}` : `0 … ${number(largest)}`;
    section.append(element("h4", "", title), element("p", "unit-details__caption", `${caption} Colour: ${range}.`));
    const figures = element("div", "unit-details__maps");
    for (const map of maps) {
      const figure = element("figure", "unit-details__map");
      const canvas = element("canvas", "heatmap");
      canvas.setAttribute("aria-hidden", "true");
      paintHeatmap(canvas, map.values, map.cols, map.rows, scale, bounds);
      figure.dataset.shape = `${map.rows}x${map.cols}`;
      figure.append(canvas);
      if (map.label) figure.append(element("figcaption", "", map.label));
      figures.append(figure);
    }
    const numbers = element("details", "unit-details__numbers");
    const cells = maps.reduce((total, map) => total + map.values.length, 0);
    numbers.open = cells <= OPEN_TABLE_CELLS;
    numbers.append(element("summary", "", `The ${cells} numbers`), ...maps.map((map) => this.table(map)));
    section.append(figures, numbers);
    return section;
  }

  table({ label, values, rows, cols, padding, mark }) {
    const table = element("table", "unit-details__table number");
    if (label) table.append(element("caption", "", label));
    const body = element("tbody");
    for (let r = 0; r < rows; r++) {
      const row = element("tr");
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const cell = element("td", i === mark ? "is-marked" : "", padding?.[i] ? "pad" : number(values[i]));
        row.append(cell);
      }
      body.append(row);
    }
    table.append(body);
    return table;
  }

  destroy() {
    this.el.replaceChildren();
  }
}
