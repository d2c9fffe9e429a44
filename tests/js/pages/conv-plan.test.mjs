import assert from "node:assert/strict";
import { test } from "node:test";

import { at } from "../../../static/js/lib/arrays.js";
import { Plan, formulaData, summaryLine, windowCells } from "../../../static/js/pages/conv/conv-plan.js";
import { SEED_IMAGE } from "../../../static/js/pages/conv/conv-presets.js";
import { convFrames } from "../helpers.mjs";

// Real plans from the server's code (fixtures/generate.py): the slide's 7×7 image and 3×3 kernel then 2×2 max
// pooling ("slide-max"), and the 5×5×3 volume with two filters, padding 1 and stride 2 ("volume").
function load(preset, { chunks = true } = {}) {
  const [first, ...rest] = convFrames(preset);
  const plan = new Plan(first.header, first.arrays);
  if (chunks) for (const frame of rest) assert.ok(plan.add(frame.header, frame.arrays));
  return plan;
}

const KERNEL = [[0, 0, 0], [0, 1, 1], [0, 1, 0]];

test("windowCells lists a window's cells row by row", () => {
  assert.deepEqual(windowCells([1, 2], [4, 5, 6]), [[1, 4], [1, 5], [1, 6], [2, 4], [2, 5], [2, 6]]);
  assert.deepEqual(windowCells([-1], [0]), [[-1, 0]]);
});

test("the plan's output is the slide's convolution (checked by hand here)", () => {
  const plan = load("slide-max");
  for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) {
    let sum = 0;
    for (const [r, c] of windowCells(plan.header.conv.rows[y], plan.header.conv.cols[x])) sum += SEED_IMAGE[r][c] * KERNEL[r - y][c - x];
    assert.equal(at(plan.arrays.output.data, plan.arrays.output.shape, 0, y, x), sum, `output ${y}, ${x}`);
  }
});

test("counts and step order: forward conv then stage 2, backward stage 2 first", () => {
  const plan = load("slide-max");
  assert.deepEqual(plan.counts(), { one: 25, two: 4 });
  assert.equal(plan.stepCount(), 29);
  assert.deepEqual(plan.stepAt(0, false), { stage: 1, f: 0, y: 0, x: 0, index: 0 });
  assert.deepEqual(plan.stepAt(7, false), { stage: 1, f: 0, y: 1, x: 2, index: 7 });
  assert.deepEqual(plan.stepAt(25, false), { stage: 2, f: 0, y: 0, x: 0, index: 25 });
  assert.deepEqual(plan.stepAt(28, false), { stage: 2, f: 0, y: 1, x: 1, index: 28 });
  assert.deepEqual(plan.stepAt(3, true), { stage: 2, f: 0, y: 1, x: 1, index: 3 });
  assert.deepEqual(plan.stepAt(4, true), { stage: 1, f: 0, y: 0, x: 0, index: 4 });
  assert.deepEqual(plan.stepAt(28, true), { stage: 1, f: 0, y: 4, x: 4, index: 28 });
  const volume = load("volume");
  assert.deepEqual(volume.counts(), { one: 18, two: 0 });
  assert.deepEqual(volume.stepAt(9, true), { stage: 1, f: 1, y: 0, x: 0, index: 9 }, "no stage 2: same order both ways");
});

test("indexOf is stepAt's inverse, both ways", () => {
  for (const plan of [load("slide-max"), load("volume")]) {
    for (const backward of [false, true]) {
      for (let i = 0; i < plan.stepCount(); i++) {
        const { stage, f, y, x } = plan.stepAt(i, backward);
        assert.equal(plan.indexOf(stage, f, y, x, backward), i);
      }
    }
  }
});

test("chunks: rows of windows arrive in chunks; another plan's chunk is refused", () => {
  const [first, ...rest] = convFrames("slide-max");
  const plan = new Plan(first.header, first.arrays);
  assert.equal(plan.chunkFor(0), null);
  assert.equal(rest.length, first.header.chunks);
  assert.equal(plan.add({ ...rest[0].header, plan: 2 }, rest[0].arrays), false);
  assert.equal(plan.chunks.length, 0);
  for (const frame of rest) plan.add(frame.header, frame.arrays);
  const chunk = plan.chunkFor(3);
  assert.equal(chunk.y, 3 - rest.find((frame) => frame.header.row0 <= 3 && 3 < frame.header.row0 + frame.header.rows).header.row0);
  // the chunk's channel sums are the output (no bias): row 3 of the slide's output
  const sums = Array.from({ length: 5 }, (_, x) => at(chunk.arrays.channel_sums.data, chunk.arrays.channel_sums.shape, 0, 0, chunk.y, x));
  assert.deepEqual(sums, [3, 1, 0, 0, 0]);
  assert.equal(plan.chunkFor(5), null);
});

test("pending: the cells still to come after a step", () => {
  const plan = load("slide-max");
  const forward = plan.pending(6, false);
  assert.equal(forward.outputs[0].length, 18);
  assert.deepEqual(forward.outputs[0][0], [1, 2]);
  assert.deepEqual(forward.stage2[0], [[0, 0], [0, 1], [1, 0], [1, 1]]);
  const backward = plan.pending(2, true);
  assert.deepEqual(backward.stage2[0], [[1, 1]]);
  assert.equal(backward.outputs[0].length, 25);
  assert.deepEqual(plan.pending(28, false), { outputs: [[]], stage2: [[]] });
});

test("stage2Window: the pooling window's cells and its winner, which holds the window's maximum", () => {
  const plan = load("slide-max");
  const output = (y, x) => at(plan.arrays.output.data, plan.arrays.output.shape, 0, y, x);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) {
    const { cells, maps, winner } = plan.stage2Window({ f: 0, y, x });
    assert.deepEqual(cells, windowCells([2 * y, 2 * y + 1], [2 * x, 2 * x + 1]));
    assert.deepEqual(maps, [0]);
    const largest = Math.max(...cells.map(([r, c]) => output(r, c)));
    assert.equal(output(...winner), largest);
    assert.equal(at(plan.arrays.stage2_output.data, plan.arrays.stage2_output.shape, 0, y, x), largest);
  }
  assert.deepEqual(plan.stage2Window({ f: 0, y: 0, x: 1 }).winner, [0, 3]);
});

test("the formula's blocks and the one-line summary carry the server's numbers", () => {
  const plan = load("slide-max");
  const settings = { n: 7, k: 3, s: 1, p: 0, d: 1 };
  const { stages, impossible } = formulaData(plan, null, settings);
  assert.equal(impossible, null);
  assert.deepEqual(stages.map((s) => s.title), ["Convolution", "Stage 2: Max pooling"]);
  assert.deepEqual(stages[0].axes, [{ label: "", n: 7, terms: plan.header.conv.terms.rows }]);
  assert.equal(stages[0].field, "Each output cell sees a 3×3 patch of the input; the patches of neighbouring cells start 1 apart (the stride).");
  assert.match(stages[1].reason, /^9 conv output cells are never read/);
  assert.match(stages[1].field, /^Each stage-2 cell sees a 4×4 patch of the input \(neighbours 2 apart\)/);
  assert.equal(summaryLine(plan, null, settings), "n 7, k 3, s 1, p 0: ⌊(7 + 2·0 − 3) / 1⌋ + 1 = 5; then max pooling 2×2, stride 2 → 2×2");
  assert.equal(summaryLine(load("volume"), null, { n: 5, k: 3, s: 2, p: 1, d: 1 }), "n 5, k 3, s 2, p 1: ⌊(5 + 2·1 − 3) / 2⌋ + 1 = 3 (3×3×2)");
});

test("settings that cannot work: no stages, the server's sentence, the state's numbers", () => {
  const settings = { n: 3, k: 5, s: 1, p: 0, d: 2 };
  const message = "conv: kernel 9 is larger than the padded input 3";
  assert.deepEqual(formulaData(null, message, settings), {
    stages: [],
    impossible: { title: "These settings cannot work", n: 3, k: 5, s: 1, p: 0, d: 2, message },
  });
  assert.equal(summaryLine(null, message, settings), "n 3, k 5, s 1, p 0, d 2: no output, these settings cannot work");
  assert.equal(summaryLine(null, null, { n: 7, k: 3, s: 2, p: 1, d: 1 }), "n 7, k 3, s 2, p 1");
});
