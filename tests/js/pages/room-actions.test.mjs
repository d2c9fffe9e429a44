import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { room } from "../../../static/js/lib/room.js";
import { cleanName, joinRoom, lookUp, normalCode, openRoom, sentence } from "../../../static/js/pages/room/room-actions.js";
import { memoryStorage } from "../helpers.mjs";

let requests;
/** fetch answering from a table of "METHOD path" → [status, body] (or throwing for "offline"). */
function serve(table) {
  globalThis.fetch = async (url, options = {}) => {
    const key = `${options.method ?? "GET"} ${url}`;
    requests.push(key);
    if (table === "offline") throw new TypeError("fetch failed");
    const [status, body] = table[key] ?? [404, { code: "not_found", message: "no such thing" }];
    return { ok: status < 400, status, json: async () => (typeof body === "string" ? JSON.parse(body) : body) };
  };
}

beforeEach(() => {
  requests = [];
  globalThis.sessionStorage = memoryStorage();
  room.membership = null;
});
afterEach(() => {
  delete globalThis.fetch;
  delete globalThis.sessionStorage;
  room.membership = null;
});

test("codes, names and sentences as the server reads them", () => {
  assert.equal(normalCode(" qx7-k 2 "), "QX7K2");
  assert.equal(cleanName("  Ada <b>\u0007Lovelace</b> "), "Ada bLovelace/b");
  assert.equal(cleanName("x".repeat(40)).length, 24);
  assert.equal(sentence("there is no room ABC"), "There is no room ABC");
  assert.equal(sentence(""), "");
});

test("lookUp: an empty or malformed code is refused without asking the server", async () => {
  assert.deepEqual(await lookUp("  "), { ok: false, message: "Type the code your teacher shows." });
  assert.deepEqual(await lookUp("ab/c"), { ok: false, message: "there is no room AB/C; check the code on the board" });
  assert.deepEqual(requests, []);
});

test("lookUp: the server's sentence for a wrong code, a plain one when it cannot be reached", async () => {
  serve({ "GET /api/rooms/ZZZ": [404, { code: "room_not_found", message: "there is no room ZZZ; check the code" }] });
  assert.deepEqual(await lookUp("zzz"), { ok: false, message: "there is no room ZZZ; check the code" });
  serve({ "GET /api/rooms/ZZZ": [500, "not json"] });
  assert.equal((await lookUp("zzz")).message, "there is no room ZZZ; check the code on the board");
  serve("offline");
  assert.equal((await lookUp("zzz")).message, "The server could not be reached; check the connection and try again.");
});

test("joinRoom enters the room the server names, as a student with a clean name", async () => {
  const info = { code: "QX7K", join_url: "/join/QX7K", students: 3 };
  serve({ "GET /api/rooms/QX7K": [200, info] });
  assert.deepEqual(await joinRoom("qx7k", " Ada\n"), { ok: true, info });
  assert.deepEqual(room.membership, { code: "QX7K", key: null, name: "Ada", member: null, following: true });
  assert.deepEqual(JSON.parse(sessionStorage.getItem("backprop-lab.room")), room.membership);
});

test("openRoom makes this tab the teacher of a new room, or says why not", async () => {
  serve({ "POST /api/rooms": [201, { code: "AB12", key: "secret" }] });
  const opened = await openRoom();
  assert.equal(opened.ok, true);
  assert.deepEqual([room.membership.code, room.membership.key], ["AB12", "secret"]);
  serve({ "POST /api/rooms": [503, { code: "too_many_rooms", message: "too many rooms are open; try in an hour" }] });
  assert.deepEqual(await openRoom(), { ok: false, message: "too many rooms are open; try in an hour" });
  assert.deepEqual(requests, ["POST /api/rooms", "POST /api/rooms"]);
});
