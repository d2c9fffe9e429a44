// A network's output over a square of its input (or hidden) plane: the server's grid painted with viridis, with
// an SVG overlay for the points, the decision line and the axes. The page never computes a value itself.

import { paintHeatmap } from "../lib/canvas.js";
import { SEQUENTIAL } from "../lib/colors.js";
import { formatValue } from "../lib/format.js";

const SVG = "http://www.w3.org/2000/svg";

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
    this.overlay.replaceChildren(...this.axes(toX, toY, box), ...this.line(line, toX, toY), ...points.flatMap((p) => this.point(p, toX, toY)));
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
    const dot = svg("circle", { cx: x, cy: y, r: 3.2 });
    // the label goes outwards, away from the middle, unless that runs off the square
    const right = x < 50 ? x < 22 : x <= 78;
    const text = svg("text", { x: right ? x + 4.5 : x - 4.5, y: y < 14 ? y + 9 : y - 4, class: "surface__label" });
    text.setAttribute("text-anchor", right ? "start" : "end");
    text.textContent = label;
    if (title) {
      const tip = svg("title");
      tip.textContent = title;
      group.append(tip);
    }
    group.append(dot, text);
    return [group];
  }

  destroy() {
    this.el.replaceChildren();
  }
}
