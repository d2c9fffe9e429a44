import assert from "node:assert/strict";
import { test } from "node:test";

import {
  describeUnit,
  regionsFor,
  sameUnit,
  selectionMarks,
  span,
  statusText,
  stepUnit,
  zoomRequest,
} from "../../../static/js/pages/lenet/lenet-selection.js";
import { fixtureJson } from "../helpers.mjs";

// LeNet-5's stages and receptive fields as the server's model frame sends them (fixtures/generate.py), with
// weights and values numbered so each test can tell which one was picked.
const { stages, fields } = fixtureJson("lenet-model.json");
const numbered = (size, scale = 1, offset = 0) => Float32Array.from({ length: size }, (_, i) => offset + i * scale);
const array = (shape, scale, offset) => ({ shape, data: numbered(shape.reduce((a, b) => a * b), scale, offset) });

const model = {
  header: { stages, fields },
  arrays: {
    "conv1.w": array([6, 1, 5, 5], 0.01), "conv1.b": array([6], 0.5, -1),
    "conv2.w": array([16, 6, 5, 5], 0.001), "conv2.b": array([16], 0.25),
    "fc1.w": array([120, 400], 1e-4), "fc1.b": array([120], 0.01),
    "fc2.w": array([84, 120], 1e-4), "fc2.b": array([84], 0.01),
    "fc3.w": array([10, 84], 1e-3), "fc3.b": array([10], -0.125),
  },
};

/** 2×2 max pooling with stride 2 of a C×H×W array, as the engine's pool layers compute it. */
function maxPool(data, [c, h, w]) {
  const out = new Float32Array(c * (h / 2) * (w / 2));
  for (let k = 0; k < c; k++) for (let r = 0; r < h / 2; r++) for (let q = 0; q < w / 2; q++) {
    const at = (dr, dq) => data[(k * h + 2 * r + dr) * w + 2 * q + dq];
    out[(k * (h / 2) + r) * (w / 2) + q] = Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1));
  }
  return out;
}

// A prediction frame's arrays: the input ink, each stage's values (pool1 the real maximum of conv1's windows).
const conv1 = Float32Array.from({ length: 6 * 28 * 28 }, (_, i) => ((i * 7919) % 1000) / 1000);
const values = {
  input: { shape: [28, 28], data: numbered(784, 1 / 784) },
  conv1: { shape: [6, 28, 28], data: conv1 },
  pool1: { shape: [6, 14, 14], data: maxPool(conv1, [6, 28, 28]) },
  conv2: array([16, 10, 10], 0.01),
  pool2: array([16, 5, 5], 0.02),
  fc1: array([120], 0.5), fc2: array([84], 0.25), fc3: array([10], -1, 4),
};
const answer = { header: { empty: false, explain: null }, arrays: values };
const unit = (stage, channel, row, col) => ({ stage, channel, row, col });

test("span: the rows a later unit reads, as the engine's field.span, clipped to the stage", () => {
  const conv2OnInput = fields.conv2.input; // 14 wide, 2 apart, from −2
  assert.deepEqual(span(conv2OnInput, 0, 28), { whole: [-2, 11], clipped: [0, 11] });
  assert.deepEqual(span(conv2OnInput, 9, 28), { whole: [16, 29], clipped: [16, 27] });
  assert.deepEqual(span(fields.pool1.conv1, 13, 28), { whole: [26, 27], clipped: [26, 27] });
});

test("regions of a conv1 unit at the image's corner: its 5×5 window, clipped", () => {
  assert.deepEqual(regionsFor(model, unit("conv1", 3, 0, 27)), {
    input: { channels: "all", rows: [0, 2], cols: [25, 27] },
  });
});

test("regions of a pool unit: its own map in the conv before it, and every map further back", () => {
  assert.deepEqual(regionsFor(model, unit("pool1", 2, 3, 4)), {
    input: { channels: "all", rows: [4, 9], cols: [6, 11] },
    conv1: { channels: 2, rows: [6, 7], cols: [8, 9] },
  });
  assert.deepEqual(regionsFor(model, unit("pool2", 5, 4, 4)), {
    input: { channels: "all", rows: [14, 27], cols: [14, 27] },
    conv1: { channels: "all", rows: [16, 27], cols: [16, 27] },
    pool1: { channels: "all", rows: [8, 13], cols: [8, 13] },
    conv2: { channels: 5, rows: [8, 9], cols: [8, 9] },
  });
});

test("a dense unit reads everything: every earlier stage whole", () => {
  const regions = regionsFor(model, unit("fc2", 0, 17, 0));
  assert.deepEqual(Object.keys(regions), ["input", "conv1", "pool1", "conv2", "pool2", "fc1"]);
  assert.deepEqual(regions.input, { channels: "all", rows: [0, 27], cols: [0, 27] });
  assert.deepEqual(regions.pool1, { channels: "all", rows: [0, 13], cols: [0, 13] });
  assert.deepEqual(regions.pool2, { channels: "all", rows: [0, 4], cols: [0, 4] });
  assert.deepEqual(regions.fc1, { channels: "all", rows: [0, 119], cols: [0, 0] });
});

test("selectionMarks: the chain of windows back to the input and the box on the input figures", () => {
  const pool2 = selectionMarks(model, unit("pool2", 5, 4, 4));
  assert.deepEqual(pool2.chain, ["pool2", "conv2", "pool1", "conv1", "input"]);
  assert.deepEqual(pool2.onInput, [14, 27, 14, 27]);
  assert.deepEqual(selectionMarks(model, unit("fc3", 0, 2, 0)).chain,
    ["fc3", "fc2", "fc1", "pool2", "conv2", "pool1", "conv1", "input"]);
  const pixel = selectionMarks(model, unit("input", 0, 3, 5));
  assert.deepEqual(pixel, { regions: {}, chain: ["input"], onInput: [3, 3, 5, 5] });
});

test("the details of a conv1 unit: its value, field, kernel and the input under its window", () => {
  const detail = describeUnit(model, answer, unit("conv1", 3, 0, 27));
  assert.equal(detail.heading, "conv1 · map 3 · row 0, column 27");
  const value = conv1[(3 * 28 + 0) * 28 + 27];
  assert.deepEqual(detail.facts, [
    ["value", value.toPrecision(4)],
    ["receptive field", "5×5 input pixels (rows 0–2, columns 25–27); 3×3 of them inside the image, the rest zero padding"],
    ["reads", "a 5×5 window of the input map (stride 1, padding 2)"],
  ]);
  assert.deepEqual(detail.field, { size: [5, 5], inside: [3, 3] });
  const [kernel, window] = detail.groups;
  assert.equal(kernel.title, "Kernel of map 3: 1×5×5 weights, bias 0.500");
  assert.equal(kernel.signed, true);
  assert.deepEqual(kernel.maps.map((m) => [m.label, m.rows, m.cols]), [["", 5, 5]]);
  assert.deepEqual(Array.from(kernel.maps[0].values), Array.from(model.arrays["conv1.w"].data.subarray(75, 100)));
  assert.equal(window.title, "Under its window: 5×5 of input map 0");
  assert.equal(window.signed, false);
  const [map] = window.maps;
  assert.equal(map.label, "input map 0");
  // rows −2…2, columns 25…29: padding above the image and right of it
  const expected = [];
  const padding = [];
  for (let r = -2; r <= 2; r++) for (let c = 25; c <= 29; c++) {
    const inside = r >= 0 && c <= 27;
    padding.push(inside ? 0 : 1);
    expected.push(inside ? values.input.data[r * 28 + c] : 0);
  }
  assert.deepEqual(Array.from(map.padding), padding);
  assert.deepEqual(Array.from(map.values), expected.map(Math.fround));
  assert.equal(map.mark, undefined);
});

test("the details of a pool unit mark the window's maximum, the value it passes on", () => {
  const detail = describeUnit(model, answer, unit("pool1", 2, 3, 4));
  assert.equal(detail.heading, "pool1 · map 2 · row 3, column 4");
  assert.equal(detail.facts[1][1], "6×6 input pixels (rows 4–9, columns 6–11)");
  assert.equal(detail.facts[2][1], "a 2×2 window of its own conv1 map (stride 2), keeping the largest value");
  assert.equal(detail.groups.length, 1, "pooling has no kernel");
  const [map] = detail.groups[0].maps;
  assert.equal(map.label, "conv1 map 2");
  const cells = [[6, 8], [6, 9], [7, 8], [7, 9]].map(([r, c]) => conv1[(2 * 28 + r) * 28 + c]);
  assert.deepEqual(Array.from(map.values), cells);
  assert.equal(map.mark, cells.indexOf(Math.max(...cells)));
});

test("the details of conv2 show one kernel slice and one window per pool1 map", () => {
  const detail = describeUnit(model, answer, unit("conv2", 7, 9, 0));
  assert.equal(detail.facts[2][1], "a 5×5 window of all 6 pool1 maps (stride 1, padding 0)");
  const [kernel, window] = detail.groups;
  assert.equal(kernel.title, "Kernel of map 7: 6×5×5 weights, bias 1.75");
  assert.deepEqual(kernel.maps.map((m) => m.label), [0, 1, 2, 3, 4, 5].map((c) => `for pool1 map ${c}`));
  assert.equal(kernel.maps[1].values[0], model.arrays["conv2.w"].data[7 * 150 + 25]);
  assert.equal(window.title, "Under its window: 5×5 of all 6 pool1 maps");
  assert.equal(window.maps[4].values[0], values.pool1.data[(4 * 14 + 9) * 14 + 0]);
});

test("the details of dense units: weights laid out like what they read", () => {
  const fc3 = describeUnit(model, answer, unit("fc3", 0, 7, 0));
  assert.equal(fc3.heading, "fc3 · unit 7 (the score of digit 7)");
  assert.deepEqual(fc3.facts, [
    ["value", (-3).toPrecision(4)],
    ["receptive field", "all 28×28 input pixels (a dense layer reads everything before it)"],
    ["reads", "all 84 values of fc2"],
  ]);
  const [weights, reads] = fc3.groups;
  assert.equal(weights.title, "Its 84 weights (one per fc2 value), bias -0.875");
  assert.deepEqual([weights.maps[0].rows, weights.maps[0].cols], [7, 12]);
  assert.equal(weights.maps[0].values[0], model.arrays["fc3.w"].data[7 * 84]);
  assert.equal(reads.caption, "Multiplied by the weights above, summed, plus the bias.");
  const fc1 = describeUnit(model, answer, unit("fc1", 0, 2, 0));
  assert.equal(fc1.heading, "fc1 · unit 2");
  assert.equal(fc1.facts[2][1], "all 400 values of pool2");
  assert.equal(fc1.groups[0].maps.length, 16);
  assert.deepEqual(fc1.groups[1].maps.slice(0, 2).map((m) => [m.label, m.rows, m.cols]), [["pool2 map 0", 5, 5], ["pool2 map 1", 5, 5]]);
  assert.equal(fc1.groups[1].caption, "Multiplied by the weights above, summed, plus the bias, then ReLU.");
  assert.deepEqual(describeUnit(model, answer, unit("fc2", 0, 0, 0)).groups[0].maps.map((m) => [m.rows, m.cols]), [[10, 12]]);
});

test("an input pixel, before any drawing, and while a score is explained", () => {
  const pixel = describeUnit(model, null, unit("input", 0, 3, 5));
  assert.deepEqual(pixel, {
    heading: "input · row 3, column 5",
    facts: [["value", "draw a digit first"], ["receptive field", "1×1: it is a pixel of the input"]],
    field: { size: [1, 1], inside: [1, 1] },
    groups: [],
  });
  const empty = describeUnit(model, { header: { empty: true }, arrays: {} }, unit("conv1", 0, 5, 5));
  assert.equal(empty.facts[0][1], "draw a digit first");
  assert.ok(empty.groups[1].maps[0].values.every((v) => v === 0));
  const gradient = array([6, 28, 28], -0.001);
  const explaining = { header: { empty: false, explain: { target: 4, score: 2 } }, arrays: { ...values, "grad.conv1": gradient } };
  const detail = describeUnit(model, explaining, unit("conv1", 1, 2, 3));
  const at = (1 * 28 + 2) * 28 + 3;
  assert.deepEqual(detail.facts[1], ["∂ score of 4 / ∂ value", gradient.data[at].toPrecision(3)]);
});

test("statusText reads the details in one sentence", () => {
  const detail = describeUnit(model, null, unit("input", 0, 3, 5));
  assert.equal(statusText(detail), "input · row 3, column 5. value: draw a digit first. receptive field: 1×1: it is a pixel of the input");
  assert.equal(statusText(null), "");
});

test("zoomed into a conv unit, the arrows move within its map and stop at the edges", () => {
  const corner = unit("conv1", 3, 0, 27);
  assert.equal(stepUnit(model, corner, "ArrowUp"), null);
  assert.equal(stepUnit(model, corner, "ArrowRight"), null);
  assert.deepEqual(stepUnit(model, corner, "ArrowLeft"), unit("conv1", 3, 0, 26));
  assert.deepEqual(stepUnit(model, corner, "ArrowDown"), unit("conv1", 3, 1, 27));
  assert.equal(stepUnit(model, unit("conv2", 0, 9, 4), "ArrowDown"), null, "conv2 is 10×10");
  assert.equal(stepUnit(model, corner, "Enter"), null);
  assert.deepEqual(corner, unit("conv1", 3, 0, 27), "the unit itself is not changed");
});

test("zoomRequest and sameUnit: the unit a draw asks the server about, and its answer's match", () => {
  assert.deepEqual(zoomRequest({ stage: "conv2", channel: 4, row: 1, col: 2, extra: true }), unit("conv2", 4, 1, 2));
  assert.equal(zoomRequest({ stage: "input", channel: 0, row: 1, col: 2 }), null);
  assert.equal(zoomRequest(null), null);
  assert.ok(sameUnit({ ...unit("conv1", 1, 2, 3), previous: "input" }, unit("conv1", 1, 2, 3)));
  assert.ok(!sameUnit(unit("conv1", 1, 2, 3), unit("conv1", 1, 3, 2)));
  assert.ok(!sameUnit(undefined, unit("conv1", 1, 2, 3)));
});
