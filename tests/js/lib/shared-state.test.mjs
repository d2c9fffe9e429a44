import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { LAST_DIGIT_KEY, loadLastDigit, saveLastDigit } from "../../../static/js/lib/shared-state.js";
import { memoryStorage } from "../helpers.mjs";

const digit = Array.from({ length: 28 }, (_, r) => Array.from({ length: 28 }, (_, c) => (r === c ? 1 : 0)));

beforeEach(() => (globalThis.localStorage = memoryStorage()));
afterEach(() => delete globalThis.localStorage);

test("the digit drawn on /lenet is read back on /conv", () => {
  assert.equal(loadLastDigit(), null);
  saveLastDigit(digit);
  const stored = JSON.parse(localStorage.getItem(LAST_DIGIT_KEY));
  assert.equal(typeof stored.savedAt, "number");
  assert.deepEqual(loadLastDigit(), digit);
});

test("anything but 28 rows of 28 finite numbers reads as no digit", () => {
  const save = (values) => localStorage.setItem(LAST_DIGIT_KEY, JSON.stringify({ values }));
  save(digit.slice(1));
  assert.equal(loadLastDigit(), null);
  save(digit.map((row, r) => (r === 5 ? row.slice(1) : row)));
  assert.equal(loadLastDigit(), null);
  save(digit.map((row, r) => (r === 5 ? row.map(() => "x") : row)));
  assert.equal(loadLastDigit(), null);
  localStorage.setItem(LAST_DIGIT_KEY, "{not json");
  assert.equal(loadLastDigit(), null);
});

test("storage that is off neither throws nor remembers", () => {
  globalThis.localStorage = memoryStorage({ failing: true });
  assert.doesNotThrow(() => saveLastDigit(digit));
  assert.equal(loadLastDigit(), null);
});
