import assert from "node:assert/strict";
import { test } from "node:test";

import { cleanState, roomAdapter } from "../../../static/js/pages/conv/conv-room.js";

test("cleanState keeps a valid shared state as it is", () => {
  const state = { step: 12, phase: "products", playing: true, hide: 1, selection: { kind: "dw", f: 1, c: 2, i: 0, j: 2 } };
  assert.deepEqual(cleanState(state), state);
  assert.deepEqual(cleanState({ step: 0, phase: "window", playing: false, hide: 0, selection: { kind: "dx", c: 0, r: 4, col: 3 } }),
    { step: 0, phase: "window", playing: false, hide: 0, selection: { kind: "dx", c: 0, r: 4, col: 3 } });
});

test("cleanState replaces anything out of shape with the defaults, and drops extra fields", () => {
  assert.deepEqual(cleanState(null), { step: 0, phase: "sum", playing: false, hide: 0, selection: null });
  assert.deepEqual(
    cleanState({ step: -1, phase: "dance", playing: "yes", hide: 2, selection: { kind: "dx", c: 0, r: 1.5, col: 0 }, extra: 1 }),
    { step: 0, phase: "sum", playing: false, hide: 0, selection: null },
  );
  assert.equal(cleanState({ step: 10_001 }).step, 0, "beyond any grid the server plans");
  assert.equal(cleanState({ step: 10_000 }).step, 10_000);
  assert.deepEqual(cleanState({ selection: { kind: "dw", f: 0, c: 0, i: 0, j: 0, evil: "<script>" } }).selection,
    { kind: "dw", f: 0, c: 0, i: 0, j: 0 });
  assert.equal(cleanState({ selection: { kind: "db", f: 0 } }).selection, null);
});

test("the adapter applies checked states, names the live parameters, and replays only while following", () => {
  const applied = [];
  const adapter = roomAdapter({ read: () => ({ step: 3 }), apply: (state) => applied.push(state) });
  assert.deepEqual(adapter.live, ["step", "hide", "speed"]);
  assert.deepEqual(adapter.read(), { step: 3 });
  adapter.apply({ step: 5, phase: "window" });
  assert.deepEqual(applied, [{ step: 5, phase: "window", playing: false, hide: 0, selection: null }]);
  adapter.replay(); // this tab is in no room: nothing to follow
  assert.equal(applied.length, 1);
});
