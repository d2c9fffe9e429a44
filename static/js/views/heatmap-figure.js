// One map drawn large: the 28×28 image the network sees, or the saliency map of the explained class laid over
// it. One canvas pixel per value (CSS scales it up, pixelated), a colour scale from lib/colors.js, and an optional
// box marking a receptive field, whose size is also written as text and in data attributes for scripts and tests.

import { paintHeatmap } from "../lib/canvas.js";
import { level } from "../lib/colors.js";

/**
 * Paint signed values over a greyscale base (ink 0..1, dark on white): each pixel takes the scale's colour with
 * an opacity growing with |value| / bound, so the strongest pixels show in full and the rest let the digit through.
 */
export function paintOverlay(canvas, base, values, width, height, scale, bound) {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const grey = 255 - 170 * Math.max(0, Math.min(1, base[i]));
    const alpha = Math.min(1, (1.5 * Math.abs(values[i])) / bound);
    const colour = scale[level(values[i], -bound, bound)];
    image.data.set([0, 1, 2].map((c) => grey * (1 - alpha) + colour[c] * alpha).concat(255), 4 * i);
  }
  context.putImageData(image, 0, 0);
}

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

  /**
   * data: {values (row-major), width, height, bounds [lo, hi], base?} or null to blank the figure; with base (ink
   * 0..1) the signed values are laid over it (paintOverlay, bounds symmetric about 0).
   */
  update(data) {
    this.el.dataset.blank = String(data === null);
    if (data === null) {
      const context = this.canvas.getContext("2d");
      context.clearRect(0, 0, this.canvas.width, this.canvas.height);
      return;
    }
    this.size = [data.height, data.width];
    if (data.base) paintOverlay(this.canvas, data.base, data.values, data.width, data.height, this.scale, data.bounds[1]);
    else paintHeatmap(this.canvas, data.values, data.width, data.height, this.scale, data.bounds);
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
