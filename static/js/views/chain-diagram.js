// The chain network of the "why backpropagation?" slides as an SVG: inputs x, hidden layers of sigmoid nodes
// z numbered layer by layer, one output ŷ, every node linked to every node of the next layer, with the slides'
// weight names on the edges when the network is as small as the slide's. Structure only: no values.

import { symbolText } from "../lib/math.js";

const SVG = "http://www.w3.org/2000/svg";
// Sizes in viewBox units, the labels large enough to stay ≥ 0.8rem where the slide's network is projected.
const COLUMN = 200;
const ROW = 150;
const R = 30;
const MAX_NAMED_EDGES = 24;

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

export class ChainDiagram {
  constructor(el, { label = "The chain network" } = {}) {
    this.el = el;
    this.label = label;
    this.root = svg("svg", { class: "chain", role: "img" });
    el.append(this.root);
  }

  /** data: width (nodes per layer and inputs), depth (hidden layers). */
  update({ width, depth }) {
    const sizes = [width, ...Array(depth).fill(width), 1];
    const height = ROW * width + 40;
    const columns = sizes.map((n, c) => Array.from({ length: n }, (_, k) => [80 + c * COLUMN, 20 + ROW * (k + 0.5) + (ROW * (width - n)) / 2]));
    const names = sizes.map((n, c) => Array.from({ length: n }, (_, k) => (c === 0 ? `x${k + 1}` : c === sizes.length - 1 ? "yhat" : `z${(c - 1) * width + k + 1}`)));
    const edgeCount = sizes.slice(1).reduce((sum, n, c) => sum + n * sizes[c], 0);
    const edges = [];
    const labels = [];
    let w = 0;
    for (let c = 1; c < sizes.length; c++) {
      for (let i = 0; i < sizes[c - 1]; i++) {
        for (let k = 0; k < sizes[c]; k++) {
          w += 1;
          const [x1, y1] = columns[c - 1][i];
          const [x2, y2] = columns[c][k];
          edges.push(svg("line", { x1, y1, x2, y2, class: "chain__edge" }));
          if (edgeCount <= MAX_NAMED_EDGES) {
            const t = y1 === y2 || sizes[c] === 1 ? 0.5 : i < k ? 0.25 : 0.75;
            const text = svg("text", { x: x1 + (x2 - x1) * t, y: y1 + (y2 - y1) * t - 8, class: "chain__weight", "font-size": 26 });
            text.textContent = symbolText(`w${w}`);
            labels.push(text);
          }
        }
      }
    }
    const nodes = columns.flatMap((column, c) => column.flatMap(([x, y], k) => {
      const circle = svg("circle", { cx: x, cy: y, r: R, class: "chain__node" });
      const text = svg("text", { x, y: y + 11, class: "chain__name", "font-size": 32 });
      text.textContent = width <= 4 ? symbolText(names[c][k]) : "";
      return [circle, text];
    }));
    this.root.setAttribute("viewBox", `0 0 ${160 + (sizes.length - 1) * COLUMN} ${height}`);
    this.root.setAttribute("aria-label", `${this.label}: ${width} inputs, ${depth} hidden layers of ${width} sigmoid nodes, one output ŷ, ${w} weights`);
    this.root.replaceChildren(...edges, ...labels, ...nodes);
  }

  destroy() {
    this.el.replaceChildren();
  }
}
