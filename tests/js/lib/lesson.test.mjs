import assert from "node:assert/strict";
import { test } from "node:test";

import { currentStep, neighbours, samePage, shows } from "../../../static/js/lib/lesson.js";

// The lesson path as app/server/pages.py's LESSON hands it to the page (base.html), abridged.
const step = (title, path, query = "", anchor = null) => ({ title, path, query, anchor, href: path });
const STEPS = [
  step("The artificial neuron", "/neuron"),
  step("XOR: how many layers?", "/xor"),
  step("Backpropagation step by step", "/xor", "", "derivation"),
  step("Convolution arithmetic: k, s, p", "/conv"),
  step("Stride 2: the 7×7 image gives 3×3", "/conv", "s=2"),
  step("Pooling", "/conv", "stage2=max&k2=2&s2=2"),
  step("LeNet in action", "/lenet"),
];
const url = (pathname, search = "", hash = "") => ({ pathname, search, hash });

test("shows: the path, every value of the step's query and its anchor must match", () => {
  assert.ok(shows(STEPS[4], url("/conv", "?n=7&s=2")));
  assert.ok(!shows(STEPS[4], url("/conv", "?s=3")));
  assert.ok(!shows(STEPS[4], url("/xor", "?s=2")));
  assert.ok(shows(STEPS[2], url("/xor", "?seed=1", "#derivation")));
  assert.ok(!shows(STEPS[2], url("/xor", "?seed=1", "#other")));
  assert.ok(shows(STEPS[1], url("/xor", "", "#derivation")), "a step without anchor accepts any");
});

test("currentStep: the most specific step that fits the URL", () => {
  assert.equal(currentStep(STEPS, url("/neuron")), 0);
  assert.equal(currentStep(STEPS, url("/xor", "?lr=0.5")), 1);
  assert.equal(currentStep(STEPS, url("/xor", "?lr=0.5", "#derivation")), 2);
  assert.equal(currentStep(STEPS, url("/conv", "?n=7&k=3&s=1")), 3);
  assert.equal(currentStep(STEPS, url("/conv", "?n=7&k=3&s=2")), 4);
  assert.equal(currentStep(STEPS, url("/conv", "?s=2&stage2=max&k2=2&s2=2")), 5, "three conditions beat one");
  assert.equal(currentStep(STEPS, url("/classroom")), -1);
});

test("neighbours: the steps either side, null past the ends; off the path the next is the first", () => {
  assert.deepEqual(neighbours(STEPS, 0), { prev: null, next: STEPS[1] });
  assert.deepEqual(neighbours(STEPS, 3), { prev: STEPS[2], next: STEPS[4] });
  assert.deepEqual(neighbours(STEPS, 6), { prev: STEPS[5], next: null });
  assert.deepEqual(neighbours(STEPS, -1), { prev: null, next: STEPS[0] });
});

test("samePage: only the anchor may differ", () => {
  assert.ok(samePage(STEPS[1], STEPS[2]));
  assert.ok(!samePage(STEPS[3], STEPS[4]));
  assert.ok(!samePage(STEPS[0], STEPS[1]));
  assert.ok(!samePage(null, STEPS[1]));
});
