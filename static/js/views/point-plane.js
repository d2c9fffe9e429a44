// Points of two classes on a square of the plane, over the server's grid of a function painted with a colour scale,
// with level curves (a decision boundary, its margins) as SVG paths, support vectors ringed, and, when asked,
// clicks that add a point where the plane is clicked or remove the point clicked. The page never computes a value:
// the grid and the curves' segments come from the server; lib/plane-coords.js places them.

import { paintHeatmap } from "../lib/canvas.js";
import { formatValue } from "../lib/format.js";
import { segmentPath, toPlane, toX, toY } from "../lib/plane-coords.js";

const SVG = "http://www.w3.org/2000/svg";
const MANY = 40; // beyond this many points they are drawn smaller

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

export class PointPlane {
  /**
   * options: label (accessible name), axes ([name of u, name of v]), testid (prefix of data-testid hooks),
   * scale (a colour table of lib/colors.js), onAdd(u, v) and onRemove(index) to make the plane clickable.
   */
  constructor(el, { label, axes = ["x₁", "x₂"], testid = "plane", scale, onAdd = null, onRemove = null }) {
    this.el = el;
    this.testid = testid;
    this.scale = scale;
    this.onAdd = onAdd;
    this.onRemove = onRemove;
    el.classList.add("surface", "point-plane");
    this.frame = document.createElement("div");
    this.frame.className = "surface__frame";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "heatmap";
    this.canvas.dataset.testid = `${testid}-canvas`;
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", label);
    this.overlay = svg("svg", { viewBox: "0 0 100 100", preserveAspectRatio: "none", class: "surface__overlay" });
    this.overlay.dataset.testid = `${testid}-overlay`;
    this.frame.append(this.canvas, this.overlay);
    this.axisU = document.createElement("p");
    this.axisU.className = "surface__axis surface__axis--u";
    this.axisV = document.createElement("p");
    this.axisV.className = "surface__axis surface__axis--v";
    this.axisNames = axes;
    el.append(this.axisV, this.frame, this.axisU);
    if (onAdd || onRemove) {
      this.frame.classList.add("point-plane--clickable");
      this.overlay.addEventListener("click", (event) => this.clicked(event));
    }
  }

  /**
   * data: values (row-major size×size, top row = largest v), size, box [lo, hi], bounds [lo, hi] of the colours,
   * curves [{segments (flat u₁ v₁ u₂ v₂ …), kind: "boundary" | "margin"}], points [{u, v, positive, ring, title}].
   */
  update({ values, size, box, bounds, curves = [], points = [] }) {
    this.box = box;
    this.size = size;
    paintHeatmap(this.canvas, values, size, size, this.scale, bounds);
    const radius = points.length > MANY ? 1.5 : 2.6;
    const paths = curves.flatMap(({ segments, kind }) => {
      const d = segmentPath(segments, box, size);
      return [svg("path", { d, class: `point-plane__under point-plane__under--${kind}` }), svg("path", { d, class: `point-plane__curve point-plane__curve--${kind}`, "data-testid": `${this.testid}-${kind}` })];
    });
    const dots = points.map(({ u, v, positive, ring, title }, index) => {
      const group = svg("g", { class: `point-plane__point ${positive ? "point-plane__point--one" : "point-plane__point--zero"}`, "data-testid": `${this.testid}-point` });
      Object.assign(group.dataset, { index: String(index), u: String(u), v: String(v), ring: String(Boolean(ring)) });
      const [cx, cy] = [toX(u, box, size), toY(v, box, size)];
      if (ring) group.append(svg("circle", { cx, cy, r: radius + 1.6, class: "point-plane__ring" }));
      group.append(svg("circle", { cx, cy, r: radius, class: "point-plane__dot" }));
      if (title) {
        const tip = svg("title");
        tip.textContent = title;
        group.append(tip);
      }
      return group;
    });
    this.overlay.replaceChildren(...paths, ...dots);
    this.el.dataset.points = String(points.length);
    this.el.dataset.rings = String(points.filter((p) => p.ring).length);
    this.axisU.textContent = `${this.axisNames[0]} from ${formatValue(box[0])} to ${formatValue(box[1])} →`;
    this.axisV.textContent = `↑ ${this.axisNames[1]}`;
  }

  /** A click on a point removes it; anywhere else adds one there. */
  clicked(event) {
    if (!this.box) return;
    const point = event.target.closest(".point-plane__point");
    if (point) {
      this.onRemove?.(Number(point.dataset.index));
      return;
    }
    const frame = this.frame.getBoundingClientRect();
    const [u, v] = toPlane((event.clientX - frame.left) / frame.width, (event.clientY - frame.top) / frame.height, this.box, this.size);
    this.onAdd?.(u, v);
  }

  destroy() {
    this.el.replaceChildren();
  }
}
