import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { CONV } from "../../../static/js/lib/protocol.js";
import { ConvSettings } from "../../../static/js/pages/conv/conv-settings.js";
import { SEED_IMAGE, VOLUME } from "../../../static/js/pages/conv/conv-presets.js";
import { memoryStorage } from "../helpers.mjs";

// The conv page's settings without the DOM: a URL's state → input, kernels and the conv_plan request; the
// controls' changes. location, history and storage are stand-ins.
let written;
function at(search) {
  globalThis.location = { pathname: "/conv", search, hash: "" };
}
beforeEach(() => {
  written = [];
  at("");
  globalThis.history = { replaceState: (_, __, url) => written.push(url) };
  globalThis.window = new EventTarget();
  globalThis.localStorage = memoryStorage();
});
afterEach(() => {
  for (const name of ["location", "history", "window", "localStorage"]) delete globalThis[name];
});

function settings(search = "") {
  at(search);
  const sent = [];
  const s = new ConvSettings((message) => sent.push(message));
  return { s, sent };
}

test("the plain page is the slide's example: 7×7 image, 3×3 kernel, stride 1", () => {
  const { s, sent } = settings();
  assert.equal(s.resolve(), true);
  assert.deepEqual(sent, []);
  assert.deepEqual(s.planRequest(), {
    type: CONV.plan,
    input: [SEED_IMAGE],
    kernels: [[[[0, 0, 0], [0, 1, 1], [0, 1, 0]]]],
    bias: [0],
    stride: 1,
    padding: 0,
    dilation: 1,
    stage2: { kind: "none", k: 2, s: 2, p: 0 },
    grad: { kind: "ones" },
  });
  assert.deepEqual([s.state.n, s.state.c, s.state.f, s.state.k, s.state.b], [7, 1, 1, 3, "0"]);
});

test("the lesson's volume step asks for the plan the volume fixture holds", () => {
  const { s } = settings("?input=volume&n=5&c=3&kernel=volume&f=2&s=2&p=1&grad=0,1,2");
  assert.equal(s.resolve(), true);
  const request = s.planRequest();
  assert.deepEqual(request.input, VOLUME.input);
  assert.deepEqual(request.kernels, VOLUME.kernels);
  assert.deepEqual([request.bias, request.stride, request.padding], [[1, 0], 2, 1]);
  assert.deepEqual(request.grad, { kind: "cell", cell: [0, 1, 2] });
  assert.equal(s.state.b, "1,0");
});

test("an MNIST digit is asked for once, then used when it arrives", () => {
  const { s, sent } = settings("?input=mnist&digit=4");
  assert.equal(s.resolve(), false);
  assert.equal(s.resolve(), false);
  assert.deepEqual(sent, [{ type: CONV.asset, name: "mnist_digit", index: 4 }]);
  const digit = [Array.from({ length: 28 }, (_, r) => Array(28).fill(r / 27))];
  s.receiveAsset({ name: "mnist_digit", index: 4, values: digit });
  assert.equal(s.resolve(), true);
  assert.equal(s.data.input, digit);
  assert.equal(s.state.n, 28);
});

test("LeNet's kernels refused: back to the slide's kernel", () => {
  const { s, sent } = settings("?kernel=lenet&k=5&f=6");
  assert.equal(s.resolve(), false);
  assert.deepEqual(sent, [{ type: CONV.asset, name: "lenet_conv1", index: 0 }]);
  s.assetRefused();
  assert.deepEqual([s.state.kernel, s.state.k, s.state.f, s.state.b], ["seed", 3, 1, "0"]);
  assert.equal(s.resolve(), true);
});

test("the digit drawn on /lenet is the input when there is one, else the slide's image with a note", () => {
  const { s } = settings("?input=lenet");
  assert.equal(s.resolve(), true);
  assert.deepEqual(s.data.input, [SEED_IMAGE]);
  assert.match(s.data.note, /^No digit has been drawn on the LeNet page/);
  const drawn = Array.from({ length: 28 }, (_, r) => Array.from({ length: 28 }, (_, c) => (r === c ? 1 : 0)));
  localStorage.setItem("backprop-lab:last-digit", JSON.stringify({ values: drawn }));
  assert.equal(s.resolve(), true);
  assert.deepEqual(s.data.input, [drawn]);
  assert.equal(s.data.note, "");
});

test("a number out of range is used at its nearest allowed value, and a sentence says so", () => {
  const { s } = settings();
  s.connected({ max_kernel: 7, max_size: 16 });
  s.resolve();
  assert.equal(s.setNumber("k", 9), true);
  assert.equal(s.data.corrected, "kernel size k = 9 is out of range (1 to 7, this server's limit), so 7 is used.");
  assert.equal(s.setNumber("k", 9), false, "nothing changes");
  s.setNumber("n", 2);
  assert.equal(s.data.corrected, "size n = 2 is out of range (3 to 16), so 3 is used.");
  s.setNumber("s", 40);
  assert.equal(s.data.corrected, "", "the server judges the stride");
});

test("a new k resizes an edited kernel around its centre; a new n crops the input from its corner", () => {
  const { s } = settings();
  s.resolve();
  s.paintKernel(0, 0, 1, 1, 5);
  assert.equal(s.state.w, "0,0,0,0,5,1,0,1,0");
  s.setNumber("step", 4);
  assert.equal(s.setNumber("k", 5), true);
  assert.equal(s.state.step, 0, "a new k starts the walk over");
  s.resolve();
  assert.deepEqual(s.data.kernels[0][0], [
    [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 5, 1, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 0],
  ]);
  s.setNumber("n", 4);
  s.resolve();
  assert.deepEqual(s.data.input, [SEED_IMAGE.slice(0, 4).map((row) => row.slice(0, 4))]);
  assert.equal(s.state.input, "custom");
});

test("painting the input makes it custom; a bias is typed per filter; a gradient cell goes back to ones", () => {
  const { s } = settings("?grad=0,0,0");
  s.resolve();
  assert.equal(s.paintInput(0, 0, 0, 9), true);
  assert.equal(s.state.input, "custom");
  assert.equal(s.state.x.split(",")[0], "9");
  assert.equal(s.setBias(0, Number.NaN), false);
  assert.equal(s.setBias(0, 0.5), true);
  assert.equal(s.state.b, "0.5");
  s.setNumber("s", 2);
  assert.equal(s.state.grad, "ones");
});

test("a padding mode is sent by name until the plan says which p it gave", () => {
  const { s } = settings();
  s.resolve();
  s.setPaddingMode("same");
  assert.equal(s.planRequest().padding, "same");
  s.planArrived({ conv: { p: 1 } });
  assert.equal(s.state.p, 1);
  assert.equal(s.planRequest().padding, 1);
});

test("save writes the state to the URL, the edited arrays only while they are shown", () => {
  const { s } = settings();
  s.resolve();
  s.paintKernel(0, 0, 0, 0, 2);
  s.save();
  const query = new URLSearchParams(written.at(-1).split("?")[1]);
  assert.equal(query.get("kernel"), "custom");
  assert.equal(query.get("w"), "2,0,0,0,1,1,0,1,0");
  assert.equal(query.has("x"), false);
  s.loadExample("slide_stride2");
  s.save();
  const example = new URLSearchParams(written.at(-1).split("?")[1]);
  assert.deepEqual([example.get("s"), example.get("kernel"), example.has("w")], ["2", "seed", false]);
});
