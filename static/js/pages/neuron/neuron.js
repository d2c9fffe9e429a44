// The neuron page: sliders and the activation menu go to /ws/neuron (latest wins, throttled); the server's
// neuron_surface frame is drawn by the views. The page computes no neuron output itself.

import { Socket } from "../../lib/socket.js";
import { XOR } from "../../lib/protocol.js";
import { throttle } from "../../lib/throttle.js";
import { readState, writeState } from "../../lib/url-state.js";
import { formatValue } from "../../lib/format.js";
import { openStage } from "../../lib/present.js";
import { room } from "../../lib/room.js";
import { addSaveButton } from "../../lib/snapshot.js";
import { ConnectionStatus } from "../../views/connection-status.js";
import { DecisionSurface } from "../../views/decision-surface.js";
import { NeuronFormula } from "../../views/neuron-formula.js";
import { PointTable } from "../../views/point-table.js";

const SEND_EVERY_MS = 50;
let settled = false;
const inputs = {
  w1: document.getElementById("neuron-w1"),
  w2: document.getElementById("neuron-w2"),
  b: document.getElementById("neuron-b"),
};
const menu = document.getElementById("neuron-g");

const problem = document.querySelector("[data-testid=page-error]");
const status = new ConnectionStatus(document.querySelector("[data-testid=connection]"));
const surface = new DecisionSurface(document.getElementById("neuron-surface"), {
  label: "h over the input plane", testid: "neuron-surface",
});
addSaveButton(surface.el, { name: "neuron-surface", label: "h over the input plane" });
const formula = new NeuronFormula(document.getElementById("neuron-formula"));
const table = new PointTable(document.getElementById("neuron-points"), {
  caption: "The four XOR points",
  testid: "neuron-point",
  columns: [{ key: "x1", label: "x₁" }, { key: "x2", label: "x₂" }, { key: "a", label: "a = b + w₁x₁ + w₂x₂" }, { key: "h", label: "h = g(a)" }],
});

const state = readState({ w1: Number(inputs.w1.value), w2: Number(inputs.w2.value), b: Number(inputs.b.value), g: menu.value });
for (const [name, input] of Object.entries(inputs)) input.value = state[name];
if ([...menu.options].some((option) => option.value === state.g)) menu.value = state.g;

function current() {
  return { w1: Number(inputs.w1.value), w2: Number(inputs.w2.value), b: Number(inputs.b.value), g: menu.value };
}

function showValues() {
  for (const [name, input] of Object.entries(inputs)) {
    document.getElementById(`${input.id}-value`).textContent = formatValue(Number(input.value), 3);
  }
}

const socket = new Socket("/ws/neuron", {
  onStatus: (state, detail) => {
    status.update(state);
    if (state === "ready") {
      const limit = detail.limits.max_param;
      for (const input of Object.values(inputs)) {
        input.min = String(-limit);
        input.max = String(limit);
      }
      send();
    }
  },
  onFrame: ({ header, arrays }) => {
    surface.update({
      values: arrays.h.data, size: header.size, box: header.box, scale: header.scale, line: header.line,
      points: header.points.map((p) => ({
        u: p.x1, v: p.x2, positive: p.y > 0.5, label: `${formatValue(p.h, 3)}`,
        title: `(${p.x1}, ${p.x2}): h = ${formatValue(p.h)}`,
      })),
    });
    formula.update(header);
    table.update(header.points);
    if (!settled) openStage(); // the first answer drawn gives the page its final layout
    settled = true;
  },
  onError: (error) => {
    problem.hidden = false;
    problem.textContent = error.message;
  },
});

function send() {
  const message = { type: XOR.neuron, ...current() };
  problem.hidden = true;
  writeState(current());
  socket.request(message, XOR.neuronSurface);
}

const sendSoon = throttle(send, SEND_EVERY_MS);
for (const input of [...Object.values(inputs), menu]) {
  input.addEventListener("input", () => {
    showValues();
    sendSoon();
  });
}
showValues();

// In a classroom room, a following student's page takes the teacher's weights, bias and activation from the
// teacher's address in place (a slider dragged on the projector would otherwise reload every student's page).
room.share({
  live: ["w1", "w2", "b", "g"],
  read: () => ({}),
  apply: (_, view) => {
    const params = new URLSearchParams(view.query);
    const before = JSON.stringify(current());
    for (const [name, input] of Object.entries(inputs)) {
      const value = Number(params.get(name));
      if (params.has(name) && Number.isFinite(value)) input.value = String(value);
    }
    if ([...menu.options].some((option) => option.value === params.get("g"))) menu.value = params.get("g");
    if (JSON.stringify(current()) === before) return;
    showValues();
    sendSoon();
  },
});
