import assert from "node:assert/strict";
import { test } from "node:test";

import {
  SET_DEFAULTS, datasetMessage, featureMessage, fromLog, svmMessage, toLog, usesParameter,
} from "../../../static/js/pages/kernels/kernels-controls.js";

test("a log slider runs C from 0.01 to 1000 with three significant digits", () => {
  assert.equal(fromLog(-2), 0.01);
  assert.equal(fromLog(0), 1);
  assert.equal(fromLog(3), 1000);
  assert.equal(fromLog(0.5), 3.16);
  for (const value of [0.01, 0.5, 1, 10, 316, 1000]) assert.ok(Math.abs(fromLog(toLog(value)) - value) / value < 0.13);
});

test("the controls become the server's messages with numbers", () => {
  assert.deepEqual(svmMessage({ kernel: "rbf", c: "1", gamma: "-1", degree: "3", coef0: "0.5" }), {
    type: "kernels_svm", kernel: "rbf", C: 10, gamma: 0.1, degree: 3, coef0: 0.5,
  });
  assert.deepEqual(featureMessage({ feature: "poly", fdegree: "4" }), { type: "kernels_feature", feature: "poly", degree: 4 });
  assert.deepEqual(datasetMessage({ set: "moons", size: "80", noise: "0.1", seed: 2 }), {
    type: "kernels_dataset", name: "moons", size: 80, noise: 0.1, seed: 2,
  });
});

test("each kernel shows only the parameters it uses", () => {
  assert.equal(usesParameter("linear", "gamma"), false);
  assert.equal(usesParameter("rbf", "gamma"), true);
  assert.equal(usesParameter("rbf", "degree"), false);
  assert.equal(usesParameter("poly", "coef0"), true);
  assert.equal(usesParameter("linear", "c"), true);
});

test("XOR opens as its four points with the product map, the circles with the radius", () => {
  assert.deepEqual(SET_DEFAULTS.xor, { size: 4, noise: 0, feature: "product" });
  assert.equal(SET_DEFAULTS.circles.feature, "radius");
  for (const set of Object.values(SET_DEFAULTS)) assert.ok(set.size >= 2 && set.noise >= 0 && set.noise <= 1);
});
