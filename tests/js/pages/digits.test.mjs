import assert from "node:assert/strict";
import { test } from "node:test";

import { digitOrNull } from "../../../static/js/pages/lenet/digits.js";

test("a digit 0..9 passes; anything else a room's state may hold is null", () => {
  assert.equal(digitOrNull(0), 0);
  assert.equal(digitOrNull(9), 9);
  for (const value of [-1, 10, 2.5, "3", null, undefined, NaN, Infinity, [4], { digit: 4 }]) {
    assert.equal(digitOrNull(value), null, String(value));
  }
});
