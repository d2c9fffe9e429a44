// The class step's ranked strip: the drawings with the largest share of the mean gradient, largest first, each as
// the 28×28 image LeNet read (black ink on white), a bar of its share, what it was meant and read as, and its loss
// before → after, with five small bars of its gradient's norm in each layer (conv1 … fc3, as a share of its largest).
// The student's own drawing is outlined; a misread one (the label noise) is marked.

import { SIDE, decodePixels } from "../lib/gallery.js";
import { paintInk } from "./class-gallery.js";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class ClassStrip {
  /** el: an empty list element (<ol>). */
  constructor(el) {
    this.el = el;
    this.el.classList.add("class-strip");
  }

  /** tiles: class-step-model.js ranked() items, each with its caption `text` and its bars' sentence `layersText`. */
  update(tiles) {
    this.el.replaceChildren(...tiles.map((tile) => {
      const item = element("li", "class-strip__tile");
      item.dataset.testid = `class-step-tile-${tile.id}`;
      item.dataset.mine = String(tile.mine);
      item.dataset.misread = String(tile.misread);
      const canvas = element("canvas", "class-strip__image");
      canvas.setAttribute("aria-label", `drawing #${tile.id}`);
      paintInk(canvas, decodePixels(tile.pixels));
      const bar = element("span", "class-strip__bar");
      bar.style.setProperty("--share", String(Math.max(0, Math.min(1, tile.share))));
      const layers = element("span", "class-strip__layers");
      layers.setAttribute("role", "img");
      layers.setAttribute("aria-label", tile.layersText);
      layers.title = tile.layersText;
      layers.append(...tile.layers.map((layer) => {
        const column = element("i");
        column.style.setProperty("--fraction", String(layer.fraction));
        return column;
      }));
      const text = element("span", "class-strip__text", tile.text);
      text.prepend(layers);
      item.append(element("span", "class-strip__rank", `${tile.rank}`), canvas, bar, text);
      return item;
    }));
    this.el.hidden = tiles.length === 0;
  }

  destroy() {
    this.el.replaceChildren();
    this.el.classList.remove("class-strip");
  }
}
