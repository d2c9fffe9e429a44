// conv1's six 5×5 kernels before the class step, the step's Δ and after it: three rows of heatmaps on the diverging
// scale (blue negative, red positive), before and after on one scale so they compare, Δ on its own (it is smaller).

import { paintHeatmap } from "../lib/canvas.js";
import { DIVERGING } from "../lib/colors.js";
import { formatValue } from "../lib/format.js";

const SIDE = 5;

export class KernelUpdate {
  /** el: an empty container. */
  constructor(el) {
    this.el = el;
    this.el.classList.add("kernel-update");
  }

  /** rows: class-step-model.js kernelRows(): [{name, kernels: six arrays of 25, bounds: [lo, hi]}]. */
  update(rows) {
    this.el.replaceChildren(...rows.map((row) => {
      const line = document.createElement("div");
      line.className = "kernel-update__row";
      line.dataset.testid = `kernel-update-${row.name === "Δ" ? "delta" : row.name}`;
      const name = document.createElement("span");
      name.className = "kernel-update__name";
      name.textContent = `${row.name} (±${formatValue(row.bounds[1], 2)})`;
      line.append(name, ...row.kernels.map((values, k) => {
        const canvas = document.createElement("canvas");
        canvas.className = "kernel-update__kernel";
        canvas.setAttribute("aria-label", `conv1 kernel ${k + 1}, ${row.name}`);
        paintHeatmap(canvas, values, SIDE, SIDE, DIVERGING, row.bounds);
        return canvas;
      }));
      return line;
    }));
  }

  destroy() {
    this.el.replaceChildren();
    this.el.classList.remove("kernel-update");
  }
}
