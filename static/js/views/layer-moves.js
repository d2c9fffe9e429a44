// How far each layer of LeNet-5 moved in the class step: one bar per layer, its length the layer's ‖Δw‖/‖w‖ as a
// fraction of the largest, with the numbers beside it.

export class LayerMoves {
  /** el: an empty list element (<ul>). */
  constructor(el) {
    this.el = el;
    this.el.classList.add("layer-moves");
  }

  /** rows: class-step-model.js moves(): [{layer, fraction, text}]. */
  update(rows) {
    this.el.replaceChildren(...rows.map((row) => {
      const item = document.createElement("li");
      item.dataset.testid = `layer-move-${row.layer}`;
      const bar = document.createElement("span");
      bar.className = "layer-moves__bar";
      bar.style.setProperty("--fraction", String(row.fraction));
      const text = document.createElement("span");
      text.textContent = row.text;
      item.append(bar, text);
      return item;
    }));
  }

  destroy() {
    this.el.replaceChildren();
    this.el.classList.remove("layer-moves");
  }
}
