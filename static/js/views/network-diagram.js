// The slides' 2-2-1 network as an SVG diagram: inputs x₁ x₂, hidden z₁ z₂, output ŷ, edges w₁…w₆ and bias stubs
// b₁ b₂ b₃, each coloured (diverging scale, blue negative, red positive) and sized by its weight or its gradient,
// with the number as text. Parts named in `highlight` are marked, the rest dimmed, for the derivation.

import { DIVERGING, cssColor } from "../lib/colors.js";
import { formatValue } from "../lib/format.js";
import { symbolText } from "../lib/math.js";

const SVG = "http://www.w3.org/2000/svg";
const R = 30;

const NODES = {
  x1: [90, 100],
  x2: [90, 340],
  z1: [360, 100],
  z2: [360, 340],
  yhat: [680, 220],
};

// name: [from, to, where along the edge its label sits (0…1)]; labels sit on their edge with a halo
const EDGES = {
  w1: ["x1", "z1", 0.5],
  w2: ["x1", "z2", 0.25],
  w3: ["x2", "z1", 0.75],
  w4: ["x2", "z2", 0.5],
  w5: ["z1", "yhat", 0.55],
  w6: ["z2", "yhat", 0.55],
};

// bias stubs: [node, start point, label position]
const BIASES = {
  b1: ["z1", [360, 14], [376, 30]],
  b2: ["z2", [360, 430], [376, 424]],
  b3: ["yhat", [680, 120], [664, 136]],
};

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function trim([x1, y1], [x2, y2], r1, r2) {
  const length = Math.hypot(x2 - x1, y2 - y1);
  const ux = (x2 - x1) / length;
  const uy = (y2 - y1) / length;
  return [[x1 + ux * r1, y1 + uy * r1], [x2 - ux * r2, y2 - uy * r2]];
}

export class NetworkDiagram {
  /** options: label (accessible name), testid (prefix of the data-testid hooks). */
  constructor(el, { label = "The 2-2-1 network", testid = "net" } = {}) {
    this.el = el;
    this.testid = testid;
    this.root = svg("svg", { viewBox: "0 0 760 440", class: "network", role: "img", "aria-label": label });
    this.parts = {};
    this.build();
    el.append(this.root);
  }

  build() {
    const edges = svg("g");
    const labels = svg("g");
    for (const [name, [from, to, t]] of Object.entries(EDGES)) {
      const [[x1, y1], [x2, y2]] = trim(NODES[from], NODES[to], R, R + 6);
      const line = svg("line", { x1, y1, x2, y2, class: "network__edge" });
      const plate = svg("rect", { class: "network__plate", rx: 5 });
      const text = svg("text", { x: x1 + (x2 - x1) * t, y: y1 + (y2 - y1) * t + 6, class: "network__label" });
      text.dataset.testid = `${this.testid}-${name}`;
      edges.append(line);
      labels.append(plate, text);
      this.parts[name] = { line, text, plate };
    }
    for (const [name, [node, start, [lx, ly]]] of Object.entries(BIASES)) {
      const [[x1, y1], [x2, y2]] = trim(start, NODES[node], 0, R + 4);
      const line = svg("line", { x1, y1, x2, y2, class: "network__edge network__edge--bias" });
      const text = svg("text", { x: lx, y: ly, class: "network__label" });
      text.setAttribute("text-anchor", lx < x1 ? "end" : "start");
      text.dataset.testid = `${this.testid}-${name}`;
      edges.append(line);
      labels.append(text);
      this.parts[name] = { line, text };
    }
    const nodes = svg("g");
    for (const [name, [x, y]] of Object.entries(NODES)) {
      const group = svg("g", { class: "network__node" });
      const circle = svg("circle", { cx: x, cy: y, r: R });
      const title = svg("text", { x, y: y + 8, class: "network__name" });
      title.textContent = symbolText(name);
      const value = svg("text", { x, y: y + R + 24, class: "network__value" });
      value.dataset.testid = `${this.testid}-node-${name}`;
      group.append(circle, title, value);
      nodes.append(group);
      this.parts[name] = { group, value };
    }
    this.root.append(edges, labels, nodes);
  }

  /**
   * data: params {w1…b3}; grads {name: value} for some or all of w1…b3, or null; show "weights" | "gradients"
   * (parameters without a gradient yet are drawn thin and grey with their weight); values {x1, x2, z1, z2, yhat}
   * or null (numbers under the nodes); highlight [names] (edges, biases, nodes) or [] for none.
   */
  update({ params, grads = null, show = "weights", values = null, highlight = [] }) {
    const gradients = show === "gradients" && grads !== null;
    const names = [...Object.keys(EDGES), ...Object.keys(BIASES)];
    const known = (name) => !gradients || name in grads;
    const shown = (name) => (gradients && name in grads ? grads[name] : params[name]);
    const biggest = Math.max(...names.filter(known).map((n) => Math.abs(shown(n))), 1e-12);
    const marked = new Set(highlight);
    for (const name of names) {
      const { line, text } = this.parts[name];
      const value = shown(name);
      line.setAttribute("stroke", cssColor(DIVERGING, value, -biggest, biggest));
      line.setAttribute("stroke-width", known(name) ? (2 + 12 * Math.abs(value) / biggest).toFixed(2) : "2");
      line.classList.toggle("is-pending", !known(name));
      const prefix = gradients && name in grads ? `∂l/∂${symbolText(name)}` : symbolText(name);
      text.textContent = `${prefix} = ${formatValue(value, 3)}`;
      text.dataset.value = String(value);
      line.classList.toggle("is-marked", marked.has(name));
      line.classList.toggle("is-dimmed", marked.size > 0 && !marked.has(name));
      text.classList.toggle("is-dimmed", marked.size > 0 && !marked.has(name));
    }
    for (const name of Object.keys(NODES)) {
      const { group, value } = this.parts[name];
      group.classList.toggle("is-marked", marked.has(name));
      group.classList.toggle("is-dimmed", marked.size > 0 && !marked.has(name));
      value.textContent = values && name in values ? formatValue(values[name], 3) : "";
    }
    this.fitPlates();
    const what = gradients ? "gradients ∂l/∂θ" : "weights";
    this.root.setAttribute("aria-label", `2-2-1 network, ${what}: ` + names.map((n) => text(n)).join(", "));

    function text(name) {
      return `${gradients && name in grads ? `∂l/∂${symbolText(name)}` : symbolText(name)} ${formatValue(shown(name), 3)}`;
    }
  }

  /** Size each edge label's plate to its text (no size while the diagram is not laid out). */
  fitPlates() {
    for (const { text, plate } of Object.values(this.parts)) {
      if (!plate) continue;
      const box = text.getBBox();
      for (const [name, value] of Object.entries({ x: box.x - 4, y: box.y - 1, width: box.width + 8, height: box.height + 2 })) {
        plate.setAttribute(name, String(value));
      }
      plate.classList.toggle("is-dimmed", text.classList.contains("is-dimmed"));
    }
  }

  destroy() {
    this.el.replaceChildren();
  }
}
