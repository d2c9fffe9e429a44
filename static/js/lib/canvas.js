// Canvas helpers: draw grids of numbers at native resolution (one pixel per value); CSS scales them up with
// image-rendering: pixelated, so a 28×28 map stays sharp at any size.

import { level, range } from "./colors.js";

/** Paint values (row-major, height×width) on canvas with a colour scale over [lo, hi] (default: their range). */
export function paintHeatmap(canvas, values, width, height, scale, bounds = range(values)) {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  const [lo, hi] = bounds;
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = scale[level(values[i], lo, hi)];
    image.data.set([r, g, b, 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
}

/** The cell (row, col) of a width×height grid under a pointer event on an element drawn at any CSS size. */
export function cellAt(event, element, width, height) {
  const box = element.getBoundingClientRect();
  const col = Math.floor(((event.clientX - box.left) / box.width) * width);
  const row = Math.floor(((event.clientY - box.top) / box.height) * height);
  return row >= 0 && row < height && col >= 0 && col < width ? { row, col } : null;
}
