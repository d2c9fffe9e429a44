// The class's confusion matrix: one row per digit the students meant (their tags), one column per digit LeNet
// read (the server's predictions), a count in each cell; the untagged drawings in a row of their own, and the
// accuracy on the tagged ones as text. The counts come from lib/gallery.js's tally of the server's answers.

const CLASSES = 10;

function cell(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

export class ConfusionMatrix {
  /** el: an empty container; the table and the summary are built once, update() changes the numbers. */
  constructor(el) {
    this.el = el;
    this.el.classList.add("confusion-matrix");
    const table = document.createElement("table");
    table.className = "confusion-matrix__table";
    const caption = cell("caption", "Rows: the digit the student meant. Columns: the digit LeNet-5 read.");
    const head = document.createElement("thead");
    const top = document.createElement("tr");
    top.append(cell("th", "meant ↓ read →", "confusion-matrix__corner"));
    for (let p = 0; p < CLASSES; p++) top.append(Object.assign(cell("th", String(p)), { scope: "col" }));
    head.append(top);
    const body = document.createElement("tbody");
    this.cells = [];
    for (let t = 0; t < CLASSES; t++) this.cells.push(this.row(body, String(t), `${t}`, t));
    this.untagged = this.row(body, "not tagged", "none", null);
    this.untagged[0].parentElement.classList.add("confusion-matrix__untagged");
    table.append(caption, head, body);
    this.summary = cell("p", "", "confusion-matrix__summary");
    this.summary.dataset.testid = "room-accuracy";
    this.el.replaceChildren(table, this.summary);
    this.update({ cells: this.cells.map(() => new Array(CLASSES).fill(0)), untagged: new Array(CLASSES).fill(0),
      tagged: 0, correct: 0, untaggedTotal: 0 });
  }

  row(body, label, key, tag) {
    const tr = document.createElement("tr");
    tr.append(Object.assign(cell("th", label), { scope: "row" }));
    const cells = [];
    for (let p = 0; p < CLASSES; p++) {
      const td = cell("td", "");
      td.dataset.testid = `room-confusion-${key}-${p}`;
      if (tag === p) td.classList.add("is-diagonal");
      cells.push(td);
      tr.append(td);
    }
    body.append(tr);
    return cells;
  }

  /** counts: {cells[tag][prediction], untagged[prediction], tagged, correct, untaggedTotal}. */
  update({ cells, untagged, tagged, correct, untaggedTotal }) {
    const show = (td, count, tag, p) => {
      td.textContent = count ? String(count) : "";
      td.dataset.count = String(count);
      td.classList.toggle("is-filled", count > 0);
      td.classList.toggle("is-wrong", count > 0 && tag !== null && tag !== p);
      const meant = tag === null ? "not tagged" : `meant ${tag}`;
      td.setAttribute("aria-label", `${meant}, read as ${p}: ${count}`);
    };
    cells.forEach((row, t) => row.forEach((count, p) => show(this.cells[t][p], count, t, p)));
    untagged.forEach((count, p) => show(this.untagged[p], count, null, p));
    const accuracy = tagged
      ? `LeNet-5 read ${correct} of the ${tagged} tagged drawings as meant (${Math.round((100 * correct) / tagged)}%).`
      : "No tagged drawing yet: the accuracy needs students to say what they meant.";
    const rest = untaggedTotal ? ` ${untaggedTotal} not tagged.` : "";
    this.summary.textContent = accuracy + rest;
    this.summary.dataset.correct = String(correct);
    this.summary.dataset.tagged = String(tagged);
  }

  destroy() {
    this.el.replaceChildren();
  }
}
