// A network's output over a square of its input (or hidden) plane: the server's grid painted with viridis, with
// an SVG overlay for the points, the decision line and the axes. The page never computes a value itself. Point
// labels are drawn 1rem tall whatever the square's size and placed so that no two meet (a leader line joins a
// label pushed away from its point), even when the four points sit on top of each other.

import { paintHeatmap } from "../lib/canvas.js";
import { SEQUENTIAL } from "../lib/colors.js";
import { formatValue } from "../lib/format.js";

const SVG = "http://www.w3.org/2000/svg";

const DOT = 3.2; // a point's radius, in the overlay's units (the square is 100 × 100)
const LABEL_REM = 1; // a label's height on screen
const DIRECTIONS = [[1, 0], [-1, 0], [0, -1], [0, 1], [1, -1], [-1, -1], [1, 1], [-1, 1]];

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

export class DecisionSurface {
  /**
   * options: label (accessible name), axes ([name of u, name of v]), testid (prefix of data-testid hooks),
   * legend (show the colour scale with its numbers).
   */
  constructor(el, { label, axes = ["x₁", "x₂"], testid = "surface", legend = true } = {}) {
    this.el = el;
    this.testid = testid;
    el.classList.add("surface");
    this.frame = document.createElement("div");
    this.frame.className = "surface__frame";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "heatmap";
    this.canvas.dataset.testid = `${testid}-canvas`;
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", label);
    this.overlay = svg("svg", { viewBox: "0 0 100 100", preserveAspectRatio: "none", class: "surface__overlay", "aria-hidden": "true" });
    this.frame.append(this.canvas, this.overlay);
    this.labels = [];
    new ResizeObserver(() => this.placeLabels()).observe(this.frame);
    const [u, v] = axes;
    this.axisU = document.createElement("p");
    this.axisU.className = "surface__axis surface__axis--u";
    this.axisV = document.createElement("p");
    this.axisV.className = "surface__axis surface__axis--v";
    this.axisNames = [u, v];
    this.legend = legend ? this.makeLegend() : null;
    el.append(this.axisV, this.frame, this.axisU);
    if (this.legend) el.append(this.legend.root);
  }

  makeLegend() {
    const root = document.createElement("div");
    root.className = "surface__legend";
    const bar = document.createElement("canvas");
    bar.className = "surface__legend-bar";
    paintHeatmap(bar, Float32Array.from({ length: 256 }, (_, i) => i), 256, 1, SEQUENTIAL, [0, 255]);
    const lo = document.createElement("span");
    const hi = document.createElement("span");
    lo.className = hi.className = "number";
    root.append(lo, bar, hi);
    return { root, lo, hi };
  }

  /**
   * data: values (row-major size×size, top row = largest v), size, box [lo, hi] of u and v, scale [lo, hi] of the
   * colours, line [[u, v], [u, v]] or null, points [{u, v, label, positive, title}].
   */
  update({ values, size, box, scale, line = null, points = [] }) {
    paintHeatmap(this.canvas, values, size, size, SEQUENTIAL, scale);
    const [lo, hi] = box;
    const toX = (u) => ((((u - lo) / (hi - lo)) * (size - 1) + 0.5) / size) * 100;
    const toY = (v) => 100 - toX(v);
    this.labels = [];
    this.overlay.replaceChildren(...this.axes(toX, toY, box), ...this.line(line, toX, toY), ...points.flatMap((p) => this.point(p, toX, toY)));
    this.placeLabels();
    this.axisU.textContent = `${this.axisNames[0]} from ${formatValue(lo)} to ${formatValue(hi)} →`;
    this.axisV.textContent = `↑ ${this.axisNames[1]}`;
    if (this.legend) {
      this.legend.lo.textContent = formatValue(scale[0], 3);
      this.legend.hi.textContent = formatValue(scale[1], 3);
    }
  }

  /** Thin lines through 0 and 1 on both axes, where the XOR points sit. */
  axes(toX, toY, [lo, hi]) {
    return [0, 1].filter((t) => t > lo && t < hi).flatMap((t) => [
      svg("line", { x1: toX(t), x2: toX(t), y1: 0, y2: 100, class: "surface__grid" }),
      svg("line", { x1: 0, x2: 100, y1: toY(t), y2: toY(t), class: "surface__grid" }),
    ]);
  }

  line(line, toX, toY) {
    if (!line) return [];
    const [[u1, v1], [u2, v2]] = line;
    const ends = { x1: toX(u1), y1: toY(v1), x2: toX(u2), y2: toY(v2) };
    const under = svg("line", { ...ends, class: "surface__line-under" });
    const top = svg("line", { ...ends, class: "surface__line", "data-testid": `${this.testid}-line` });
    return [under, top];
  }

  point({ u, v, label, positive, title }, toX, toY) {
    const x = toX(u);
    const y = toY(v);
    const group = svg("g", { class: `surface__point ${positive ? "surface__point--one" : "surface__point--zero"}`, "data-testid": `${this.testid}-point` });
    group.dataset.u = String(u);
    group.dataset.v = String(v);
    const dot = svg("circle", { cx: x, cy: y, r: DOT });
    const leader = svg("line", { class: "surface__leader", x1: x, y1: y, x2: x, y2: y });
    const text = svg("text", { class: "surface__label", "dominant-baseline": "central" });
    text.textContent = label;
    if (title) {
      const tip = svg("title");
      tip.textContent = title;
      group.append(tip);
    }
    group.append(leader, dot, text);
    this.labels.push({ x, y, text, leader });
    return [group];
  }

  /**
   * Put each label 1rem tall beside its point, outwards from the middle where there is room; else at the nearest
   * free place in the square, joined to its point by a leader line. A label never meets another label or a point.
   */
  placeLabels() {
    const width = this.frame.getBoundingClientRect().width;
    if (!width || !this.labels.length) return;
    const size = (LABEL_REM * parseFloat(getComputedStyle(document.documentElement).fontSize) * 100) / width;
    const dots = this.labels.map(({ x, y }) => ({ left: x - DOT, right: x + DOT, top: y - DOT, bottom: y + DOT }));
    const placed = [];
    for (const { x, y, text, leader } of this.labels) {
      text.style.fontSize = `${size.toFixed(2)}px`;
      const w = text.getComputedTextLength() || text.textContent.length * 0.6 * size;
      const h = size * 1.1;
      const boxAt = ([cx, cy]) => ({ left: cx - w / 2 - 0.8, right: cx + w / 2 + 0.8, top: cy - h / 2 - 0.4, bottom: cy + h / 2 + 0.4 });
      const free = (box) => box.left >= 0.5 && box.right <= 99.5 && box.top >= 0.5 && box.bottom <= 99.5
        && ![...placed, ...dots].some((other) => meets(box, other));
      const gap = DOT + 1.5;
      const beside = DIRECTIONS.slice()
        .sort(([a, b], [c, d]) => (c * (x - 50) + d * (y - 50)) - (a * (x - 50) + b * (y - 50)))
        .map(([dx, dy]) => [x + dx * (gap + w / 2), y + dy * (gap + h / 2)]);
      const step = h / 2;
      const elsewhere = [];
      for (let cx = w / 2 + 1.5; cx <= 98.5 - w / 2; cx += step) {
        for (let cy = h / 2 + 1; cy <= 99 - h / 2; cy += step) elsewhere.push([cx, cy]);
      }
      elsewhere.sort(([a, b], [c, d]) => Math.hypot(a - x, b - y) - Math.hypot(c - x, d - y));
      const near = beside.find((at) => free(boxAt(at)));
      const at = near ?? elsewhere.find((spot) => free(boxAt(spot))) ?? beside[0];
      placed.push(boxAt(at));
      text.setAttribute("x", at[0].toFixed(2));
      text.setAttribute("y", at[1].toFixed(2));
      text.setAttribute("text-anchor", "middle");
      leader.setAttribute("x2", at[0].toFixed(2));
      leader.setAttribute("y2", at[1].toFixed(2));
      leader.classList.toggle("is-shown", !near);
    }
  }

  destroy() {
    this.el.replaceChildren();
  }
}

/** Whether two boxes {left, right, top, bottom} overlap. */
function meets(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}
