import assert from "node:assert/strict";
import { test } from "node:test";

import { DIVERGING, SEQUENTIAL, cssColor, level, range } from "../../../static/js/lib/colors.js";

const luminance = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

test("both scales are 256 colours running from their first stop to their last", () => {
  assert.equal(SEQUENTIAL.length, 256);
  assert.equal(DIVERGING.length, 256);
  assert.deepEqual(SEQUENTIAL[0], [0x44, 0x01, 0x54]); // viridis #440154
  assert.deepEqual(SEQUENTIAL[255], [0xfd, 0xe7, 0x25]); // #fde725
  assert.deepEqual(DIVERGING[0], [0x05, 0x30, 0x61]); // RdBu #053061
  assert.deepEqual(DIVERGING[255], [0x67, 0x00, 0x1f]); // #67001f
  for (const colour of [...SEQUENTIAL, ...DIVERGING]) {
    assert.ok(colour.every((c) => Number.isInteger(c) && c >= 0 && c <= 255), String(colour));
  }
});

test("the sequential scale gets lighter all the way (readable in greyscale)", () => {
  for (let i = 1; i < 256; i++) assert.ok(luminance(SEQUENTIAL[i]) >= luminance(SEQUENTIAL[i - 1]), `step ${i}`);
});

test("the diverging scale is near white in the middle, blue below and red above", () => {
  const middle = DIVERGING[level(0, -1, 1)];
  assert.ok(middle.every((c) => c >= 240), String(middle));
  const [r0, , b0] = DIVERGING[level(-0.5, -1, 1)];
  const [r1, , b1] = DIVERGING[level(0.5, -1, 1)];
  assert.ok(b0 > r0 && r1 > b1);
});

test("level maps [lo, hi] onto 0…255, clamped, and the middle when the range is empty", () => {
  assert.equal(level(0, 0, 10), 0);
  assert.equal(level(10, 0, 10), 255);
  assert.equal(level(5, 0, 10), 128);
  assert.equal(level(1, 0, 4), 64);
  assert.equal(level(-3, 0, 10), 0);
  assert.equal(level(99, 0, 10), 255);
  assert.equal(level(1, 1, 1), 128);
  assert.equal(level(1, 2, 1), 128);
});

test("cssColor writes the scale's colour for a value", () => {
  assert.equal(cssColor(SEQUENTIAL, 0, 0, 1), "rgb(68 1 84)");
  assert.equal(cssColor(DIVERGING, 1, -1, 1), "rgb(103 0 31)");
});

test("range: the values' span, symmetric for signed data, widened when flat", () => {
  assert.deepEqual(range([3, -1, 2]), [-1, 3]);
  assert.deepEqual(range(new Float32Array([0.5, 0.25])), [0.25, 0.5]);
  assert.deepEqual(range([3, -1, 2], true), [-3, 3]);
  assert.deepEqual(range([-4, 1], true), [-4, 4]);
  assert.deepEqual(range([2, 2]), [1, 3]);
  assert.deepEqual(range([0, 0], true), [-1, 1]);
});
