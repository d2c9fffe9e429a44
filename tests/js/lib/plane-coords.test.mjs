import assert from "node:assert/strict";
import { test } from "node:test";

import { segmentPath, toPlane, toX, toY } from "../../../static/js/lib/plane-coords.js";

const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

test("the box's ends sit half a pixel in from the picture's edges", () => {
  close(toX(-2, [-2, 2], 41), (0.5 / 41) * 100);
  close(toX(2, [-2, 2], 41), (40.5 / 41) * 100);
  close(toY(2, [-2, 2], 41), (0.5 / 41) * 100);
});

test("toPlane undoes toX and toY", () => {
  const box = [-0.5, 1.5];
  for (const [u, v] of [[0, 0], [1, 1], [0.3, -0.2], [1.5, -0.5]]) {
    const [pu, pv] = toPlane(toX(u, box, 61) / 100, toY(v, box, 61) / 100, box, 61);
    close(pu, u);
    close(pv, v);
  }
});

test("toPlane keeps a click at the very edge inside the box", () => {
  assert.deepEqual(toPlane(0, 1, [-2, 2], 41), [-2, -2]);
  assert.deepEqual(toPlane(1, 0, [-2, 2], 41), [2, 2]);
});

test("segments become one SVG path of move-line pairs", () => {
  const path = segmentPath(Float32Array.from([0, 0, 1, 1, -1, 0, 0, 0]), [-1, 1], 3);
  assert.equal(path.match(/M/g).length, 2);
  assert.equal(path.match(/L/g).length, 2);
  assert.ok(path.startsWith("M50.00 50.00L"));
  assert.equal(segmentPath(new Float32Array(0), [-1, 1], 3), "");
});
