// "Check the gradients": for each parameter, app/nn's backpropagated gradient next to the central finite
// difference the server computed with app/nn's gradient check, and their relative error.

import { formatValue } from "../lib/format.js";
import { symbolText } from "../lib/math.js";

const AGREE = 1e-6;

function cell(tag, text, className = "") {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

export class GradientCheck {
  constructor(el) {
    this.el = el;
    this.summary = document.createElement("p");
    this.summary.className = "gradcheck__summary";
    this.summary.dataset.testid = "gradcheck-summary";
    this.table = document.createElement("table");
    this.table.className = "gradcheck";
    const head = document.createElement("tr");
    for (const text of ["Parameter", "In app/nn", "Backpropagation", "Finite difference", "Relative error"]) {
      const th = cell("th", text);
      th.scope = "col";
      head.append(th);
    }
    this.body = document.createElement("tbody");
    this.table.append(document.createElement("thead"), this.body);
    this.table.tHead.append(head);
    el.append(this.summary, this.table);
  }

  /** data: the xor_derivation message (check rows, eps, example, step). */
  update({ check, eps, example, step }) {
    this.body.replaceChildren(...check.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.param = row.name;
      const name = cell("th", symbolText(row.name));
      name.scope = "row";
      const analytic = cell("td", formatValue(row.analytic, 6), "number");
      analytic.dataset.value = String(row.analytic);
      const numeric = cell("td", formatValue(row.numeric, 6), "number");
      numeric.dataset.value = String(row.numeric);
      const error = cell("td", formatValue(row.relative_error, 2), `number ${row.relative_error < AGREE ? "is-ok" : "is-off"}`);
      tr.append(name, cell("td", row.engine_name, "gradcheck__where"), analytic, numeric, error);
      return tr;
    }));
    const worst = Math.max(...check.map((row) => row.relative_error));
    this.summary.textContent = worst < AGREE
      ? `All ${check.length} gradients for example ${example + 1} (step ${step}) agree with the finite differences (ε = ${formatValue(eps)} and ${formatValue(eps / 2)}): the largest relative error is ${formatValue(worst, 2)}, below ${formatValue(AGREE)}.`
      : `The largest relative error is ${formatValue(worst, 2)} (example ${example + 1}, step ${step}): finite differences in float64 lose digits when a gradient is this close to zero.`;
  }

  destroy() {
    this.el.replaceChildren();
  }
}
