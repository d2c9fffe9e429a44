import assert from "node:assert/strict";
import { test } from "node:test";

import {
  changes,
  kernelRows,
  layerBars,
  layerText,
  moves,
  ordinal,
  ownLines,
  ranked,
  selection,
  summary,
  tileText,
} from "../../../static/js/pages/lenet/class-step-model.js";

// A class step as the server sends it (app/rooms/class_step.py result): three drawings, #3 a drawn 8 tagged 3.
const row = (id, label, before, after, share, predictionBefore, predictionAfter, extra = {}) => ({
  id, label, loss_before: before, loss_after: after, grad_norm: 10 * share, share,
  prediction_before: predictionBefore, prediction_after: predictionAfter, p_before: 0.01, p_after: 0.62,
  layer_norms: {}, author: "", ...extra,
});
const kernel = (value) => Array.from({ length: 5 }, () => Array(5).fill(value));
const step = {
  step: 2,
  mode: "batch",
  lr: 0.05,
  loss_before: 1.8432,
  loss_after: 0.9123,
  submissions: [1, 2, 3],
  per_submission: [row(1, 1, 0.01, 0.02, 0.05, 1, 1), row(2, 7, 0.2, 0.1, 0.15, 7, 7), row(3, 3, 5.3, 2.6, 0.8, 8, 3)],
  moved: { conv1: { norm: 0.01, relative: 0.002 }, conv2: { norm: 0.02, relative: 0.004 },
    fc1: { norm: 0.05, relative: 0.001 }, fc2: { norm: 0.01, relative: 0.001 }, fc3: { norm: 0.1, relative: 0.008 } },
  conv1: { before: Array(6).fill(kernel(0.5)), delta: Array(6).fill(kernel(-0.001)), after: Array(6).fill(kernel(0.499)) },
  strip: [
    { id: 3, share: 0.8, pixels: "AA==", layer_norms: { conv1: 0.5, conv2: 2, fc1: 8, fc2: 4, fc3: 2 } },
    { id: 2, share: 0.15, pixels: "AA==" },
  ],
};

test("the summary counts the drawings that got better and worse", () => {
  assert.deepEqual(changes(step), { better: 2, worse: 1 });
  assert.equal(summary(step),
    "Class step 2 on 3 drawings (η = 0.05, one step on the mean gradient): mean loss 1.84 → 0.912; 2 got better, 1 worse.");
  assert.match(summary({ ...step, mode: "each" }), /a plain SGD step per drawing/);
});

test("the strip ranks by share, marks one's own and the misread, and shows authors only when sent", () => {
  const tiles = ranked(step, new Set([3]));
  assert.deepEqual(tiles.map((tile) => [tile.id, tile.rank, tile.mine, tile.misread]), [[3, 1, true, true], [2, 2, false, false]]);
  assert.equal(tileText(tiles[0]), "#3: meant 3, read 8 · 80% of the step · loss 5.3 → 2.6 (better)");
  assert.match(tileText({ ...tiles[0], lossAfter: 6 }), /5\.3 → 6 \(worse\)$/);
  const named = { ...step, per_submission: step.per_submission.map((r) => ({ ...r, author: "Ana" })) };
  assert.match(tileText(ranked(named)[1]), /^#2 Ana: meant 7 ·/);
});

test("a student reads her own drawing's before and after and her place", () => {
  const [line] = ownLines(step, new Set([3]));
  assert.equal(line, "Your drawing #3 (you meant 3): LeNet read 8 (p(3) = 1%) before the step and 3 (p(3) = 62%) " +
    "after; its share of the step was 80%, the largest of the class.");
  assert.match(ownLines(step, new Set([1]))[0], /5%, 3rd of 3\.$/);
  assert.deepEqual(ownLines(step, new Set([9])), []);
  assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 111].map(ordinal),
    ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "111th"]);
});

test("layer moves are bars relative to the largest relative move", () => {
  const rows = moves(step);
  assert.deepEqual(rows.map((r) => r.layer), ["conv1", "conv2", "fc1", "fc2", "fc3"]);
  assert.equal(rows[4].fraction, 1);
  assert.equal(rows[0].fraction, 0.25);
  assert.equal(rows[0].text, "conv1: ‖Δw‖ = 0.01 (0.2% of ‖w‖)");
});

test("conv1's kernels: before and after share a symmetric scale, Δ has its own", () => {
  const rows = kernelRows(step.conv1);
  assert.deepEqual(rows.map((r) => r.name), ["before", "Δ", "after"]);
  assert.deepEqual(rows[0].bounds, [-0.5, 0.5]);
  assert.deepEqual(rows[2].bounds, [-0.5, 0.5]);
  assert.deepEqual(rows[1].bounds, [-0.001, 0.001]);
  assert.equal(rows[1].kernels.length, 6);
  assert.equal(rows[1].kernels[0].length, 25);
});

test("a tile's gradient norm per layer, as bars of its largest layer and as a sentence", () => {
  const [top, second] = ranked(step);
  assert.deepEqual(top.layers.map((bar) => bar.fraction), [0.0625, 0.25, 1, 0.5, 0.25]);
  assert.equal(layerText(top.layers), "‖∂l/∂w‖ per layer: conv1 0.5, conv2 2, fc1 8, fc2 4, fc3 2");
  assert.deepEqual(second.layers.map((bar) => bar.fraction), [0, 0, 0, 0, 0]); // none sent: flat, not NaN
  assert.deepEqual(layerBars({}).map((bar) => bar.layer), ["conv1", "conv2", "fc1", "fc2", "fc3"]);
});

test("the teacher's batch: every tagged drawing (the server's choice) or only the misread ones", () => {
  const gallery = [{ id: 1, tag: 1, prediction: 1 }, { id: 2, tag: 3, prediction: 8 }, { id: 3, tag: null, prediction: 4 }];
  assert.equal(selection(gallery, "tagged"), null);
  assert.deepEqual(selection(gallery, "misread"), [2]);
});
