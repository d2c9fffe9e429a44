// The XOR page: controls go to /ws/xor; the server trains (the 2-2-1 network and the single neuron, each private
// to this connection) and streams xor_state frames, and answers xor_derive with the derivation and the gradient
// check. This controller only wires those messages to the views.

import { Socket } from "../../lib/socket.js";
import { XOR } from "../../lib/protocol.js";
import { throttle } from "../../lib/throttle.js";
import { readState, writeState } from "../../lib/url-state.js";
import { formatValue } from "../../lib/format.js";
import { onPresentKeys, openStage, reveal } from "../../lib/present.js";
import { addSaveButton } from "../../lib/snapshot.js";
import { ConnectionStatus } from "../../views/connection-status.js";
import { DecisionSurface } from "../../views/decision-surface.js";
import { DerivationSteps } from "../../views/derivation-steps.js";
import { GradientCheck } from "../../views/gradient-check.js";
import { LineChart } from "../../views/line-chart.js";
import { NetworkDiagram } from "../../views/network-diagram.js";
import { PointTable } from "../../views/point-table.js";
import { connectXorClass } from "./xor-class.js";

const SEND_EVERY_MS = 50;
const $ = (id) => document.getElementById(id);
const testid = (name) => document.querySelector(`[data-testid=${name}]`);

const controls = {
  lr: $("xor-lr"), speed: $("xor-speed"), seed: $("xor-seed"), mode: $("xor-mode"),
  step: $("xor-step"), run: $("xor-run"), reset: $("xor-reset"), example: $("xor-example"), derive: $("xor-derive"),
  neuronRun: $("neuron-run"), neuronReset: $("neuron-reset"), nextSeed: $("xor-next-seed"),
};
const problem = testid("page-error");

const views = {
  status: new ConnectionStatus(testid("connection")),
  diagram: new NetworkDiagram($("xor-diagram"), { label: "The 2-2-1 network", testid: "xor-net" }),
  surface: new DecisionSurface($("xor-surface"), { label: "ŷ of the 2-2-1 network over the input plane", testid: "xor-surface" }),
  hidden: new DecisionSurface($("xor-hidden"), { label: "The four points in the hidden space (z₁, z₂)", axes: ["z₁", "z₂"], testid: "xor-hidden" }),
  chart: new LineChart($("xor-chart"), {
    label: "Loss of the 2-2-1 network", xLabel: "SGD step", yLabel: "loss (log scale)", log: true,
    series: [{ key: "network", name: "mean loss over the four points" }], testid: "xor-chart",
  }),
  points: new PointTable($("xor-points"), {
    caption: "The four points", testid: "xor-point",
    columns: [
      { key: "x1", label: "x₁" }, { key: "x2", label: "x₂" }, { key: "y", label: "y" }, { key: "yhat", label: "ŷ" },
      { key: "loss", label: "(y − ŷ)²", digits: 3 }, { key: "z1", label: "z₁", digits: 3 }, { key: "z2", label: "z₂", digits: 3 },
    ],
  }),
  neuronSurface: new DecisionSurface($("neuron-surface"), { label: "ŷ of the single neuron over the input plane", testid: "neuron-surface" }),
  neuronChart: new LineChart($("neuron-chart"), {
    label: "Loss of the single neuron", xLabel: "SGD step", yLabel: "loss (log scale)", log: true,
    series: [{ key: "neuron", name: "mean loss over the four points" }], testid: "neuron-chart",
  }),
  derivationDiagram: new NetworkDiagram($("xor-derivation-diagram"), { label: "The 2-2-1 network during the derivation", testid: "derivation-net" }),
  gradcheck: new GradientCheck($("xor-gradcheck")),
};
views.derivation = new DerivationSteps($("xor-derivation"), { onStep: (step, index) => showDerivationStep(index) });
for (const [id, name, label] of [
  ["neuron-surface", "xor-neuron-surface", "the single neuron's output"], ["neuron-chart", "xor-neuron-loss", "the single neuron's loss"],
  ["xor-diagram", "xor-network", "the network"], ["xor-surface", "xor-surface", "the output over the input plane"],
  ["xor-hidden", "xor-hidden-space", "the hidden space"], ["xor-chart", "xor-loss", "the loss curve"],
  ["xor-derivation-diagram", "xor-derivation-network", "the derivation's network"],
]) addSaveButton($(id), { name, label });

const histories = { network: [], neuron: [] };
const latest = { network: null, neuron: null };
let derivation = null;
let settled = false;

const state = readState({ seed: 0, lr: Number(controls.lr.value), spf: Number(controls.speed.value), mode: controls.mode.value });
controls.seed.value = state.seed;
controls.lr.value = state.lr;
controls.speed.value = state.spf;
controls.mode.value = state.mode === "example" ? "example" : "batch";

function shown() {
  return document.querySelector("input[name=xor-show]:checked").value;
}

function neuronTask() {
  return document.querySelector("input[name=neuron-task]:checked").value;
}

function seed() {
  const value = Math.trunc(Number(controls.seed.value));
  return Number.isFinite(value) && value >= 0 ? value : 0;
}

function showOutputs() {
  $("xor-lr-value").textContent = formatValue(Number(controls.lr.value), 3);
  $("xor-speed-value").textContent = controls.speed.value;
}

// ---- messages to the server ----

const socket = new Socket("/ws/xor", {
  onStatus: (status, detail) => {
    views.status.update(status);
    if (status !== "ready") return;
    controls.lr.max = String(detail.limits.max_lr);
    controls.speed.max = String(detail.limits.max_steps_per_frame);
    socket.send({ type: XOR.reset, model: "network", seed: seed(), task: "xor" });
    sendConfig();
    socket.send({ type: XOR.reset, model: "neuron", seed: 0, task: neuronTask() });
    derive();
  },
  onFrame: ({ header, arrays }) => (header.model === "network" ? showNetwork(header, arrays) : showNeuron(header, arrays)),
  onMessage: (message) => {
    if (message.type === XOR.derivation) showDerivation(message);
  },
  onError: (error) => {
    problem.hidden = false;
    problem.textContent = error.message;
  },
});

function send(message) {
  problem.hidden = true;
  socket.send(message);
}

function sendConfig() {
  writeState({ seed: seed(), lr: Number(controls.lr.value), spf: Number(controls.speed.value), mode: controls.mode.value });
  socket.request({
    type: XOR.config, model: "network", lr: Number(controls.lr.value), mode: controls.mode.value,
    steps_per_frame: Number(controls.speed.value),
  }, XOR.state);
}

const sendConfigSoon = throttle(sendConfig, SEND_EVERY_MS);
for (const input of [controls.lr, controls.speed, controls.mode]) {
  input.addEventListener("input", () => {
    showOutputs();
    sendConfigSoon();
  });
}
function resetNetwork() {
  writeState({ seed: seed(), lr: Number(controls.lr.value), spf: Number(controls.speed.value), mode: controls.mode.value });
  send({ type: XOR.reset, model: "network", seed: seed(), task: "xor" });
}
controls.seed.addEventListener("change", resetNetwork);
const xorClass = connectXorClass({
  seed,
  setSeed: (value) => {
    controls.seed.value = String(value);
    resetNetwork();
  },
});
xorClass.start();
controls.nextSeed.addEventListener("click", () => {
  controls.seed.value = String(seed() + 1);
  resetNetwork();
  send({ type: XOR.run, model: "network" });
});
controls.step.addEventListener("click", () => send({ type: XOR.step, model: "network" }));
controls.run.addEventListener("click", () => send({ type: latest.network?.running ? XOR.pause : XOR.run, model: "network" }));
controls.reset.addEventListener("click", () => send({ type: XOR.reset, model: "network", seed: seed(), task: "xor" }));
controls.neuronRun.addEventListener("click", () => send({ type: latest.neuron?.running ? XOR.pause : XOR.run, model: "neuron" }));
controls.neuronReset.addEventListener("click", () => send({ type: XOR.reset, model: "neuron", seed: 0, task: neuronTask() }));
for (const radio of document.querySelectorAll("input[name=neuron-task]")) {
  radio.addEventListener("change", () => send({ type: XOR.reset, model: "neuron", seed: 0, task: neuronTask() }));
}
for (const radio of document.querySelectorAll("input[name=xor-show]")) {
  radio.addEventListener("change", () => latest.network && showDiagram(latest.network));
}

function derive() {
  if (latest.network?.running) send({ type: XOR.pause, model: "network" });
  socket.request({ type: XOR.derive, example: Number(controls.example.value) }, XOR.derivation);
}
controls.derive.addEventListener("click", derive);
controls.example.addEventListener("change", derive);

// ---- what the server sent ----

/** Append the frame's per-step losses to a model's loss curve (a new run from step 0 starts it afresh). */
function record(model, header, arrays) {
  const history = histories[model];
  const losses = arrays.losses.data;
  if (header.step === 0 || (history.length && header.step < history.at(-1)[0])) history.length = 0;
  if (!history.length && losses.length === 0) history.push([header.step, header.loss]);
  losses.forEach((loss, i) => history.push([header.step - losses.length + 1 + i, loss]));
}

function showRunButton(button, running) {
  button.textContent = running ? "Pause" : "Run";
  button.setAttribute("aria-pressed", String(running));
}

function pointsOn(header, u, v) {
  return header.points.map((p) => ({
    u: p[u], v: p[v], positive: p.y > 0.5, label: `(${p.x1}, ${p.x2})`,
    title: `x = (${p.x1}, ${p.x2}), y = ${p.y}, ŷ = ${formatValue(p.yhat)}`,
  }));
}

/** What the 2-2-1 network's run has shown so far, in words: nothing before it runs (the class predicts first). */
function networkVerdict(header) {
  const loss = formatValue(header.loss, 3);
  const words = header.step === 0 ? ""
    : header.solved ? "Solved: every point is on its side of ŷ = 0.5. One hidden layer is enough."
      : header.stuck ? `Stuck in a local minimum at loss ${loss}: gradient descent only goes downhill.`
        : "Not separated yet.";
  return words + (header.stopped ? ` ${header.stopped}` : "");
}

/** The single neuron's verdict: said once its run shows it (solved, or stuck at its best). */
function neuronVerdict(header) {
  const task = header.task.toUpperCase();
  if (header.solved) return `A line separates ${task}: every point is on its side.`;
  if (header.stuck) return `No line separates ${task}: the loss stays at ${formatValue(header.loss, 3)}.`;
  return header.step === 0 ? "" : "Not separated yet.";
}

/** Show the answers the runs have given, and say so while they have given none. */
function showAnswers() {
  const neuron = latest.neuron?.task === "xor" && latest.neuron.stuck;
  const network = Boolean(latest.network?.solved);
  const stuck = Boolean(latest.network?.stuck);
  testid("neuron-answer").hidden = !neuron;
  testid("network-answer").hidden = !network;
  testid("stuck-answer").hidden = !stuck;
  testid("xor-answers-wait").hidden = neuron || network || stuck;
}

function showNetwork(header, arrays) {
  latest.network = header;
  record("network", header, arrays);
  showProgress(header, "xor-step-count", "xor-loss", "xor-verdict", networkVerdict(header));
  testid("xor-stuck").hidden = !header.stuck;
  controls.nextSeed.textContent = `Try seed ${seed() + 1}`;
  showAnswers();
  showRunButton(controls.run, header.running);
  showDiagram(header);
  views.surface.update({
    values: arrays.surface.data, size: header.size, box: header.box, scale: [0, 1], points: pointsOn(header, "x1", "x2"),
  });
  views.hidden.update({
    values: arrays.hidden_surface.data, size: header.hidden_size, box: header.hidden_box, scale: [0, 1],
    line: header.hidden_line, points: pointsOn(header, "z1", "z2"),
  });
  views.chart.update({ data: { network: histories.network } });
  xorClass.report(header, histories.network);
  views.points.update(header.points, header.example);
  settle();
}

function showDiagram(header) {
  views.diagram.update({ params: header.params, grads: header.grads, show: shown() });
}

/** A training readout: the step, the loss (as text and exact in data-value) and the verdict in words. */
function showProgress(header, stepId, lossId, verdictId, verdictText) {
  testid(stepId).textContent = String(header.step);
  testid(lossId).textContent = formatValue(header.loss, 3);
  testid(lossId).dataset.value = String(header.loss);
  const verdict = testid(verdictId);
  verdict.dataset.solved = String(header.solved);
  verdict.textContent = verdictText;
}

function showNeuron(header, arrays) {
  latest.neuron = header;
  record("neuron", header, arrays);
  showProgress(header, "neuron-step", "neuron-loss", "neuron-verdict", neuronVerdict(header));
  showAnswers();
  showRunButton(controls.neuronRun, header.running);
  views.neuronSurface.update({
    values: arrays.surface.data, size: header.size, box: header.box, scale: [0, 1], line: header.line,
    points: pointsOn(header, "x1", "x2"),
  });
  views.neuronChart.update({ data: { neuron: histories.neuron } });
}

/** Once the first network and derivation are drawn, the page has its final layout: put the stage on screen again. */
function settle() {
  if (settled || !latest.network || !derivation) return;
  settled = true;
  openStage();
}

function showDerivation(message) {
  derivation = message;
  testid("derivation-when").textContent = `At step ${message.step} of training.`;
  views.derivation.update(message);
  views.gradcheck.update(message);
  settle();
}

/** The derivation's diagram: gradients found up to the current step, the parts the step uses marked. */
function showDerivationStep(index) {
  const { values, steps } = derivation;
  const isParam = (name) => /^[wb]\d$/.test(name);
  const params = Object.fromEntries(Object.entries(values).filter(([name]) => isParam(name)));
  const grads = Object.fromEntries(steps.slice(0, index + 1).filter((s) => isParam(s.target.wrt)).map((s) => [s.target.wrt, s.target.value]));
  views.derivationDiagram.update({
    params, grads, show: "gradients", highlight: steps[index].highlight,
    values: { x1: values.x1, x2: values.x2, z1: values.z1, z2: values.z2, yhat: values.yhat },
  });
}

// ---- presentation mode: a clicker's keys step the derivation, or the training when the derivation is away ----

/** Whether the derivation is what the class sees: it spans the middle of the screen. */
function derivationOnScreen() {
  const box = $("derivation").getBoundingClientRect();
  return box.top < innerHeight / 2 && box.bottom > innerHeight / 2;
}

/** Press a training button (Run or Step) and bring the training's stage into view. */
function train(button) {
  button.click();
  reveal($("layers"));
}

const DERIVATION_MOVES = { ArrowRight: 1, ArrowDown: 1, PageDown: 1, ArrowLeft: -1, ArrowUp: -1, PageUp: -1 };
onPresentKeys((event) => {
  const steps = views.derivation;
  if (event.key === " ") {
    if (event.target.closest("button, a, summary")) return false; // Space presses the focused button itself
    train(controls.run);
    return true;
  }
  if (event.key === "s" || event.key === "S") {
    train(controls.step);
    return true;
  }
  if (!derivationOnScreen()) {
    if (event.key !== "ArrowRight" && event.key !== "PageDown") return false;
    train(controls.step);
    return true;
  }
  if (event.key in DERIVATION_MOVES) steps.show(steps.index + DERIVATION_MOVES[event.key]);
  else if (event.key === "Home" || event.key === "End") steps.show(event.key === "Home" ? 0 : steps.steps.length - 1);
  else return false;
  return true;
});

showOutputs();
