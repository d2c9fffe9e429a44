// A small table of points and the numbers the server computed for each (inputs, targets, outputs, losses),
// so the numbers that matter are text on the page, not only colours.

import { formatValue } from "../lib/format.js";

export class PointTable {
  /** options: columns [{key, label, digits}], caption, testid (cells get data-testid `${testid}-${row}-${key}`). */
  constructor(el, { columns, caption, testid = "points" }) {
    this.el = el;
    this.columns = columns;
    this.testid = testid;
    const table = document.createElement("table");
    table.className = "points";
    const cap = document.createElement("caption");
    cap.textContent = caption;
    const head = document.createElement("tr");
    for (const { label } of columns) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = label;
      head.append(th);
    }
    table.createTHead().append(head);
    this.body = table.createTBody();
    table.prepend(cap);
    el.append(table);
  }

  /** rows: objects with a number (or null) under each column's key; highlight: index of a row to mark, or null. */
  update(rows, highlight = null) {
    this.body.replaceChildren(...rows.map((row, i) => {
      const tr = document.createElement("tr");
      tr.classList.toggle("is-marked", i === highlight);
      for (const { key, digits = 4 } of this.columns) {
        const td = document.createElement("td");
        td.className = "number";
        td.textContent = formatValue(row[key], digits);
        td.dataset.testid = `${this.testid}-${i}-${key}`;
        if (row[key] !== null && row[key] !== undefined) td.dataset.value = String(row[key]);
        tr.append(td);
      }
      return tr;
    }));
  }

  destroy() {
    this.el.replaceChildren();
  }
}
