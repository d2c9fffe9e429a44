// The slides' 2-2-1 network as an SVG diagram: inputs x₁ x₂, hidden z₁ z₂, output ŷ, edges w₁…w₆ and bias stubs
// b₁ b₂ b₃, each coloured (diverging scale, blue negative, red positive) and sized by its weight or its gradient,
// with its name and number as a two-line label. Parts named in `highlight` are marked, the rest dimmed, for the
// derivation. The places below leave every label, node and stub its own room (no two boxes meet, even at the
// large type of presentation mode; tests/e2e/test_xor.py checks it).

import { DIVERGING, cssColor } from "../lib/colors.js";
import { formatValue } from "../lib/format.js";
import { symbolText } from "../lib/math.js";

const SVG = "http://www.w3.org/2000/svg";
const R = 38;
const STUB = 30;

const NODES = {
  x1: [110, 172],
  x2: [110, 522],
  z1: [530, 172],
  z2: [530, 522],
  yhat: [900, 347],
};

// Where each node's number sits: to the side ("left", "right") or "below", clear of its edges.
const VALUE_SIDES = { x1: "left", x2: "left", z1: "right", z2: "right", yhat: "below" };

// name: [from, to, where along the edge the label's centre sits (0…1)]; the label's plate covers its own edge.
// The labels of the four edges into z₁ and z₂ stand in one column past the crossing, one above the other.
const EDGES = {
  w1: ["x1", "z1", 0.68],
  w2: ["x1", "z2", 0.68],
  w3: ["x2", "z1", 0.68],
  w4: ["x2", "z2", 0.68],
  w5: ["z1", "yhat", 0.5],
  w6: ["z2", "yhat", 0.5],
};

// bias stubs: [node, direction (−1 up, 1 down)]; the label sits past the stub's end, centred on it
const BIASES = { b1: ["z1", -1], b2: ["z2", 1], b3: ["yhat", -1] };

/** A weight or gradient in at most 7 characters, so that its label keeps the width the layout gives it. */
export function shortNumber(value) {
  const abs = Math.abs(value);
  if (value === 0 || (abs >= 0.01 && abs < 1000)) return formatValue(value, 3);
  if (abs >= 0.001 && abs < 0.01) return formatValue(value, 2);
  const [mantissa, exponent] = value.toExponential(Math.abs(Math.log10(abs)) >= 10 ? 0 : 1).split("e");
  return `${mantissa}e${Number(exponent)}`.replaceAll("-", "−");
}

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

/** A label of two centred lines (the name, then the number) on a plate; placed by its centre once laid out. */
function label() {
  const text = svg("text", { class: "network__label" });
  const name = svg("tspan", { x: 0, dy: "0" });
  const value = svg("tspan", { x: 0, dy: "1.15em", class: "network__label-value" });
  text.append(name, value);
  return { text, name, value, plate: svg("rect", { class: "network__plate", rx: 6 }) };
}

export class NetworkDiagram {
  /** options: label (accessible name), testid (prefix of the data-testid hooks). */
  constructor(el, { label: name = "The 2-2-1 network", testid = "net" } = {}) {
    this.el = el;
    this.testid = testid;
    this.root = svg("svg", { viewBox: "0 -6 1000 712", class: "network", role: "img", "aria-label": name });
    this.parts = {};
    this.build();
    el.append(this.root);
    new ResizeObserver(() => this.place()).observe(this.root); // labels are measured once they are drawn
  }

  build() {
    const edges = svg("g");
    const labels = svg("g");
    for (const [name, [from, to, t]] of Object.entries(EDGES)) {
      const [[x1, y1], [x2, y2]] = trim(NODES[from], NODES[to], R, R + 6);
      const line = svg("line", { x1, y1, x2, y2, class: "network__edge" });
      const [cx, cy] = [NODES[from][0] + (NODES[to][0] - NODES[from][0]) * t, NODES[from][1] + (NODES[to][1] - NODES[from][1]) * t];
      this.parts[name] = { line, ...this.label(labels, name, cx, cy) };
      edges.append(line);
    }
    for (const [name, [node, direction]] of Object.entries(BIASES)) {
      const [x, y] = NODES[node];
      const end = y + direction * (R + STUB);
      const line = svg("line", { x1: x, y1: end, x2: x, y2: y + direction * (R + 4), class: "network__edge network__edge--bias" });
      this.parts[name] = { line, ...this.label(labels, name, x, end, direction) };
      edges.append(line);
    }
    const nodes = svg("g");
    for (const [name, [x, y]] of Object.entries(NODES)) {
      const group = svg("g", { class: "network__node" });
      const circle = svg("circle", { cx: x, cy: y, r: R });
      const title = svg("text", { x, y, class: "network__name", "dominant-baseline": "central" });
      title.textContent = symbolText(name);
      const side = VALUE_SIDES[name];
      const value = svg("text", {
        x: side === "left" ? x - R - 10 : side === "right" ? x + R + 10 : x,
        y: side === "below" ? y + R + 10 : y,
        class: `network__value network__value--${side}`,
        "dominant-baseline": side === "below" ? "hanging" : "central",
      });
      value.dataset.testid = `${this.testid}-node-${name}`;
      group.append(circle, title, value);
      nodes.append(group);
      this.parts[name] = { group, value };
    }
    this.root.append(edges, labels, nodes);
  }

  /** A two-line label centred on (x, y), or past (x, y) in a direction (−1 above, 1 below) for a bias stub. */
  label(layer, name, x, y, direction = 0) {
    const parts = label();
    parts.text.dataset.testid = `${this.testid}-${name}`;
    parts.at = { x, y, direction };
    layer.append(parts.plate, parts.text);
    return parts;
  }

  /**
   * data: params {w1…b3}; grads {name: value} for some or all of w1…b3, or null; show "weights" | "gradients"
   * (parameters without a gradient yet are drawn thin and grey with their weight); values {x1, x2, z1, z2, yhat}
   * or null (numbers beside the nodes); highlight [names] (edges, biases, nodes) or [] for none.
   */
  update({ params, grads = null, show = "weights", values = null, highlight = [] }) {
    const gradients = show === "gradients" && grads !== null;
    const names = [...Object.keys(EDGES), ...Object.keys(BIASES)];
    const known = (name) => !gradients || name in grads;
    const shown = (name) => (gradients && name in grads ? grads[name] : params[name]);
    const title = (name) => (gradients && name in grads ? `∂l/∂${symbolText(name)}` : symbolText(name));
    const biggest = Math.max(...names.filter(known).map((n) => Math.abs(shown(n))), 1e-12);
    const marked = new Set(highlight);
    const dimmed = (name) => marked.size > 0 && !marked.has(name);
    for (const name of names) {
      const { line, text, name: nameLine, value: valueLine } = this.parts[name];
      const value = shown(name);
      line.setAttribute("stroke", cssColor(DIVERGING, value, -biggest, biggest));
      line.setAttribute("stroke-width", known(name) ? (2 + 12 * Math.abs(value) / biggest).toFixed(2) : "2");
      line.classList.toggle("is-pending", !known(name));
      nameLine.textContent = title(name);
      valueLine.textContent = shortNumber(value);
      text.dataset.value = String(value);
      line.classList.toggle("is-marked", marked.has(name));
      line.classList.toggle("is-dimmed", dimmed(name));
      text.classList.toggle("network__label--quiet", dimmed(name) || !known(name));
    }
    for (const name of Object.keys(NODES)) {
      const { group, value } = this.parts[name];
      group.classList.toggle("is-marked", marked.has(name));
      group.classList.toggle("network__node--quiet", dimmed(name));
      value.textContent = values && name in values ? shortNumber(values[name]) : "";
    }
    this.place();
    const what = gradients ? "gradients ∂l/∂θ" : "weights";
    this.root.setAttribute("aria-label", `2-2-1 network, ${what}: ` + names.map((n) => `${title(n)} ${shortNumber(shown(n))}`).join(", "));
  }

  /** Centre each label on its place (past its stub for a bias) and size its plate to it; no-op until laid out. */
  place() {
    for (const { text, plate, at } of Object.values(this.parts)) {
      if (!plate) continue;
      text.removeAttribute("transform");
      const box = text.getBBox();
      if (!box.width) continue;
      const dy = at.direction === 0 ? at.y - (box.y + box.height / 2) : at.direction < 0 ? at.y - 4 - (box.y + box.height) : at.y + 4 - box.y;
      const dx = at.x - (box.x + box.width / 2);
      text.setAttribute("transform", `translate(${dx.toFixed(1)} ${dy.toFixed(1)})`);
      const sides = { x: box.x + dx - 6, y: box.y + dy - 2, width: box.width + 12, height: box.height + 4 };
      for (const [name, value] of Object.entries(sides)) plate.setAttribute(name, value.toFixed(1));
    }
  }

  destroy() {
    this.el.replaceChildren();
  }
}
