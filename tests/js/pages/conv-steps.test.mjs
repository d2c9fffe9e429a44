import assert from "node:assert/strict";
import { test } from "node:test";

import { at } from "../../../static/js/lib/arrays.js";
import { backwardSums, describeSelection } from "../../../static/js/pages/conv/conv-backward.js";
import { Plan, windowCells } from "../../../static/js/pages/conv/conv-plan.js";
import { SEED_IMAGE, VOLUME } from "../../../static/js/pages/conv/conv-presets.js";
import { describeStep, productsHeading } from "../../../static/js/pages/conv/conv-steps.js";
import { convFrames } from "../helpers.mjs";

// What each step of the walkthrough shows, on the server's real plans (fixtures/generate.py): "slide-max" (the
// slide's image and kernel, 2×2 max pooling, gradient 1 at stage 2's cell (0, 1, 0)) and "volume" (5×5×3, two
// filters, padding 1, stride 2, a gradient of ones). Expected numbers are worked out here from the inputs.
function load(preset) {
  const [first, ...rest] = convFrames(preset);
  const plan = new Plan(first.header, first.arrays);
  for (const frame of rest) plan.add(frame.header, frame.arrays);
  return plan;
}

const KERNEL = [[0, 0, 0], [0, 1, 1], [0, 1, 0]];
const SLIDE = { input: [SEED_IMAGE], kernels: [[KERNEL]], bias: [0] };

test("a forward conv step: the window, its products, the sum and where it lands", () => {
  const plan = load("slide-max");
  const step = plan.stepAt(7, false); // output row 1, column 2
  const shown = describeStep(plan, SLIDE, step, { phase: "sum", backward: false, channels: 1 });
  const cells = windowCells([1, 2, 3], [2, 3, 4]);
  assert.deepEqual(shown.marks.slice(-2), [
    { set: "input", name: "is-window", cells },
    { set: "output", index: 0, name: "is-current", cells: [[1, 2]] },
  ]);
  const pending = shown.marks.find((mark) => mark.set === "output" && mark.name === "is-pending");
  assert.equal(pending.cells.length, 17, "the 17 output cells after this one");
  const products = cells.map(([r, c]) => SEED_IMAGE[r][c] * KERNEL[r - 1][c - 2]);
  assert.deepEqual(shown.products, [{ values: products, h: 3, w: 3, caption: "x·w" }]);
  assert.deepEqual(shown.sum.lines, [{
    label: "",
    terms: cells.map(([r, c]) => `${SEED_IMAGE[r][c]}·${KERNEL[r - 1][c - 2]}`),
    result: 2,
  }]);
  assert.equal(shown.sum.total.value, products.reduce((a, b) => a + b));
  assert.equal(shown.sum.total.value, 2);
  assert.equal(shown.sum.total.text, "Σ + b (0)");
  assert.equal(shown.sum.heading, "Window 8 of 25: the products of the covered cells and the kernel, summed");
  assert.deepEqual(shown.link, { from: { set: "input", index: 0, cells }, to: { set: "output", index: 0, cells: [[1, 2]] } });
  assert.equal(shown.announce, "Window over input rows 1 to 3 and columns 2 to 4: the sum 2 goes to output row 1, column 2.");
  assert.equal(productsHeading(plan, step, false), "Products x·w");
});

test("while the room's question is open the step's own cell stays pending and the sentence asks", () => {
  const plan = load("slide-max");
  const shown = describeStep(plan, SLIDE, plan.stepAt(7, false), { phase: "sum", backward: false, channels: 1, asking: true });
  const pending = shown.marks.find((mark) => mark.set === "output" && mark.name === "is-pending");
  assert.equal(pending.cells.length, 18);
  assert.deepEqual(pending.cells[0], [1, 2]);
  assert.equal(shown.announce, "Window over input rows 1 to 3 and columns 2 to 4: what number lands in output row 1, column 2?");
});

test("a forward step over three channels sums per channel, then over channels plus the bias", () => {
  const plan = load("volume");
  const step = plan.stepAt(9 + 4, false); // filter 1, output row 1, column 1
  assert.deepEqual([step.f, step.y, step.x], [1, 1, 1]);
  const shown = describeStep(plan, VOLUME, step, { phase: "sum", backward: false, channels: 3 });
  const [rows, cols] = [plan.header.conv.rows[1], plan.header.conv.cols[1]];
  assert.deepEqual([rows, cols], [[1, 2, 3], [1, 2, 3]], "stride 2 and padding 1: rows 1…3 of the input");
  const channelSum = (ci) => windowCells(rows, cols)
    .reduce((sum, [r, c]) => sum + VOLUME.input[ci][r][c] * VOLUME.kernels[1][ci][r - 1][c - 1], 0);
  assert.deepEqual(shown.sum.lines.map((line) => [line.label, line.result]), [0, 1, 2].map((ci) => [`channel ${ci}`, channelSum(ci)]));
  assert.equal(shown.sum.total.value, channelSum(0) + channelSum(1) + channelSum(2) + VOLUME.bias[1]);
  assert.equal(shown.sum.total.target, "output map 1, row 1, column 1");
  assert.deepEqual(shown.products.map((p) => p.caption), ["x·w, ch 0", "x·w, ch 1", "x·w, ch 2"]);
  assert.equal(shown.filter, 1);
  assert.match(shown.announce, / with filter 1: the sum /);
});

test("a padding cell under the window counts as 0", () => {
  const plan = load("volume");
  const shown = describeStep(plan, VOLUME, plan.stepAt(0, false), { phase: "sum", backward: false, channels: 3 });
  assert.equal(shown.sum.lines[0].terms[0], `0·${String(VOLUME.kernels[0][0][0][0]).replace("-", "−")}`);
});

test("a forward stage-2 step: the pooling window's values, its maximum and receptive field", () => {
  const plan = load("slide-max");
  const step = plan.stepAt(26, false); // stage 2 row 0, column 1
  const shown = describeStep(plan, SLIDE, step, { phase: "sum", backward: false, channels: 1 });
  assert.equal(shown.sum.total.text, "max(2, 3, 2, 1)");
  assert.equal(shown.sum.total.value, 3);
  assert.ok(shown.marks.some((m) => m.name === "is-winner" && m.cells[0][0] === 0 && m.cells[0][1] === 3));
  assert.match(shown.sum.note, /^The winner is at row 0, column 3\. Its receptive field in the input: rows 0–3, columns 2–5/);
  assert.equal(productsHeading(plan, step, false), "The window's values");
  assert.equal(productsHeading(plan, step, true), "This window's contributions");
});

test("backward through max pooling: the gradient goes to the window's winner only", () => {
  const plan = load("slide-max");
  const step = plan.stepAt(2, true); // stage 2 row 1, column 0: the cell the gradient arrives at
  assert.deepEqual([step.stage, step.y, step.x], [2, 1, 0]);
  const shown = describeStep(plan, SLIDE, step, { phase: "sum", backward: true, channels: 1 });
  assert.equal(shown.sum.total.value, 1);
  // the conv output's window rows 2–3, columns 0–1 holds 2, 2 / 3, 1: the 3 at row 3, column 0 wins
  assert.deepEqual(shown.link.to.cells, [[3, 0]]);
  assert.equal(shown.announce, "Gradient 1 from stage 2 row 1, column 0 goes to its winner at row 3, column 0.");
  assert.equal(at(plan.arrays.dconv.data, plan.arrays.dconv.shape, 0, 3, 0), 1);
});

test("backward through a conv window: g·w to the input's gradient, g·x to the kernel's", () => {
  const plan = load("slide-max");
  const step = plan.stepAt(4 + 15, true); // output row 3, column 0
  const shown = describeStep(plan, SLIDE, step, { phase: "sum", backward: true, channels: 1 });
  assert.equal(shown.sum.total.value, 1);
  const [dx, dw] = shown.products;
  assert.deepEqual(dx.values, KERNEL.flat());
  assert.deepEqual(dw.values, windowCells([3, 4, 5], [0, 1, 2]).map(([r, c]) => SEED_IMAGE[r][c]));
  assert.deepEqual([dx.caption, dw.caption], ["g·w → ∂l/∂x", "g·x → ∂l/∂w"]);
  assert.equal(shown.announce, "Gradient 1 from output row 3, column 0 flows back into input rows 3 to 5 and columns 0 to 2.");
});

test("the running sums build up window by window to the engine's gradients", () => {
  const plan = load("volume");
  const { height, width, channels } = plan.header.input;
  const first = backwardSums(plan, plan.stepAt(0, true));
  assert.deepEqual(Array.from(first.db), [1, 0], "a gradient of ones: one window seen");
  const last = backwardSums(plan, plan.stepAt(plan.stepCount() - 1, true));
  assert.deepEqual(Array.from(last.db), Array.from(plan.arrays.db.data));
  assert.deepEqual(Array.from(last.db), [9, 9], "9 output cells per filter");
  for (let ci = 0; ci < channels; ci++) {
    assert.deepEqual(Array.from(last.dx[ci]), Array.from(plan.arrays.dx.data.subarray(ci * height * width, (ci + 1) * height * width)));
  }
  assert.deepEqual(last.dw.flatMap((map) => Array.from(map)), Array.from(plan.arrays.dw.data));
  // ∂l/∂w with a gradient of ones: the sum of the (padded) input under each tap, worked out here
  const x = (ci, r, c) => VOLUME.input[ci][r]?.[c] ?? 0;
  const { rows, cols } = plan.header.conv;
  for (let ci = 0; ci < 3; ci++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let sum = 0;
    for (const r of rows) for (const c of cols) sum += x(ci, r[i], c[j]);
    assert.equal(last.dw[ci][i * 3 + j], sum, `dw[0][${ci}][${i}][${j}]`);
  }
});

test("before the convolution's first backward window everything is 0", () => {
  const plan = load("slide-max");
  const sums = backwardSums(plan, plan.stepAt(0, true)); // a stage-2 step
  assert.ok(sums.dx[0].every((v) => v === 0) && sums.dw[0].every((v) => v === 0) && sums.db[0] === 0);
});

test("a clicked cell of ∂l/∂x or ∂l/∂w: the windows behind it and the engine's value", () => {
  const plan = load("volume");
  const dx = describeSelection(plan, { kind: "dx", c: 0, r: 0, col: 0 }, { n: 5, channels: 3 });
  // input cell (0, 0) lies under windows (0, 0) only (rows −1…1 and columns −1…1), for both filters
  assert.equal(dx.sum.heading, "∂l/∂x at row 0, column 0, channel 0: 2 windows covered it");
  const expected = VOLUME.kernels[0][0][1][1] + VOLUME.kernels[1][0][1][1];
  assert.equal(dx.sum.total.value, expected);
  assert.equal(dx.sum.lines[0].terms.length, 2);
  assert.equal(describeSelection(plan, { kind: "dx", c: 0, r: -1, col: 0 }, { n: 5, channels: 3 }), null, "padding");
  const dw = describeSelection(plan, { kind: "dw", f: 1, c: 2, i: 0, j: 0 }, { n: 5, channels: 3 });
  assert.equal(dw.sum.total.value, at(plan.arrays.dw.data, plan.arrays.dw.shape, 1, 2, 0, 0));
  assert.equal(dw.sum.lines[0].terms.length, 9);
  assert.equal(dw.marks[0].index, 1 * 3 + 2);
  assert.match(dw.sum.heading, /^∂l\/∂w at tap row 0, column 0 of filter 1:/);
});
