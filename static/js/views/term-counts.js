// How many derivative terms each layer computes: the backward path (with the terms it takes over from the
// layer above), the forward path as the instrumented code counted it and, for the slide's network, what the
// slide lists. All counts come from the server's instrumented forward and reverse mode.

export class TermCounts {
  /** options: caption, slide (show the slide's column), testid (cells: `${testid}-${row}-${column}`). */
  constructor(el, { caption, slide = false, testid = "counts" }) {
    this.el = el;
    this.slide = slide;
    this.testid = testid;
    this.table = document.createElement("table");
    this.table.className = "counts";
    const cap = this.table.createCaption();
    cap.textContent = caption;
    const head = document.createElement("tr");
    const columns = ["Layer", "Backward (carried over)", "Forward carries"];
    if (slide) columns.push("Slide lists");
    for (const text of columns) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      head.append(th);
    }
    this.table.createTHead().append(head);
    this.body = this.table.createTBody();
    this.foot = this.table.createTFoot();
    el.append(this.table);
  }

  /** rows: [{label, reverse, carried, forward, slide}] from the input side up; totals: the same keys summed. */
  update(rows, totals) {
    const line = (row, index) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = row.label;
      tr.append(th);
      const backward = document.createElement("td");
      backward.className = "number";
      backward.append(this.count(row.reverse, `${index}-reverse`));
      if (row.carried) backward.append(" (", this.count(row.carried, `${index}-carried`), ")");
      tr.append(backward);
      for (const key of ["forward", ...(this.slide ? ["slide"] : [])]) {
        const td = document.createElement("td");
        td.className = "number";
        td.append(this.count(row[key], `${index}-${key}`));
        if (key === "slide" && row.slide !== row.forward) td.classList.add("is-off");
        tr.append(td);
      }
      return tr;
    };
    this.body.replaceChildren(...rows.map(line));
    this.foot.replaceChildren(line({ label: "total", ...totals }, "total"));
  }

  /** A count as text with its test hook. */
  count(value, id) {
    const span = document.createElement("span");
    span.textContent = String(value);
    span.dataset.testid = `${this.testid}-${id}`;
    return span;
  }

  destroy() {
    this.el.replaceChildren();
  }
}
