import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { Animation } from "../../../static/js/pages/conv/conv-animation.js";
import { fakeClock } from "../helpers.mjs";

let timers;
beforeEach(() => (timers = fakeClock()));
afterEach(() => timers.restore());

function clock(total, { step = 0, speed = 1 } = {}) {
  const position = { step, speed };
  const shown = [];
  let ended = 0;
  const animation = new Animation(position, {
    total: () => total,
    show: () => shown.push([position.step, animation.phase]),
    end: () => (ended += 1),
  });
  return { animation, position, shown, ended: () => ended };
}

test("at speed 1 each step shows its window, then its products, then its sum, 1.2 s apart", () => {
  const { animation, shown } = clock(3);
  assert.equal(animation.start(), true);
  assert.equal(animation.phase, "window");
  timers.tick(1199);
  assert.deepEqual(shown, []);
  timers.tick(1);
  assert.deepEqual(shown, [[0, "products"]]);
  timers.tick(1200 * 2);
  assert.deepEqual(shown, [[0, "products"], [0, "sum"], [1, "window"]]);
});

test("the last step ends the walk; starting again from the end starts at step 0", () => {
  const { animation, position, ended } = clock(2, { step: 1 });
  animation.start();
  assert.equal(position.step, 0, "from the last step, play starts over");
  timers.tick(1200 * 3); // products, sum, next step's window
  assert.equal(position.step, 1);
  timers.tick(1200 * 3);
  assert.equal(ended(), 1);
  assert.equal(clock(0).animation.start(), false, "no steps: nothing to play");
});

test("at high speed a tick moves several whole steps", () => {
  const { animation, position, shown } = clock(1000, { speed: 10 });
  animation.start(); // 1200·0.55⁹ ≈ 5.5 ms a phase: ticks every 16 ms, 4 steps at a time
  timers.tick(16);
  assert.deepEqual(shown, [[4, "sum"]]);
  timers.tick(16);
  assert.equal(position.step, 8);
});

test("stop shows whole sums again and no tick comes after it", () => {
  const { animation, shown } = clock(5);
  animation.start();
  assert.equal(animation.stop(), true);
  assert.equal(animation.phase, "sum");
  assert.equal(animation.stop(), false);
  timers.tick(10_000);
  assert.deepEqual(shown, []);
});
