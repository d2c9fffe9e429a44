import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { throttle } from "../../../static/js/lib/throttle.js";
import { fakeClock } from "../helpers.mjs";

let clock;
beforeEach(() => (clock = fakeClock()));
afterEach(() => clock.restore());

test("the first call goes out at once, with the latest arguments of the same tick", () => {
  const calls = [];
  const send = throttle((...args) => calls.push(args), 40);
  send(1);
  send(2, "b");
  assert.deepEqual(calls, []);
  clock.tick(0);
  assert.deepEqual(calls, [[2, "b"]]);
});

test("at most one call per period, and the last call is never lost", () => {
  const calls = [];
  const send = throttle((value) => calls.push([value, Date.now()]), 40);
  send("a");
  clock.tick(0);
  send("b");
  send("c");
  clock.tick(39);
  assert.deepEqual(calls.map(([v]) => v), ["a"], "nothing before the period is over");
  clock.tick(1);
  assert.deepEqual(calls.map(([v]) => v), ["a", "c"]);
  assert.equal(calls[1][1] - calls[0][1], 40);
  clock.tick(1000);
  assert.equal(calls.length, 2, "no call without a new request");
});

test("after a quiet period a call goes out at once again", () => {
  const calls = [];
  const send = throttle((value) => calls.push(value), 40);
  send(1);
  clock.tick(0);
  clock.tick(100);
  send(2);
  clock.tick(0);
  assert.deepEqual(calls, [1, 2]);
});
