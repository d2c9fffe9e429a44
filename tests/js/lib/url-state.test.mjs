import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { URL_CHANGED, readState, writeState } from "../../../static/js/lib/url-state.js";

// The browser's location, history and window, as far as url-state.js uses them.
let replaced;
beforeEach(() => {
  replaced = [];
  globalThis.location = { pathname: "/conv", search: "?n=5&kernel=box&s=abc&extra=1", hash: "#derivation" };
  globalThis.history = { replaceState: (...args) => replaced.push(args) };
  globalThis.window = new EventTarget();
});
afterEach(() => {
  delete globalThis.location;
  delete globalThis.history;
  delete globalThis.window;
});

test("readState: the query over the defaults; numbers stay numbers, unreadable ones fall back", () => {
  const state = readState({ n: 7, kernel: "seed", s: 1, p: 0 });
  assert.deepEqual(state, { n: 5, kernel: "box", s: 1, p: 0 });
  assert.equal(typeof state.n, "number");
});

test("readState: a parameter not among the defaults is ignored; the defaults object is not changed", () => {
  const defaults = { kernel: "seed" };
  assert.deepEqual(readState(defaults), { kernel: "box" });
  assert.deepEqual(defaults, { kernel: "seed" });
});

test("writeState replaces the query in place, keeps the anchor, and announces the change", () => {
  const events = [];
  window.addEventListener(URL_CHANGED, (event) => events.push(event.type));
  writeState({ n: 9, kernel: "sobel x", explain: false });
  assert.deepEqual(replaced, [[null, "", "/conv?n=9&kernel=sobel+x&explain=false#derivation"]]);
  assert.deepEqual(events, ["backprop-lab:url-state"]);
});
