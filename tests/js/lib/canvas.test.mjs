import assert from "node:assert/strict";
import { test } from "node:test";

import { cellAt, paintHeatmap } from "../../../static/js/lib/canvas.js";
import { SEQUENTIAL } from "../../../static/js/lib/colors.js";

// canvas.js works on the canvas and pointer objects it is given: plain stand-ins here.
function fakeCanvas() {
  const canvas = { width: 0, height: 0, painted: null };
  canvas.getContext = () => ({
    createImageData: (w, h) => ({ width: w, height: h, data: new Uint8ClampedArray(4 * w * h) }),
    putImageData: (image, x, y) => (canvas.painted = { image, x, y }),
  });
  return canvas;
}

test("paintHeatmap paints one pixel per value at the canvas's native size", () => {
  const canvas = fakeCanvas();
  paintHeatmap(canvas, [0, 0.5, 1, 2, -1, 1], 3, 2, SEQUENTIAL, [0, 1]);
  assert.deepEqual([canvas.width, canvas.height], [3, 2]);
  const { data } = canvas.painted.image;
  const pixel = (i) => Array.from(data.subarray(4 * i, 4 * i + 4));
  assert.deepEqual(pixel(0), [...SEQUENTIAL[0], 255]);
  assert.deepEqual(pixel(1), [...SEQUENTIAL[128], 255]);
  assert.deepEqual(pixel(2), [...SEQUENTIAL[255], 255]);
  assert.deepEqual(pixel(3), [...SEQUENTIAL[255], 255], "clamped above");
  assert.deepEqual(pixel(4), [...SEQUENTIAL[0], 255], "clamped below");
});

test("paintHeatmap defaults to the values' own range", () => {
  const canvas = fakeCanvas();
  paintHeatmap(canvas, [10, 20], 2, 1, SEQUENTIAL);
  const { data } = canvas.painted.image;
  assert.deepEqual(Array.from(data.subarray(0, 3)), SEQUENTIAL[0]);
  assert.deepEqual(Array.from(data.subarray(4, 7)), SEQUENTIAL[255]);
});

test("cellAt finds the grid cell under the pointer at any CSS size, null outside", () => {
  const element = { getBoundingClientRect: () => ({ left: 100, top: 50, width: 280, height: 280 }) };
  assert.deepEqual(cellAt({ clientX: 100, clientY: 50 }, element, 28, 28), { row: 0, col: 0 });
  assert.deepEqual(cellAt({ clientX: 379.9, clientY: 329.9 }, element, 28, 28), { row: 27, col: 27 });
  assert.deepEqual(cellAt({ clientX: 125, clientY: 61 }, element, 28, 28), { row: 1, col: 2 });
  assert.equal(cellAt({ clientX: 380, clientY: 60 }, element, 28, 28), null);
  assert.equal(cellAt({ clientX: 99, clientY: 60 }, element, 28, 28), null);
});
