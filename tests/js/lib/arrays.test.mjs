import assert from "node:assert/strict";
import { test } from "node:test";

import { at, flat, mapOf, shape, zeros } from "../../../static/js/lib/arrays.js";

test("shape of nested arrays", () => {
  assert.deepEqual(shape([[1, 2, 3], [4, 5, 6]]), [2, 3]);
  assert.deepEqual(shape([[[1], [2]]]), [1, 2, 1]);
  assert.deepEqual(shape(7), []);
  assert.deepEqual(shape([]), [0]);
});

test("flat lists every number row-major", () => {
  assert.deepEqual(flat([[1, 2], [3, [4, 5]]]), [1, 2, 3, 4, 5]);
  assert.deepEqual(flat(9), [9]);
});

test("zeros builds a nested array of the given dimensions", () => {
  assert.deepEqual(zeros(2, 3), [[0, 0, 0], [0, 0, 0]]);
  assert.deepEqual(zeros(1, 2, 1), [[[0], [0]]]);
  assert.equal(zeros(), 0);
  const grid = zeros(2, 2);
  grid[0][0] = 5;
  assert.equal(grid[1][0], 0, "rows are distinct arrays");
});

test("at reads a row-major multi-index", () => {
  const data = Float32Array.from({ length: 24 }, (_, i) => i);
  assert.equal(at(data, [2, 3, 4], 0, 0, 0), 0);
  assert.equal(at(data, [2, 3, 4], 0, 1, 2), 6);
  assert.equal(at(data, [2, 3, 4], 1, 2, 3), 23);
  assert.equal(at(data, [4, 6], 3, 5), 23);
});

test("mapOf is a view of the lead-th h×w map", () => {
  const data = Float32Array.from({ length: 24 }, (_, i) => i);
  const map = mapOf(data, [2, 3, 4], 1);
  assert.deepEqual(Array.from(map), [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
  map[0] = -1;
  assert.equal(data[12], -1, "a view, not a copy");
  assert.deepEqual(Array.from(mapOf(data, [2, 2, 3, 2], 3)), [18, 19, 20, 21, 22, 23]);
});
