// One step of the backward pass made visible (the /lenet page's Backward mode): the step's sentences and, for the
// stage δ just reached, what its way there did on one map (the one with the largest |δ|): max pooling's routing
// (δ only at each window's winner, the windows drawn), the ReLU mask (active units white) and ∂l/∂z = δ · mask.
// Dense stages show the same as vertical strips. Every number comes from the server's `backward` frame.

import { paintHeatmap } from "../lib/canvas.js";
import { liveliestMap, stepText } from "../pages/lenet/lenet-backward-steps.js";

const CELL_PX = 12; // canvas pixels per cell, so window lines and winner marks stay sharp
const MASK_SCALE = [[17, 17, 17], [255, 255, 255]];

function symmetric(data) {
  let largest = 0;
  for (const v of data) largest = Math.max(largest, Math.abs(v));
  return [-(largest || 1), largest || 1];
}

/** A 256-entry scale from two colours, for 0/1 maps. */
function twoTone() {
  return Array.from({ length: 256 }, (_, i) => MASK_SCALE[i < 128 ? 0 : 1]);
}

export class BackwardStep {
  /** el: an empty container; scales: {diverging} (a LUT). */
  constructor(el, { scales }) {
    this.el = el;
    this.scales = scales;
    this.mask = twoTone();
    el.classList.add("backward-step");
    this.title = Object.assign(document.createElement("h3"), { className: "backward-step__title" });
    this.text = Object.assign(document.createElement("ul"), { className: "backward-step__text" });
    this.figures = Object.assign(document.createElement("div"), { className: "backward-step__figures" });
    el.append(this.title, this.text, this.figures);
  }

  /** frame: the `backward` frame ({header, arrays}), or null for nothing. */
  update(frame) {
    this.figures.replaceChildren();
    if (!frame || frame.header.empty) {
      this.title.textContent = "";
      this.text.replaceChildren();
      return;
    }
    const { header, arrays } = frame;
    const { title, lines } = stepText(header);
    this.title.textContent = title;
    this.text.replaceChildren(...lines.map((line) => Object.assign(document.createElement("li"), { textContent: line })));
    const stage = header.stage;
    const delta = arrays[`delta.${stage}`];
    const spatial = delta.shape.length === 3;
    const channels = spatial ? delta.shape[0] : 1;
    const [height, width] = spatial ? delta.shape.slice(1) : [delta.shape[0], 1];
    const channel = liveliestMap(delta.data, channels);
    const pick = (array) => array.data.subarray(channel * height * width, (channel + 1) * height * width);
    if (header.step.stamp) {
      this.stamp(header, arrays, width, height);
      return;
    }
    if (spatial) {
      this.figures.append(Object.assign(document.createElement("p"), {
        className: "backward-step__which",
        textContent: `${stage} map ${channel} (largest |δ|):`,
      }));
    }
    const routed = arrays[`routed.${stage}`];
    const window = header.step.routing?.window;
    this.figure(pick(delta), width, height, this.scales.diverging, symmetric(pick(delta)),
      routed ? "δ to winners" : `δ at ${stage}`,
      routed ? { winners: pick(routed), side: Math.round(Math.sqrt(window)) } : null);
    const mask = arrays[`mask.${stage}`];
    if (mask) {
      this.figure(pick(mask), width, height, this.mask, [0, 1], "ReLU mask");
      const z = pick(arrays[`zdelta.${stage}`]);
      this.figure(z, width, height, this.scales.diverging, symmetric(z), "∂l/∂z");
    }
  }

  /** Through a convolution: one map of ∂l/∂z beyond it, the kernel that links it to one map here, flipped, and
   * that map's δ (the sum of every map's kernels stamped back; the step's text says so). */
  stamp(header, arrays, width, height) {
    const { map, channel } = header.step.stamp;
    const through = header.step.through.stage;
    const z = arrays["stamp.zdelta"];
    const kernel = arrays["stamp.kernel"];
    const delta = arrays[`delta.${header.stage}`].data.subarray(channel * height * width, (channel + 1) * height * width);
    this.figure(z.data, z.shape[1], z.shape[0], this.scales.diverging, symmetric(z.data), `∂l/∂z ${through} ${map}`);
    this.figure(kernel.data, kernel.shape[1], kernel.shape[0], this.scales.diverging, symmetric(kernel.data), `w[${map}, ${channel}] flipped`);
    this.figure(delta, width, height, this.scales.diverging, symmetric(delta), `δ ${header.stage} ${channel}`);
  }

  /** One captioned map, drawn CELL_PX per cell; with routing, each window outlined and its winner marked. */
  figure(values, width, height, scale, bounds, caption, routing = null) {
    const figure = document.createElement("figure");
    figure.className = "backward-step__figure";
    figure.dataset.testid = "backward-figure";
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", caption);
    const native = document.createElement("canvas");
    paintHeatmap(native, values, width, height, scale, bounds);
    canvas.width = width * CELL_PX;
    canvas.height = height * CELL_PX;
    const context = canvas.getContext("2d");
    context.imageSmoothingEnabled = false;
    context.drawImage(native, 0, 0, canvas.width, canvas.height);
    if (routing) drawRouting(context, routing, width, height);
    if (width === 1) canvas.classList.add("is-strip");
    figure.append(canvas, Object.assign(document.createElement("figcaption"), { textContent: caption }));
    this.figures.append(figure);
  }

  destroy() {
    this.el.replaceChildren();
  }
}

/** Outline every pooling window and ring the cell that won it (where its δ went). */
function drawRouting(context, { winners, side }, width, height) {
  context.strokeStyle = "rgba(0, 0, 0, 0.55)";
  context.lineWidth = 1;
  for (let k = side; k < Math.max(width, height); k += side) {
    context.beginPath();
    context.moveTo(k * CELL_PX + 0.5, 0);
    context.lineTo(k * CELL_PX + 0.5, height * CELL_PX);
    context.moveTo(0, k * CELL_PX + 0.5);
    context.lineTo(width * CELL_PX, k * CELL_PX + 0.5);
    context.stroke();
  }
  context.strokeStyle = "#000";
  context.lineWidth = 2;
  for (let i = 0; i < width * height; i++) {
    if (winners[i] < 0.5) continue;
    const x = (i % width) * CELL_PX;
    const y = Math.floor(i / width) * CELL_PX;
    context.strokeRect(x + 2, y + 2, CELL_PX - 4, CELL_PX - 4);
  }
}
