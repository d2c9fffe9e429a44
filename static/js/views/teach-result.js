// What "teach this digit" did: the ten probabilities before and after the SGD steps side by side, the loss, and
// how far each layer's parameters moved (‖Δθ‖ / ‖θ‖ and the largest single change), all as text and bars.

function percent(p) {
  return p >= 0.9995 ? "100%" : p < 0.0005 ? (p > 0 ? "<0.1%" : "0%") : `${(100 * p).toFixed(1)}%`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function bar(fraction, className) {
  const track = element("span", "teach-bar");
  const fill = element("span", `teach-bar__fill ${className}`);
  fill.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  track.append(fill);
  return track;
}

export class TeachResult {
  /** el: an empty container. */
  constructor(el) {
    this.el = el;
    this.update(null);
  }

  /** lesson: the server's `taught` message, or null before any lesson (or after a reset). */
  update(lesson) {
    this.el.dataset.label = lesson ? String(lesson.label) : "";
    if (lesson === null) {
      this.el.replaceChildren(element("p", "teach-result__empty",
        "No lesson yet: this page uses the shared weights every student sees."));
      return;
    }
    const { label, steps, lr, before, after } = lesson;
    const plural = steps === 1 ? "step" : "steps";
    const summary = element("p", "teach-result__summary",
      `${steps} SGD ${plural} (learning rate ${String(Number(lr.toPrecision(3)))}) on this drawing as a ${label}: ` +
      `P(${label}) went from ${percent(before[label])} to ${percent(after[label])}, ` +
      `the loss −log P(${label}) from ${lesson.loss_before.toFixed(3)} to ${lesson.loss_after.toFixed(3)}.`);
    summary.dataset.testid = "teach-summary";
    this.el.replaceChildren(summary, this.probabilities(before, after, label), this.movements(lesson.moved));
  }

  probabilities(before, after, label) {
    const table = element("table", "teach-table");
    table.append(element("caption", "", "Probability of each digit, before and after"));
    const head = element("tr");
    for (const text of ["digit", "before", "", "after", ""]) head.append(element("th", "", text));
    table.append(element("thead"));
    table.tHead.append(head);
    const body = element("tbody");
    before.forEach((p, digit) => {
      const row = element("tr", digit === label ? "is-label" : "");
      const cells = [element("th", "", String(digit)), element("td", "number", percent(p)), element("td"),
        element("td", "number", percent(after[digit])), element("td")];
      cells[0].scope = "row";
      cells[2].append(bar(p, "is-before"));
      cells[4].append(bar(after[digit], "is-after"));
      row.append(...cells);
      body.append(row);
    });
    table.append(body);
    return table;
  }

  movements(moved) {
    const largest = Math.max(...moved.map((m) => m.relative)) || 1;
    const table = element("table", "teach-table");
    table.append(element("caption", "", "How far each layer's weights moved"));
    const head = element("tr");
    for (const text of ["layer", "‖Δθ‖ / ‖θ‖", "", "largest |Δθ|"]) head.append(element("th", "", text));
    table.append(element("thead"));
    table.tHead.append(head);
    const body = element("tbody");
    for (const m of moved) {
      const row = element("tr");
      const name = element("th", "", m.layer);
      name.scope = "row";
      const graph = element("td");
      graph.append(bar(m.relative / largest, "is-after"));
      row.append(name, element("td", "number", `${(100 * m.relative).toPrecision(2)}%`), graph,
        element("td", "number", m.largest.toPrecision(2)));
      body.append(row);
    }
    table.append(body);
    return table;
  }

  destroy() {
    this.el.replaceChildren();
  }
}
