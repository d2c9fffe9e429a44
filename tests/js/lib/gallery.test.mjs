import assert from "node:assert/strict";
import { test } from "node:test";

import { SIDE, compactStrokes, decodePixels, misread, tally } from "../../../static/js/lib/gallery.js";

test("decodePixels reads the server's base64 of 28×28 bytes", () => {
  const bytes = new Uint8Array(SIDE * SIDE);
  bytes[0] = 255;
  bytes[29] = 128;
  bytes[783] = 7;
  const pixels = decodePixels(Buffer.from(bytes).toString("base64"));
  assert.equal(pixels.length, 784);
  assert.deepEqual([pixels[0], pixels[1], pixels[29], pixels[783]], [255, 0, 128, 7]);
});

test("misread: tagged and read as another digit", () => {
  assert.equal(misread({ tag: 3, prediction: 8 }), true);
  assert.equal(misread({ tag: 3, prediction: 3 }), false);
  assert.equal(misread({ tag: null, prediction: 8 }), false);
});

test("tally counts meant against read, and the untagged drawings apart", () => {
  const submissions = [
    { tag: 3, prediction: 3 },
    { tag: 3, prediction: 8 },
    { tag: 7, prediction: 7 },
    { tag: null, prediction: 1 },
    { tag: undefined, prediction: 1 },
    { tag: 0, prediction: 6 },
  ];
  const counts = tally(submissions);
  assert.equal(counts.cells[3][3], 1);
  assert.equal(counts.cells[3][8], 1);
  assert.equal(counts.cells[7][7], 1);
  assert.equal(counts.cells[0][6], 1);
  assert.equal(counts.cells.flat().reduce((a, b) => a + b), 4);
  assert.deepEqual(counts.untagged, [0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([counts.tagged, counts.correct, counts.untaggedTotal], [4, 2, 2]);
  assert.equal(tally([], 3).cells.length, 3);
});

test("compactStrokes rounds to 0.1 when that fits the budget", () => {
  const strokes = [{ width: 22, points: [[1.234, 5.678], [2.25, 3.04]] }];
  assert.deepEqual(compactStrokes(strokes, 1000), { strokes: [[[1.2, 5.7], [2.3, 3]]], widths: [22] });
});

test("compactStrokes thins long strokes until their JSON fits, keeping both ends", () => {
  const points = Array.from({ length: 400 }, (_, i) => [i * 0.37, 100 + Math.sin(i / 10) * 20]);
  const budget = 1500;
  const { strokes, widths } = compactStrokes([{ width: 9, points }], budget);
  assert.ok(JSON.stringify(strokes).length <= budget, `${JSON.stringify(strokes).length} characters`);
  assert.deepEqual(widths, [9]);
  const kept = strokes[0];
  assert.ok(kept.length < 400 && kept.length > 10);
  assert.deepEqual(kept[0], [0, 100]);
  assert.deepEqual(kept.at(-1), [Math.round(399 * 0.37), Math.round(100 + Math.sin(39.9) * 20)]);
  assert.ok(kept.every(([x, y]) => Number.isInteger(x) && Number.isInteger(y)), "whole units once thinned");
});
