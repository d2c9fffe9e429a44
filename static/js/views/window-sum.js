// The arithmetic of the current step in words and numbers: the element-wise products of each channel and their
// sum, then the total (plus the bias) that lands in the output cell. Every number comes from the server's plan;
// the phase ("window", "products", "sum") decides how much is revealed while the animation plays.

import { formatNumber } from "../lib/format.js";

export class WindowSum {
  constructor(el) {
    this.el = el;
    this.el.classList.add("window-sum");
  }

  /**
   * data: heading, lines [{label, terms: [string], result}], total {text, value, target}, note, phase.
   * A result or value that is null is still on its way (shown as "…").
   */
  update(data) {
    this.el.dataset.phase = data.phase ?? "sum";
    const parts = [];
    if (data.heading) parts.push(el("p", "window-sum__heading", data.heading));
    for (const line of data.lines ?? []) {
      const p = el("p", "window-sum__line");
      if (line.label) p.append(el("span", "window-sum__label", `${line.label}: `));
      p.append(el("span", "window-sum__terms", line.terms.length ? line.terms.join(" + ") : "…"));
      if (line.result !== undefined) {
        p.append(el("span", "window-sum__equals", " = "), el("span", "window-sum__result number", value(line.result)));
      }
      parts.push(p);
    }
    if (data.total) {
      const total = el("p", "window-sum__total");
      total.append(el("span", "", `${data.total.text} = `));
      const out = el("output", "big-number", value(data.total.value));
      out.dataset.testid = "conv-sum-value";
      total.append(out);
      if (data.total.target) total.append(el("span", "window-sum__target", ` → ${data.total.target}`));
      parts.push(total);
    }
    if (data.note) parts.push(el("p", "window-sum__note", data.note));
    this.el.replaceChildren(...parts);
  }

  destroy() {
    this.el.replaceChildren();
  }
}

function value(v) {
  return v === null || v === undefined ? "…" : formatNumber(v);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
