// Shared by the JavaScript unit tests: the fixtures (tests/js/fixtures, written by generate.py from the server's
// own code) and small stand-ins for the browser's storage.

import { readFileSync } from "node:fs";

import { decodeFrame } from "../../static/js/lib/frames.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);

/** A fixture file's bytes as an ArrayBuffer of its own (what a websocket hands the page). */
export function fixtureBuffer(name) {
  const bytes = readFileSync(new URL(name, FIXTURES));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/** The decoded frames /ws/conv sent for a preset of generate.py: [conv_plan, conv_windows…]. */
export function convFrames(preset) {
  const frames = [];
  for (let i = 0; ; i++) {
    let buffer;
    try {
      buffer = fixtureBuffer(`conv-${preset}-${i}.bin`);
    } catch {
      return frames;
    }
    frames.push(decodeFrame(buffer));
  }
}

export function fixtureJson(name) {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8"));
}

/** A Web Storage stand-in (localStorage, sessionStorage) over a Map; `failing` makes every call throw. */
export function memoryStorage({ failing = false } = {}) {
  const items = new Map();
  const check = () => {
    if (failing) throw new Error("storage is off");
  };
  return {
    items,
    getItem: (key) => (check(), items.has(key) ? items.get(key) : null),
    setItem: (key, value) => (check(), items.set(key, String(value))),
    removeItem: (key) => (check(), items.delete(key)),
  };
}

/**
 * A clock the test moves by hand: setTimeout, clearTimeout and Date.now replaced until restore(). (Node 18, Debian
 * bookworm's, has no mock.timers.) tick(ms) runs every timer due by then in order, those set meanwhile included.
 */
export function fakeClock(start = 1_000_000) {
  const saved = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout, now: Date.now };
  const timers = new Map();
  let now = start;
  let nextId = 1;
  globalThis.setTimeout = (fn, ms = 0, ...args) => {
    const id = nextId++;
    timers.set(id, { id, at: now + Math.max(0, Number(ms) || 0), fn, args });
    return id;
  };
  globalThis.clearTimeout = (id) => timers.delete(id);
  Date.now = () => now;
  return {
    tick(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.values()].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
        if (!due) break;
        timers.delete(due.id);
        now = due.at;
        due.fn(...due.args);
      }
      now = end;
    },
    pending: () => timers.size,
    restore() {
      globalThis.setTimeout = saved.setTimeout;
      globalThis.clearTimeout = saved.clearTimeout;
      Date.now = saved.now;
    },
  };
}
