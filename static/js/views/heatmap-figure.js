// One map drawn large: the 28×28 image the network sees, or the saliency map of the explained class. One canvas
// pixel per value (CSS scales it up, pixelated), a colour scale from lib/colors.js, and an optional box marking
// a receptive field, whose size is also written as text and in data attributes for scripts and tests.

import { paintHeatmap } from "../lib/canvas.js";

export class HeatmapFigure {
  /** el: a container holding a <canvas class="heatmap">; options.scale: a LUT from lib/colors.js. */
  constructor(el, { scale }) {
    this.el = el;
    this.scale = scale;
    this.canvas = el.querySelector("canvas");
    this.frame = document.createElement("div");
    this.frame.className = "heatmap-figure__frame";
    this.canvas.replaceWith(this.frame);
    this.frame.append(this.canvas);
    this.box = document.createElement("div");
    this.box.className = "rf-box";
    this.box.hidden = true;
    this.frame.append(this.box);
  }

  /** data: {values (row-major), width, height, bounds [lo, hi]} or null to blank the figure. */
  update(data) {
    this.el.dataset.blank = String(data === null);
    if (data === null) {
      const context = this.canvas.getContext("2d");
      context.clearRect(0, 0, this.canvas.width, this.canvas.height);
      return;
    }
    this.size = [data.height, data.width];
    paintHeatmap(this.canvas, data.values, data.width, data.height, this.scale, data.bounds);
  }

  /** Mark rows [r0, r1] × cols [c0, c1] (inclusive, already clipped to the map), or nothing with null. */
  highlight(region) {
    this.box.hidden = region === null || !this.size;
    if (this.box.hidden) {
      delete this.el.dataset.highlight;
      return;
    }
    const [r0, r1, c0, c1] = region;
    const [height, width] = this.size;
    Object.assign(this.box.style, {
      top: `${(100 * r0) / height}%`,
      left: `${(100 * c0) / width}%`,
      height: `${(100 * (r1 - r0 + 1)) / height}%`,
      width: `${(100 * (c1 - c0 + 1)) / width}%`,
    });
    this.el.dataset.highlight = `${r1 - r0 + 1}x${c1 - c0 + 1}`;
  }

  destroy() {
    this.box.remove();
  }
}
