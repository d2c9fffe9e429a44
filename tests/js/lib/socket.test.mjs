import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { encodeFrame } from "../../../static/js/lib/frames.js";
import { Socket } from "../../../static/js/lib/socket.js";
import { fakeClock } from "../helpers.mjs";

// A stand-in for the browser's WebSocket: records what the page sends; the test plays the server.
class FakeWebSocket {
  static opened = [];
  constructor(url) {
    this.url = url;
    this.sent = [];
    FakeWebSocket.opened.push(this);
  }
  send(data) {
    this.sent.push(typeof data === "string" ? JSON.parse(data) : data);
  }
  close() {
    this.onclose?.();
  }
  // the server's side
  accept() {
    this.onopen();
    this.onmessage({ data: JSON.stringify({ type: "welcome", version: 1, limits: {} }) });
  }
  reply(message) {
    this.onmessage({ data: message instanceof ArrayBuffer ? message : JSON.stringify(message) });
  }
}

let clock;
beforeEach(() => {
  FakeWebSocket.opened = [];
  globalThis.WebSocket = FakeWebSocket;
  globalThis.location = { protocol: "https:", host: "lab.example:8443" };
  clock = fakeClock();
});
afterEach(() => {
  clock.restore();
  delete globalThis.WebSocket;
  delete globalThis.location;
});

function connect(path = "/ws/lenet") {
  const seen = { status: [], messages: [], frames: [], errors: [] };
  const socket = new Socket(path, {
    onStatus: (status, detail) => seen.status.push([status, detail]),
    onMessage: (message) => seen.messages.push(message),
    onFrame: (frame) => seen.frames.push(frame),
    onError: (error) => seen.errors.push(error),
  });
  return { socket, seen, ws: () => FakeWebSocket.opened.at(-1) };
}

test("the handshake: wss on an https page, hello with the protocol version, ready on welcome", () => {
  const { socket, seen, ws } = connect();
  assert.equal(ws().url, "wss://lab.example:8443/ws/lenet");
  assert.equal(ws().binaryType, "arraybuffer");
  assert.equal(socket.send({ type: "describe" }), false, "nothing is sent before the welcome");
  ws().accept();
  assert.deepEqual(ws().sent, [{ type: "hello", version: 1 }]);
  assert.deepEqual(seen.status.map(([status]) => status), ["connecting", "ready"]);
  assert.equal(socket.send({ type: "describe" }), true);
  assert.deepEqual(ws().sent.at(-1), { type: "describe" });
});

test("latest wins: while a request awaits its answer only the newest of its type is kept, then sent", () => {
  const { socket, seen, ws } = connect("/ws/neuron");
  ws().accept();
  socket.request({ type: "neuron", w1: 1 }, "neuron_surface");
  socket.request({ type: "neuron", w1: 2 }, "neuron_surface");
  socket.request({ type: "neuron", w1: 3 }, "neuron_surface");
  assert.deepEqual(ws().sent.slice(1), [{ type: "neuron", w1: 1 }]);
  ws().reply(encodeFrame({ type: "neuron_surface", seq: 1 }, {}));
  assert.equal(seen.frames.length, 1);
  assert.deepEqual(ws().sent.slice(1), [{ type: "neuron", w1: 1 }, { type: "neuron", w1: 3 }]);
  ws().reply(encodeFrame({ type: "neuron_surface", seq: 2 }, {}));
  assert.equal(ws().sent.length, 3, "nothing more to send");
});

test("an error answering a request frees its type; other errors only reach the page", () => {
  const { socket, seen, ws } = connect("/ws/xor");
  ws().accept();
  socket.request({ type: "xor_config", lr: 1 }, "xor_state");
  socket.request({ type: "xor_config", lr: 2 }, "xor_state");
  ws().reply({ type: "error", code: "bad_value", message: "lr must be positive", request: "xor_config" });
  assert.deepEqual(ws().sent.at(-1), { type: "xor_config", lr: 2 });
  ws().reply({ type: "error", code: "rate_limited", message: "slow down" });
  assert.deepEqual(seen.errors.map((e) => e.code), ["bad_value", "rate_limited"]);
  ws().reply({ type: "xor_state_json", x: 1 });
  assert.deepEqual(seen.messages, [{ type: "xor_state_json", x: 1 }]);
});

test("requests made before the welcome wait for it; a binary one keeps its request type", () => {
  const { socket, ws } = connect();
  const draw = (seq) => encodeFrame({ type: "draw", seq }, { canvas: { shape: [1], data: new Uint8Array([seq]) } });
  socket.request(draw(1), "prediction", "draw");
  socket.request(draw(2), "prediction", "draw");
  ws().accept();
  assert.equal(ws().sent.length, 2, "hello, then the newest draw");
  assert.ok(ws().sent[1] instanceof ArrayBuffer);
  socket.request(draw(3), "prediction", "draw");
  assert.equal(ws().sent.length, 2, "draw 3 waits for draw 2's answer");
  ws().reply(encodeFrame({ type: "prediction", seq: 2 }, {}));
  assert.equal(ws().sent.length, 3);
});

test("a request sent now goes while another is in flight, and drops the one held back", () => {
  const { socket, ws } = connect();
  ws().accept();
  const draw = (seq) => encodeFrame({ type: "draw", seq }, { canvas: { shape: [1], data: new Uint8Array([seq]) } });
  socket.request(draw(1), "prediction", "draw");
  socket.request(draw(2), "prediction", "draw");
  assert.equal(ws().sent.length, 2, "draw 2 is held while draw 1 is in flight");
  socket.request(draw(3), "prediction", "draw", { now: true });
  assert.equal(ws().sent.length, 3, "draw 3 went at once");
  ws().reply(encodeFrame({ type: "prediction", seq: 1 }, {}));
  assert.equal(ws().sent.length, 3, "draw 2 was dropped, not sent after draw 1's answer");
});

test("a dropped connection retries after 250 ms, then longer, and close() stops for good", () => {
  const { socket, seen, ws } = connect();
  ws().accept();
  socket.request({ type: "describe" }, "model");
  ws().close();
  assert.deepEqual(seen.status.at(-1), ["closed", { retryInMs: 250 }]);
  assert.equal(socket.ready, false);
  clock.tick(249);
  assert.equal(FakeWebSocket.opened.length, 1);
  clock.tick(1);
  assert.equal(FakeWebSocket.opened.length, 2);
  ws().close();
  assert.deepEqual(seen.status.at(-1), ["closed", { retryInMs: 500 }]);
  clock.tick(500);
  ws().accept();
  socket.request({ type: "describe" }, "model");
  assert.deepEqual(ws().sent.at(-1), { type: "describe" }, "nothing in flight survives the drop");
  socket.close();
  clock.tick(10_000);
  assert.equal(FakeWebSocket.opened.length, 3);
});
