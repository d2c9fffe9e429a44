// The neuron's formula h(x) = g(b + w₁x₁ + w₂x₂) with the numbers the server used, the range of h that g sets,
// and where the line a(x) = 0 lies: its turn (set by w₁, w₂ only) and its distance from the origin (moved by b).

import { formatValue } from "../lib/format.js";
import { el, math, mi, mn, mo, mrow, parens, symbol } from "../lib/math.js";

const NAMES = { sigmoid: "σ", tanh: "tanh", relu: "ReLU", step: "step", identity: "id" };

function bound(value, infinite) {
  return value === null ? infinite : formatValue(value, 3);
}

export class NeuronFormula {
  constructor(el) {
    this.el = el;
    this.formula = document.createElement("div");
    this.formula.className = "neuron-formula";
    this.formula.dataset.testid = "neuron-formula";
    this.facts = document.createElement("dl");
    this.facts.className = "facts";
    el.append(this.formula, this.facts);
  }

  /** data: the neuron_surface header (w1, w2, b, g, range, level, angle_deg, offset). */
  update({ w1, w2, b, g, range, level, angle_deg: angle, offset }) {
    const term = (w, x) => [mo("+"), w < 0 ? parens(mn(w, 3)) : mn(w, 3), mo("·"), symbol(x)];
    const applied = mrow(el("mi", NAMES[g]), parens(mn(b, 3), ...term(w1, "x1"), ...term(w2, "x2")));
    const x = el("mi", "x");
    x.setAttribute("mathvariant", "bold");
    this.formula.replaceChildren(math([mi("h"), parens(x), mo("="), applied]));
    const [lo, hi] = range;
    const facts = [
      ["Range of h (set by g)", `${bound(lo, "−∞")} to ${bound(hi, "∞")}`, "neuron-range"],
      ["h on the line a(x) = 0", formatValue(level, 3), "neuron-level"],
      ["Turn of the line (direction of w)", angle === null ? "none: w₁ = w₂ = 0, h is flat" : `${formatValue(angle, 4)}°`, "neuron-angle"],
      ["Distance of the line from the origin, −b/‖w‖", offset === null ? "–" : formatValue(offset, 4), "neuron-offset"],
    ];
    this.facts.replaceChildren(...facts.flatMap(([label, value, testid]) => {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.className = "number";
      dd.textContent = value;
      dd.dataset.testid = testid;
      return [dt, dd];
    }));
  }

  destroy() {
    this.el.replaceChildren();
  }
}
