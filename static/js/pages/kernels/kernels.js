// The kernels page: the controls and the clicks go to /ws/kernels; the server lifts the points, trains the SVMs and
// the 2-2-1 network, and sends kernels_state and kernels_net frames. This controller only wires them to the views.

import { Socket } from "../../lib/socket.js";
import { KERNELS } from "../../lib/protocol.js";
import { throttle } from "../../lib/throttle.js";
import { readState, writeState } from "../../lib/url-state.js";
import { formatValue } from "../../lib/format.js";
import { DIVERGING, SEQUENTIAL } from "../../lib/colors.js";
import { paintHeatmap } from "../../lib/canvas.js";
import { openStage } from "../../lib/present.js";
import { addSaveButton } from "../../lib/snapshot.js";
import { ConnectionStatus } from "../../views/connection-status.js";
import { LiftedView } from "../../views/lifted-view.js";
import { PointPlane } from "../../views/point-plane.js";
import { PointTable } from "../../views/point-table.js";
import { SET_DEFAULTS, datasetMessage, featureMessage, fromLog, svmMessage, usesParameter } from "./kernels-controls.js";

const SEND_EVERY_MS = 60;
const $ = (id) => document.getElementById(id);
const testid = (name) => document.querySelector(`[data-testid=${name}]`);

const controls = {
  set: $("kernels-dataset"), size: $("kernels-size"), noise: $("kernels-noise"), sample: $("kernels-sample"),
  feature: $("kernels-feature"), fdegree: $("kernels-feature-degree"),
  kernel: $("kernels-kernel"), c: $("kernels-c"), gamma: $("kernels-gamma"), degree: $("kernels-degree"), coef0: $("kernels-coef0"),
  retrain: $("kernels-retrain"), netSeed: $("kernels-net-seed"),
};
const problem = testid("page-error");

const addPoint = (u, v) => send({ type: KERNELS.add, x1: u, x2: v, label: Number(document.querySelector("input[name=kernels-class]:checked").value) });
const removePoint = (index) => send({ type: KERNELS.remove, index });

const views = {
  status: new ConnectionStatus(testid("connection")),
  preimage: new PointPlane($("kernels-preimage"), {
    label: "The points, coloured by w·φ(x) + b of the plane found in φ-space, with its zero level",
    testid: "kernels-preimage", scale: DIVERGING, onAdd: addPoint, onRemove: removePoint,
  }),
  lifted: new LiftedView($("kernels-lifted"), { label: "The points lifted by φ into three dimensions, with the separating plane", testid: "kernels-lifted" }),
  chosen: new LiftedView($("kernels-chosen"), { label: "The feature map we chose: the points lifted by φ, with the plane", testid: "kernels-chosen" }),
  svm: new PointPlane($("kernels-svm"), {
    label: "The kernel SVM's f(x) over the plane, its boundary f = 0 and margin f = ±1, support vectors ringed",
    testid: "kernels-svm", scale: DIVERGING, onAdd: addPoint, onRemove: removePoint,
  }),
  netSurface: new PointPlane($("kernels-net-surface"), { label: "The 2-2-1 network's ŷ over the plane", testid: "kernels-net-surface", scale: SEQUENTIAL }),
  netHidden: new PointPlane($("kernels-net-hidden"), { label: "The points in the network's hidden space (z₁, z₂)", axes: ["z₁", "z₂"], testid: "kernels-net-hidden", scale: SEQUENTIAL }),
  alpha: new PointTable($("kernels-alpha"), {
    caption: "The support vectors and their dual coefficients", testid: "kernels-alpha",
    columns: [
      { key: "i", label: "i", digits: 6 }, { key: "x1", label: "x₁", digits: 3 }, { key: "x2", label: "x₂", digits: 3 },
      { key: "y", label: "yᵢ", digits: 1 }, { key: "alpha", label: "αᵢ", digits: 4 }, { key: "f", label: "f(xᵢ)", digits: 3 },
    ],
  }),
};
for (const [id, name, label] of [
  ["kernels-preimage", "kernels-preimage", "the points and φ's boundary"], ["kernels-lifted", "kernels-lifted", "the lifted points"],
  ["kernels-svm", "kernels-svm", "the kernel SVM"], ["kernels-net-hidden", "kernels-hidden-space", "the network's hidden space"],
]) addSaveButton($(id), { name, label });

const defaults = {
  set: "xor", size: 4, noise: 0, seed: 0, feature: "product", fdegree: 2,
  kernel: "poly", c: 1, gamma: 0, degree: 2, coef0: 1, net: 0,
};
const state = readState(defaults);
for (const key of ["set", "size", "noise", "feature", "fdegree", "kernel", "c", "gamma", "degree", "coef0"]) controls[key].value = state[key];
controls.netSeed.value = state.net;
let latestState = null;
let settled = false;

function current() {
  return Object.fromEntries(["set", "size", "noise", "feature", "fdegree", "kernel", "c", "gamma", "degree", "coef0"].map((key) => [key, controls[key].value]));
}

function netSeed() {
  const value = Math.trunc(Number(controls.netSeed.value));
  return Number.isFinite(value) && value >= 0 ? value : 0;
}

function remember() {
  writeState({ ...current(), seed: state.seed, net: netSeed() });
}

/** The sliders' values beside them, and only the parameters the chosen kernel and map use. */
function showOutputs() {
  $("kernels-size-value").textContent = controls.size.value;
  $("kernels-noise-value").textContent = formatValue(Number(controls.noise.value), 2);
  $("kernels-feature-degree-value").textContent = controls.fdegree.value;
  $("kernels-c-value").textContent = formatValue(fromLog(controls.c.value), 3);
  $("kernels-gamma-value").textContent = formatValue(fromLog(controls.gamma.value), 3);
  $("kernels-degree-value").textContent = controls.degree.value;
  $("kernels-coef0-value").textContent = formatValue(Number(controls.coef0.value), 2);
  for (const el of document.querySelectorAll("[data-kernel]")) {
    el.hidden = !el.dataset.kernel.split(" ").some((kernel) => kernel === controls.kernel.value);
  }
  for (const el of document.querySelectorAll("[data-poly-feature]")) el.hidden = controls.feature.value !== "poly";
}

// ---- messages to the server ----

const socket = new Socket("/ws/kernels", {
  onStatus: (status, detail) => {
    views.status.update(status);
    if (status !== "ready") return;
    const { limits } = detail;
    controls.size.max = String(limits.max_points);
    controls.fdegree.max = controls.degree.max = String(limits.max_degree);
    controls.c.max = String(Math.log10(limits.max_c));
    controls.gamma.max = String(Math.log10(limits.max_gamma));
    controls.coef0.min = String(-limits.max_coef0);
    controls.coef0.max = String(limits.max_coef0);
    showOutputs();
    socket.send(datasetMessage({ ...current(), seed: state.seed }));
    socket.send(featureMessage(current()));
    socket.send(svmMessage(current()));
    if (netSeed() !== 0) socket.send({ type: KERNELS.train, seed: netSeed() });
  },
  onFrame: ({ header, arrays }) => (header.type === KERNELS.state ? showState(header, arrays) : showNet(header, arrays)),
  onError: (error) => {
    problem.hidden = false;
    problem.textContent = error.message;
  },
});

function send(message) {
  problem.hidden = true;
  socket.send(message);
}

function request(message) {
  problem.hidden = true;
  remember();
  socket.request(message, KERNELS.state);
}

const sendSet = throttle(() => request(datasetMessage({ ...current(), seed: state.seed })), SEND_EVERY_MS);
const sendFeature = throttle(() => request(featureMessage(current())), SEND_EVERY_MS);
const sendSvm = throttle(() => request(svmMessage(current())), SEND_EVERY_MS);

controls.set.addEventListener("change", () => {
  const opening = SET_DEFAULTS[controls.set.value];
  controls.size.value = String(opening.size);
  controls.noise.value = String(opening.noise);
  controls.feature.value = opening.feature;
  showOutputs();
  sendSet();
  sendFeature();
});
for (const input of [controls.size, controls.noise]) {
  input.addEventListener("input", () => {
    showOutputs();
    sendSet();
  });
}
controls.sample.addEventListener("click", () => {
  state.seed += 1;
  sendSet();
});
for (const input of [controls.feature, controls.fdegree]) {
  input.addEventListener("input", () => {
    showOutputs();
    sendFeature();
  });
}
for (const input of [controls.kernel, controls.c, controls.gamma, controls.degree, controls.coef0]) {
  input.addEventListener("input", () => {
    showOutputs();
    sendSvm();
  });
}
function retrain() {
  remember();
  send({ type: KERNELS.train, seed: netSeed() });
}
controls.retrain.addEventListener("click", retrain);
controls.netSeed.addEventListener("change", retrain);

// ---- what the server sent ----

/** Segments of a frame's array as the flat list the plane view draws. */
const curve = (array, kind) => ({ segments: array.data, kind });

function pointsOf(header, arrays, support = new Set()) {
  const { data: xy } = arrays.points;
  const labels = arrays.labels.data;
  return Array.from(labels, (label, i) => ({
    u: xy[2 * i], v: xy[2 * i + 1], positive: label > 0.5, ring: support.has(i),
    title: `point ${i}: x = (${formatValue(xy[2 * i], 3)}, ${formatValue(xy[2 * i + 1], 3)}), class ${label}`,
  }));
}

function showState(header, arrays) {
  latestState = { header, arrays };
  const { feature, svm, box, size, scale } = header;
  const support = new Set(svm.support);
  views.preimage.update({
    values: arrays.feature_surface.data, size, box, bounds: scale,
    curves: [curve(arrays.feature_boundary, "boundary")], points: pointsOf(header, arrays),
  });
  const lifted = {
    points: arrays.lifted.data, labels: arrays.labels.data, lo: feature.view_lo, hi: feature.view_hi,
    plane: arrays.plane.data, axes: feature.axes,
  };
  views.lifted.update(lifted);
  views.chosen.update(lifted);
  views.svm.update({
    values: arrays.svm_surface.data, size, box, bounds: scale,
    curves: [curve(arrays.svm_margin_plus, "margin"), curve(arrays.svm_margin_minus, "margin"), curve(arrays.svm_boundary, "boundary")],
    points: pointsOf(header, arrays, support),
  });
  testid("kernels-sv-count").textContent = String(svm.support.length);
  testid("kernels-count").textContent = String(header.count);
  const wrong = feature.errors === 0 ? "every point on its side" : `${feature.errors} on the wrong side`;
  testid("kernels-feature-readout").textContent = `w·φ(x) + b = 0: ${wrong}`;
  testid("kernels-feature-readout").dataset.errors = String(feature.errors);
  testid("kernels-plane-readout").textContent = planeText(feature);
  testid("kernels-dual").textContent = formatValue(svm.dual_objective, 4);
  testid("kernels-b").textContent = formatValue(svm.b, 4);
  testid("kernels-errors").textContent = String(svm.errors);
  showDual(header, arrays);
  if (!settled) {
    settled = true;
    openStage();
  }
}

/** A signed term of a sum as it is written: " + 2x₁", " − 4x₁x₂" (the first without its plus). */
function term(value, name, first) {
  const size = formatValue(Math.abs(value), 2);
  const sign = value < 0 ? (first ? "−" : " − ") : first ? "" : " + ";
  return `${sign}${size}${name.includes(" ") ? `(${name})` : name}`;
}

/** The plane in φ-space written out, 2x₁ + 2x₂ − 4x₁x₂ − 1 = 0, with the server's numbers (its first three terms). */
function planeText({ names, w, b, converged }) {
  const shown = names.slice(0, 3).map((name, i) => term(w[i], name, i === 0)).join("");
  const rest = names.length > 3 ? ` + … (${names.length} terms)` : "";
  return `${shown}${rest}${term(b, "", false)} = 0${converged ? "" : " (stopped at the iteration limit)"}`;
}

function showDual(header, arrays) {
  const n = header.count;
  const canvas = testid("kernels-gram");
  paintHeatmap(canvas, arrays.gram.data, n, n, SEQUENTIAL, header.gram_range);
  testid("kernels-gram-range").textContent = `from ${formatValue(header.gram_range[0], 3)} (dark) to ${formatValue(header.gram_range[1], 3)} (light)`;
  const xy = arrays.points.data;
  views.alpha.update(header.svm.support.map((i) => ({
    i, x1: xy[2 * i], x2: xy[2 * i + 1], y: arrays.labels.data[i] > 0.5 ? 1 : -1, alpha: arrays.alpha.data[i], f: arrays.decision.data[i],
  })));
}

function showNet(header, arrays) {
  testid("kernels-net-step").textContent = `${header.step} of ${header.steps}`;
  testid("kernels-net-loss").textContent = formatValue(header.loss, 3);
  testid("kernels-net-loss").dataset.value = String(header.loss);
  testid("kernels-net-errors").textContent = String(header.errors);
  if (!latestState) return;
  const { arrays: pointArrays } = latestState;
  if (pointArrays.labels.data.length !== arrays.hidden.shape[0]) return; // a frame for points already replaced
  const points = pointsOf(latestState.header, pointArrays);
  views.netSurface.update({
    values: arrays.surface.data, size: header.size, box: header.box, bounds: [0, 1],
    curves: [curve(arrays.boundary, "boundary")], points,
  });
  const z = arrays.hidden.data;
  const line = header.hidden_line ? Float32Array.from(header.hidden_line.flat()) : new Float32Array(0);
  views.netHidden.update({
    values: arrays.hidden_surface.data, size: header.hidden_size, box: header.hidden_box, bounds: [0, 1],
    curves: [curve({ data: line }, "boundary")],
    points: points.map((p, i) => ({ ...p, u: z[2 * i], v: z[2 * i + 1], title: `${p.title}: z = (${formatValue(z[2 * i], 3)}, ${formatValue(z[2 * i + 1], 3)})` })),
  });
}

showOutputs();
