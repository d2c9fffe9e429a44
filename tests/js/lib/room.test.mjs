import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { joinsAgain, loadMembership, sameAddress, saveMembership, withoutParams } from "../../../static/js/lib/room.js";
import { memoryStorage } from "../helpers.mjs";

beforeEach(() => (globalThis.sessionStorage = memoryStorage()));
afterEach(() => delete globalThis.sessionStorage);

test("membership is kept per tab and read back; clearing it forgets it", () => {
  assert.equal(loadMembership(), null);
  const membership = { code: "QX7K", key: null, name: "Ada", member: "m-1", following: true };
  saveMembership(membership);
  assert.deepEqual(loadMembership(), membership);
  saveMembership(null);
  assert.equal(loadMembership(), null);
  assert.equal(sessionStorage.items.size, 0);
});

test("a stored membership without a code, or unreadable, is none; storage that is off does not throw", () => {
  sessionStorage.setItem("backprop-lab.room", JSON.stringify({ member: "m-1" }));
  assert.equal(loadMembership(), null);
  sessionStorage.setItem("backprop-lab.room", "{");
  assert.equal(loadMembership(), null);
  globalThis.sessionStorage = memoryStorage({ failing: true });
  assert.doesNotThrow(() => saveMembership({ code: "QX7K" }));
  assert.equal(loadMembership(), null);
});

test("withoutParams drops the named parameters, and leaves a query without them as it is", () => {
  assert.equal(withoutParams("?n=5&present=1&s=2", ["present"]), "?n=5&s=2");
  assert.equal(withoutParams("?present=1", ["present"]), "");
  assert.equal(withoutParams("?b=2&a=1", ["present"]), "?b=2&a=1");
  assert.equal(withoutParams("", ["present"]), "");
});

test("sameAddress: same page, same parameters in any order (but the ignored and personal ones), same anchor", () => {
  const at = (page, query, anchor = null) => ({ page, query, anchor });
  assert.ok(sameAddress(at("/conv", "?n=5&s=2"), at("/conv", "?s=2&n=5")));
  assert.ok(!sameAddress(at("/conv", "?n=5&s=2"), at("/conv", "?n=5&s=1")));
  assert.ok(!sameAddress(at("/conv", "?n=5"), at("/xor", "?n=5")));
  assert.ok(sameAddress(at("/conv", "?n=5&present=1"), at("/conv", "?n=5")), "presentation mode is one screen's");
  assert.ok(sameAddress(at("/conv", "?n=5&step=3"), at("/conv", "?n=5&step=9"), ["step"]));
  assert.ok(!sameAddress(at("/xor", "", "derivation"), at("/xor", "")));
  assert.ok(sameAddress(at("/xor", "", null), at("/xor", "", undefined)));
});

test("a join refused for a while (throttled, or the rooms' store away) is tried again; a wrong code is final", () => {
  assert.equal(joinsAgain({ request: "join", code: "too_many_attempts" }), true);
  assert.equal(joinsAgain({ request: "join", code: "unavailable" }), true);
  assert.equal(joinsAgain({ request: "join", code: "room_expired" }), false);
  assert.equal(joinsAgain({ request: "join", code: "forbidden" }), false);
  assert.equal(joinsAgain({ request: "answer", code: "unavailable" }), false);
});
