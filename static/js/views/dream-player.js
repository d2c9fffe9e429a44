// A dream, as /lenet's input-gradient panel shows it: the snapshots of gradient ascent on the input played once in
// a large figure (ending on the last), and all of them side by side in a strip, each with its step and objective
// value. One canvas pixel per input pixel; CSS scales them up, pixelated.

import { paintHeatmap } from "../lib/canvas.js";

const SIDE = 28;
const FRAME_MS = 260;

export class DreamPlayer {
  /** figure: a <figure> holding a <canvas>; strip: an <ol> for the snapshots; scale: a LUT from lib/colors.js. */
  constructor(figure, strip, { scale }) {
    this.figure = figure;
    this.canvas = figure.querySelector("canvas");
    this.strip = strip;
    this.scale = scale;
    this.timer = null;
    this.figure.dataset.blank = "true";
  }

  /** data: {frames (F·28·28 values in 0..1, row-major), steps [F], values [F]} or null to blank it. */
  update(data) {
    clearTimeout(this.timer);
    this.strip.replaceChildren();
    if (data === null) {
      this.canvas.getContext("2d").clearRect(0, 0, this.canvas.width, this.canvas.height);
      this.figure.dataset.blank = "true";
      return;
    }
    const count = data.steps.length;
    const frame = (k) => data.frames.subarray(k * SIDE * SIDE, (k + 1) * SIDE * SIDE);
    for (let k = 0; k < count; k++) {
      const item = document.createElement("li");
      const canvas = document.createElement("canvas");
      canvas.className = "heatmap";
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `the dream after ${data.steps[k]} steps`);
      paintHeatmap(canvas, frame(k), SIDE, SIDE, this.scale, [0, 1]);
      const caption = document.createElement("span");
      caption.textContent = `${data.steps[k]}`;
      item.append(canvas, caption);
      this.strip.append(item);
    }
    this.figure.dataset.blank = "false";
    const play = (k) => {
      paintHeatmap(this.canvas, frame(k), SIDE, SIDE, this.scale, [0, 1]);
      this.figure.dataset.frame = String(k);
      this.strip.querySelectorAll("li").forEach((li, i) => li.classList.toggle("is-current", i === k));
      if (k + 1 < count) this.timer = setTimeout(() => play(k + 1), FRAME_MS);
    };
    play(0);
  }

  destroy() {
    clearTimeout(this.timer);
    this.strip.replaceChildren();
  }
}
