import assert from "node:assert/strict";
import { test } from "node:test";

import { decodeFrame, encodeFrame } from "../../../static/js/lib/frames.js";
import { fixtureBuffer } from "../helpers.mjs";

/** A frame as app/server/frames.py packs it: uint32 length, JSON header (padded to 4), then the arrays. */
function pack(header, entries, body) {
  const text = new TextEncoder().encode(JSON.stringify({ ...header, arrays: entries }));
  const pad = (4 - ((4 + text.length) % 4)) % 4;
  const out = new Uint8Array(4 + text.length + pad + body.length);
  new DataView(out.buffer).setUint32(0, text.length + pad, true);
  out.set(text, 4);
  out.fill(32, 4 + text.length, 4 + text.length + pad);
  out.set(body, 4 + text.length + pad);
  return out.buffer;
}

test("u8 arrays decode with one [lo, hi] range per map", () => {
  const codes = new Uint8Array([0, 255, 51, 0, 255, 102, 0, 0]);
  const buffer = pack({ type: "prediction", seq: 4 }, [{ name: "maps", shape: [2, 3], dtype: "u8", offset: 0, lo: [-1, 0], hi: [1, 10] }], codes);
  const { header, arrays } = decodeFrame(buffer);
  assert.deepEqual(header, { type: "prediction", seq: 4 }, "the arrays' list is taken out of the header");
  assert.deepEqual(arrays.maps.shape, [2, 3]);
  assert.ok(arrays.maps.data instanceof Float32Array);
  const values = Array.from(arrays.maps.data);
  assert.deepEqual(values.slice(0, 2), [-1, 1]);
  assert.ok(Math.abs(values[2] - -0.6) < 1e-6); // 51/255 of the way from −1 to 1
  assert.deepEqual(values.slice(3, 5), [0, 10]);
  assert.ok(Math.abs(values[5] - 4) < 1e-6);
});

test("f32 arrays decode little-endian at their offsets", () => {
  const floats = new Float32Array([1.5, -2.25, 0, 0, 1e-3, 3]);
  const body = new Uint8Array(floats.buffer);
  const entries = [
    { name: "a", shape: [2], dtype: "f32", offset: 0 },
    { name: "b", shape: [1, 2], dtype: "f32", offset: 16 },
  ];
  const { arrays } = decodeFrame(pack({ type: "x" }, entries, body));
  assert.deepEqual(Array.from(arrays.a.data), [1.5, -2.25]);
  assert.deepEqual(Array.from(arrays.b.data), [Math.fround(1e-3), 3]);
  assert.deepEqual(arrays.b.shape, [1, 2]);
});

test("encodeFrame: the page's frames round-trip, every part aligned to 4 bytes", () => {
  const canvas = new Uint8Array([0, 1, 2, 253, 254, 255]);
  const strokes = new Uint8Array([9, 8, 7]);
  const buffer = encodeFrame({ type: "draw", seq: 3, preprocess: "mnist" }, {
    canvas: { shape: [2, 3], data: canvas },
    strokes: { shape: [3], data: strokes },
  });
  assert.equal(buffer.byteLength % 4, 0);
  const view = new DataView(buffer);
  const length = view.getUint32(0, true);
  assert.equal((4 + length) % 4, 0);
  const raw = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
  assert.deepEqual(raw.arrays.map((a) => [a.name, a.dtype, a.offset, a.lo, a.hi]), [
    ["canvas", "u8", 0, [0], [255]],
    ["strokes", "u8", 8, [0], [255]],
  ]);
  const { header, arrays } = decodeFrame(buffer);
  assert.deepEqual(header, { type: "draw", seq: 3, preprocess: "mnist" });
  assert.deepEqual(Array.from(arrays.canvas.data), [0, 1, 2, 253, 254, 255]);
  assert.deepEqual(Array.from(arrays.strokes.data), [9, 8, 7]);
});

test("a frame packed by the server decodes: the slide's 7×7 image convolved with its 3×3 kernel", () => {
  const { header, arrays } = decodeFrame(fixtureBuffer("conv-slide-max-0.bin"));
  assert.equal(header.type, "conv_plan");
  assert.deepEqual(header.conv.out, [5, 5]);
  assert.deepEqual(arrays.output.shape, [1, 5, 5]);
  // Worked out by hand: output[y][x] = x[y+1][x+1] + x[y+1][x+2] + x[y+2][x+1] (the kernel's three ones).
  assert.deepEqual(Array.from(arrays.output.data.subarray(0, 5)), [3, 2, 2, 3, 1]);
  assert.deepEqual(Array.from(arrays.output.data.subarray(20, 25)), [1, 0, 0, 0, 0]);
});
