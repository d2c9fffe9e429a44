import assert from "node:assert/strict";
import { test } from "node:test";

import { EXAMPLES, KERNELS, SEED_IMAGE, VOLUME, generator, randomVolume } from "../../../static/js/pages/conv/conv-presets.js";
import { shape } from "../../../static/js/lib/arrays.js";

test("the generator is mulberry32: the same numbers for everyone with the same seed", () => {
  const a = generator(42);
  const b = generator(42);
  const first = Array.from({ length: 5 }, () => a());
  assert.deepEqual(Array.from({ length: 5 }, () => b()), first);
  assert.ok(first.every((v) => v >= 0 && v < 1));
  assert.notDeepEqual(Array.from({ length: 5 }, generator(43)), first);
  assert.equal(generator(1)(), 0.6270739405881613); // mulberry32(1)'s first number
});

test("randomVolume: C×n×n integers from lo to hi", () => {
  const volume = randomVolume(7, 2, 4, -1, 1);
  assert.deepEqual(shape(volume), [2, 4, 4]);
  assert.ok(volume.flat(2).every((v) => Number.isInteger(v) && v >= -1 && v <= 1));
  assert.deepEqual(randomVolume(7, 2, 4, -1, 1), volume);
});

test("the volume example is the 5×5×3 input with two 3×3×3 filters of the slides", () => {
  assert.deepEqual(shape(VOLUME.input), [3, 5, 5]);
  assert.deepEqual(shape(VOLUME.kernels), [2, 3, 3, 3]);
  assert.deepEqual(VOLUME.bias, [1, 0]);
  assert.deepEqual(VOLUME.input[0][0], [2, 0, 1, 2, 1]); // as fixtures/generate.py writes it out
});

test("kernel presets: k×k rows, or null when the preset has no k×k version", () => {
  assert.deepEqual(KERNELS.identity.make(3), [[0, 0, 0], [0, 1, 0], [0, 0, 0]]);
  assert.deepEqual(KERNELS.identity.make(4)[1], [0, 1, 0, 0]);
  assert.deepEqual(KERNELS.box.make(2), [[0.25, 0.25], [0.25, 0.25]]);
  assert.equal(KERNELS.sobel_x.make(5), null);
  assert.deepEqual(KERNELS.seed.make(3), [[0, 0, 0], [0, 1, 1], [0, 1, 0]]);
  for (const [name, kernel] of Object.entries(KERNELS)) {
    const rows = kernel.make(3);
    assert.deepEqual(shape(rows), [3, 3], name);
  }
  assert.deepEqual(shape(SEED_IMAGE), [7, 7]);
});

test("every example has a label and sets known settings", () => {
  assert.deepEqual(Object.keys(EXAMPLES), ["slide", "slide_stride2", "volume", "lenet", "field", "unreached"]);
  for (const example of Object.values(EXAMPLES)) assert.equal(typeof example.label, "string");
  assert.deepEqual(EXAMPLES.slide_stride2.state, { s: 2 });
});
