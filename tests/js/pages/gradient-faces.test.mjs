import assert from "node:assert/strict";
import { test } from "node:test";

import {
  amplifiedCaption,
  dreamRequest,
  dreamText,
  fgsmReading,
  followedFaces,
  gradientRequest,
  iteratedText,
  saliencyText,
  scaleText,
  smallestText,
} from "../../../static/js/pages/lenet/gradient-faces.js";
import { LENET } from "../../../static/js/lib/protocol.js";

// A gradient_faces header as docs/protocol/lenet.md describes it: a 7 that one step of ε = 0.2 turns into a 3.
const probabilities = (digit, p) => Array.from({ length: 10 }, (_, d) => (d === digit ? p : (1 - p) / 9));
const faces = {
  type: "gradient_faces",
  empty: false,
  prediction: 7,
  probabilities: probabilities(7, 0.995),
  saliency: { target: 7, score: 18.41, scale: 2.034, times_input_scale: 0.000123 },
  fgsm: { label: 7, epsilon: 0.2, steps: 1, prediction: 3, probabilities: probabilities(3, 0.62), smallest_epsilon: 0.18 },
  iterated: { label: 7, epsilon: 0.12, steps: 12, prediction: 9, probabilities: probabilities(9, 0.612) },
};

test("the input_gradient request carries ε, the explained class and seq; the label is the predicted digit's", () => {
  assert.deepEqual(gradientRequest({ epsilon: 0.1, target: null, seq: 4, preprocess: "mnist" }), {
    type: LENET.input_gradient,
    preprocess: "mnist",
    epsilon: 0.1,
    target: null,
    label: null,
    seq: 4,
  });
});

test("the dream picker's values become a class target or a conv map", () => {
  assert.deepEqual(dreamRequest("class:3", "blank", "mnist"), { type: LENET.dream, preprocess: "mnist", start: "blank", target: 3 });
  assert.deepEqual(dreamRequest("conv2:15", "drawing", "raw"), {
    type: LENET.dream,
    preprocess: "raw",
    start: "drawing",
    map: { stage: "conv2", channel: 15 },
  });
});

test("scales are short, and tiny ones are written with a power of ten", () => {
  assert.equal(scaleText(2.034), "2.03");
  assert.equal(scaleText(0.000123), "1.23×10⁻⁴");
  assert.equal(scaleText(0), "0");
  assert.match(saliencyText(faces), /^Score of 7: 18\.41\. Full colour is ±2\.03 per unit of ink .* ±1\.23×10⁻⁴ on gradient × input/);
});

test("the one-shot reading says when the reading changed", () => {
  assert.deepEqual(fgsmReading(faces), { text: "At ε = 0.2: LeNet reads 3 (62.0%), not 7", flipped: true, prediction: 3 });
  const unchanged = { ...faces, fgsm: { ...faces.fgsm, epsilon: 0.05, prediction: 7, probabilities: probabilities(7, 0.9) } };
  assert.deepEqual(fgsmReading(unchanged), { text: "At ε = 0.05: LeNet still reads 7 (90.0%)", flipped: false, prediction: 7 });
});

test("how small ε was, one shot and iterated", () => {
  assert.match(smallestText(faces), /ε = 0\.18 is the smallest/);
  assert.equal(smallestText({ ...faces, fgsm: { ...faces.fgsm, smallest_epsilon: null } }), "No one-shot ε up to 0.5 changes the reading.");
  assert.equal(iteratedText(faces), "Iterated steps of 0.01: LeNet reads 9 (61.2%) after 12 steps, every pixel within ε = 0.12.");
  const stuck = { ...faces, iterated: { ...faces.iterated, prediction: 7, steps: 50, epsilon: 0.5 } };
  assert.equal(iteratedText(stuck), "Iterated steps of 0.01: still 7 after 50 steps (ε = 0.5).");
});

test("the perturbation's caption says how much it is amplified", () => {
  assert.equal(amplifiedCaption(0.1), "x′ − x, amplified ×10 (full colour ±0.1)");
  assert.equal(amplifiedCaption(0.085), "x′ − x, amplified ×12 (full colour ±0.085)");
  assert.equal(amplifiedCaption(0), "x′ − x: nothing moved at ε = 0");
});

test("a dream is summed up by its objective's first and last values", () => {
  const dreamt = {
    objective: { target: 3, stage: null, channel: null, label: "score of 3" },
    start: "blank",
    steps: [0, 12, 24, 36, 48, 60],
    values: [-0.71, 4.6, 7.1, 8.7, 10.1, 16.57],
    prediction: 3,
    probabilities: probabilities(3, 0.999),
  };
  assert.equal(dreamText(dreamt), "score of 3: −0.71 → 16.57 in 60 steps from blank paper; LeNet reads the dream as 3 (99.9%).");
});

const CHOICES = { objectives: ["class:3", "conv2:4"], starts: ["blank", "drawing"] };

test("a room teacher's panel settings are followed as they are when they make sense", () => {
  const state = { epsilon: 0.25, target: 7, mode: "iterated", dream: { objective: "conv2:4", start: "drawing", runs: 3 } };
  assert.deepEqual(followedFaces(state, CHOICES), state);
  assert.deepEqual(followedFaces({ epsilon: 0, target: null, mode: "one-shot", dream: null }, CHOICES), {
    epsilon: 0,
    target: null,
    mode: "one-shot",
    dream: { objective: null, start: null, runs: 0 },
  });
});

test("nonsense in a room's panel settings is dropped, never applied", () => {
  assert.equal(followedFaces(null, CHOICES), null);
  assert.equal(followedFaces("0.2", CHOICES), null);
  const wanted = followedFaces(
    { epsilon: "0.2", target: 12, mode: "<b>", dream: { objective: "class:99", start: "javascript:", runs: -1 } },
    CHOICES,
  );
  assert.deepEqual(wanted, { epsilon: null, target: null, mode: "one-shot", dream: { objective: null, start: null, runs: 0 } });
  assert.equal(followedFaces({ epsilon: Number.NaN, target: 2.5, dream: { runs: 1.5 } }, CHOICES).epsilon, null);
  assert.equal(followedFaces({ target: 2.5 }, CHOICES).target, null);
  assert.equal(followedFaces({ dream: { runs: 2 ** 60 } }, CHOICES).dream.runs, 0);
});
