import assert from "node:assert/strict";
import { test } from "node:test";

import {
  BACKWARD_STAGES,
  followed,
  isWeight,
  liveliestMap,
  nextStage,
  previousStage,
  stepText,
  termPlace,
  termsPerFrame,
  workTable,
} from "../../../static/js/pages/lenet/lenet-backward-steps.js";

// Step details as the server's `backward` frame sends them (app/services/lenet_backward_frame.py step_details).
const header = (step) => ({ label: 3, loss: 0.0123, step });
const base = { largest: 1, nonzero: 1, through: null, gradients: [], relu: null, routing: null };

test("δ flows fc3 → … → input, and the ends stay put", () => {
  assert.deepEqual(BACKWARD_STAGES, ["fc3", "fc2", "fc1", "pool2", "conv2", "pool1", "conv1", "input"]);
  assert.equal(nextStage("fc3"), "fc2");
  assert.equal(nextStage("conv1"), "input");
  assert.equal(nextStage("input"), "input");
  assert.equal(previousStage("fc2"), "fc3");
  assert.equal(previousStage("fc3"), "fc3");
});

test("the first step states the loss and p − onehot", () => {
  const { title, lines } = stepText(header({ ...base, stage: "fc3", kind: "dense", shape: [10] }));
  assert.match(title, /loss/);
  assert.match(lines[0], /l = −log p\(3\) = 0\.0123/);
  assert.match(lines[1], /p − onehot\(3\)/);
});

test("a dense step names Wᵀ δ, the weight gradient and the ReLU mask with the server's counts", () => {
  const { title, lines } = stepText(header({
    ...base,
    stage: "fc2",
    kind: "dense",
    shape: [84],
    through: { stage: "fc3", kind: "dense" },
    gradients: [{ parameter: "fc3.w", shape: [84, 10], norm: 0.5 }, { parameter: "fc3.b", shape: [10], norm: 0.25 }],
    relu: { units: 84, active: 40, passing: 38 },
  }));
  assert.equal(title, "fc2 ← fc3: δ_in = Wᵀ δ_out");
  assert.match(lines[0], /84 values of fc2/);
  assert.match(lines[1], /∂l\/∂fc3\.w \(84×10\) = δ_out · inputᵀ, ‖·‖ = 0\.5; ∂l\/∂fc3\.b = Σ δ_out\./);
  assert.match(lines[2], /40 of 84\); 38 carry δ on/);
});

test("a pooling step says where δ went, a conv step how the kernels stamp back", () => {
  const pool = stepText(header({
    ...base,
    stage: "conv2",
    kind: "conv",
    shape: [16, 10, 10],
    through: { stage: "pool2", kind: "pool" },
    routing: { cells: 1600, windows: 400, window: 4 },
    relu: { units: 1600, active: 700, passing: 200 },
  }));
  assert.match(pool.title, /max pooling routes δ to the winners/);
  assert.match(pool.lines[0], /400 windows sends its δ to its winner \(1 cell of 4\); the other 1,200 cells get 0/);
  const conv = stepText(header({
    ...base,
    stage: "pool1",
    kind: "pool",
    shape: [6, 14, 14],
    through: { stage: "conv2", kind: "conv" },
    gradients: [{ parameter: "conv2.w", shape: [16, 6, 5, 5], norm: 2e-5 }, { parameter: "conv2.b", shape: [16], norm: 1 }],
  }));
  assert.match(conv.title, /kernels stamped back/);
  assert.match(conv.lines[0], /full convolution with flipped kernels/);
  assert.match(conv.lines[1], /16×6×5×5\) = input ⋆ δ, ‖·‖ = 2×10⁻⁵/);
});

test("a conv weight's term t reads tap (i, j) of window (y, x)", () => {
  const drill = { kind: "conv", layout: { out: [28, 28], stride: 1, padding: 2, tap: [1, 3], kernel: 5 } };
  assert.deepEqual(termPlace(drill, 0), { y: 0, x: 0, top: -2, left: -2, row: -1, col: 1 });
  assert.deepEqual(termPlace(drill, 28 * 5 + 7), { y: 5, x: 7, top: 3, left: 5, row: 4, col: 8 });
  const strided = { kind: "conv", layout: { out: [3, 3], stride: 2, padding: 0, tap: [0, 0], kernel: 3 } };
  assert.deepEqual(termPlace(strided, 4), { y: 1, x: 1, top: 2, left: 2, row: 2, col: 2 });
  assert.equal(termPlace({ kind: "dense" }, 0).row, null);
});

test("the running sum plays in about the same time for 1 or 784 windows", () => {
  assert.equal(termsPerFrame(1), 1);
  assert.equal(termsPerFrame(100), 1);
  assert.equal(termsPerFrame(784), 6);
  assert.ok(termsPerFrame(784) * 144 >= 784);
});

test("the liveliest map is the one with the largest |δ|", () => {
  assert.equal(liveliestMap(Float32Array.from([0, 0.1, 0, -0.5, 0.2, 0]), 3), 1);
  assert.equal(liveliestMap(Float32Array.from([0, 0, 0, 0]), 2), 0);
});

test("the work table totals both passes and their ratio", () => {
  const table = workTable([
    { layer: "conv1", forward: 100, backward_weights: 100, backward_input: 100 },
    { layer: "fc1", forward: 50, backward_weights: 50, backward_input: 50 },
  ]);
  assert.deepEqual(table.rows.map((r) => r.backward), [200, 100]);
  assert.equal(table.forward, 150);
  assert.equal(table.backward, 300);
  assert.equal(table.ratio, 2);
});

test("a room's backward state is checked before a following tab applies it", () => {
  assert.equal(followed(null), null);
  assert.equal(followed({ on: false, stage: "fc2" }), null);
  assert.deepEqual(followed({ on: true, label: 4, stage: "pool1", weight: { parameter: "conv1.w", index: [0, 0, 2, 2] } }),
    { on: true, label: 4, stage: "pool1", weight: { parameter: "conv1.w", index: [0, 0, 2, 2] } });
  assert.deepEqual(followed({ on: true, label: 12, stage: "<img>", weight: { parameter: "x", index: [] } }),
    { on: true, label: null, stage: "fc3", weight: null });
  assert.equal(isWeight({ parameter: "fc1.w", index: [1.5, 2] }), false);
  assert.equal(isWeight({ parameter: "fc1.w", index: [1, 2] }), true);
});
