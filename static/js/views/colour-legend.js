// A colour scale's legend: the gradient as a strip, with the values at its ends (and 0 in the middle of a
// diverging scale) as text.

import { formatNumber } from "../lib/format.js";

export class ColourLegend {
  /** el: an empty container; options.scale is a 256-entry LUT from lib/colors.js, options.caption its meaning. */
  constructor(el, { scale, caption = "" }) {
    this.el = el;
    el.classList.add("colour-legend");
    this.strip = document.createElement("canvas");
    this.strip.className = "colour-legend__strip";
    this.strip.width = 256;
    this.strip.height = 1;
    this.strip.setAttribute("aria-hidden", "true");
    this.labels = document.createElement("div");
    this.labels.className = "colour-legend__labels number";
    this.caption = document.createElement("p");
    this.caption.className = "colour-legend__caption";
    el.append(this.strip, this.labels, this.caption);
    this.setScale(scale, caption);
  }

  setScale(scale, caption) {
    const context = this.strip.getContext("2d");
    const image = context.createImageData(256, 1);
    scale.forEach(([r, g, b], i) => image.data.set([r, g, b, 255], 4 * i));
    context.putImageData(image, 0, 0);
    this.caption.textContent = caption;
  }

  /** bounds [lo, hi] of the values painted (a range around 0 also labels its 0), or texts for the labels. */
  update([lo, hi], texts = null) {
    const ends = [formatNumber(Number(lo.toPrecision(3))), formatNumber(Number(hi.toPrecision(3)))];
    texts ??= lo < 0 && hi > 0 ? [ends[0], "0", ends[1]] : ends;
    this.labels.replaceChildren(...texts.map((text) => Object.assign(document.createElement("span"), { textContent: text })));
  }

  destroy() {
    this.el.replaceChildren();
  }
}
