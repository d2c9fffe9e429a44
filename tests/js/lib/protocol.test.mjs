import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";

import { CONV, KERNELS, LENET, MSG, PROTOCOL_VERSION, ROOM, XOR } from "../../../static/js/lib/protocol.js";

const BLOCKS = { MSG, LENET, CONV, XOR, KERNELS, ROOM };
const APP = new URL("../../../app/", import.meta.url);

/** Every Python source of the server, joined (the type names are string literals there). */
function serverSources() {
  return readdirSync(APP, { recursive: true })
    .filter((name) => name.endsWith(".py"))
    .map((name) => readFileSync(new URL(name, APP), "utf8"))
    .join("\n");
}

test("the blocks are frozen and their type names are unique within each endpoint", () => {
  for (const [name, block] of Object.entries(BLOCKS)) {
    assert.ok(Object.isFrozen(block), name);
    const values = Object.values(block);
    assert.equal(new Set(values).size, values.length, `${name} repeats a type name`);
    for (const value of values) assert.match(value, /^[a-z][a-z0-9_]*$/, `${name}: ${value}`);
  }
});

test("every type name the pages use is spelt the same in the server's code", () => {
  const sources = serverSources();
  const missing = Object.entries(BLOCKS).flatMap(([name, block]) =>
    Object.values(block).filter((value) => !sources.includes(`"${value}"`)).map((value) => `${name}: ${value}`));
  assert.deepEqual(missing, []);
});

test("the protocol version is the server's", () => {
  const sources = serverSources();
  assert.equal(PROTOCOL_VERSION, 1);
  assert.match(sources, new RegExp(`PROTOCOL_VERSION(: int)? = ${PROTOCOL_VERSION}\\b`));
});
