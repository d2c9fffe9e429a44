// Derivative terms listed layer by layer, each typeset as a MathML fraction ∂of/∂wrt: the backward path with
// the terms carried over from the layer above in parentheses (as on the slide), the forward path as the
// instrumented code computed it, or the slide's own forward listing with its repeated and structurally zero
// terms struck through.

import { math, mo, partial, partialText } from "../lib/math.js";

const STATUS_WORDS = { repeated: "listed twice", zero: "structurally zero" };

function term(of, wrt, status = "computed") {
  const item = document.createElement("li");
  item.className = `term term--${status}`;
  item.append(math([partial(of, wrt)], "inline"));
  item.title = status === "computed" ? partialText(of, wrt) : `${partialText(of, wrt)}: ${STATUS_WORDS[status]}`;
  if (status !== "computed") {
    const note = document.createElement("span");
    note.className = "visually-hidden";
    note.textContent = ` (${STATUS_WORDS[status]})`;
    item.append(note);
  }
  return item;
}

function carriedGroup(pairs) {
  const item = document.createElement("li");
  item.className = "term term--carried";
  const children = [mo("(")];
  pairs.forEach(([of, wrt], i) => {
    if (i) children.push(mo(","));
    children.push(partial(of, wrt));
  });
  children.push(mo(")"));
  item.append(math(children, "inline"));
  item.title = `carried over: ${pairs.map(([of, wrt]) => partialText(of, wrt)).join(", ")}`;
  return item;
}

export class TermListing {
  /** options: testid (data-testid of each layer block is `${testid}-${label}` with spaces as dashes). */
  constructor(el, { testid = "terms" } = {}) {
    this.el = el;
    this.testid = testid;
  }

  /**
   * layers: [{label, count, terms: [[of, wrt]] or [{of, wrt, status}], carried: [[of, wrt]] (optional)}] in the
   * order to show them.
   */
  update(layers) {
    this.el.replaceChildren(...layers.map(({ label, count, terms, carried = [] }) => {
      const block = document.createElement("div");
      block.className = "term-layer";
      block.dataset.testid = `${this.testid}-${label.replaceAll(" ", "-")}`;
      const heading = document.createElement("h4");
      heading.textContent = `${label[0].toUpperCase()}${label.slice(1)} (${count})`;
      const list = document.createElement("ul");
      for (const entry of terms) {
        list.append(Array.isArray(entry) ? term(...entry) : term(entry.of, entry.wrt, entry.status));
      }
      if (carried.length) list.append(carriedGroup(carried));
      block.append(heading, list);
      return block;
    }));
  }

  destroy() {
    this.el.replaceChildren();
  }
}
