// The /lenet page: wires the drawing pad to /ws/lenet and the server's frames to the views. Every number shown
// comes from the server (docs/protocol/lenet.md); this file only routes them: which frame goes to which view (the
// numbers that describe the unit the student points at are picked out by lenet-selection.js). A click or Enter on
// a conv unit zooms the network into that unit's computation (the server sends its numbers with each answer while
// zoomed), on the input into the image large; Escape or "Back" zooms out. In a classroom room, lenet-room.js adds
// the class gallery, the drawing the teacher shows to everyone and the teacher's pad shared live.

import { DIVERGING, SEQUENTIAL } from "../../lib/colors.js";
import { encodeFrame } from "../../lib/frames.js";
import { LENET } from "../../lib/protocol.js";
import { saveLastDigit } from "../../lib/shared-state.js";
import { addSaveButton } from "../../lib/snapshot.js";
import { Socket } from "../../lib/socket.js";
import { throttle } from "../../lib/throttle.js";
import { readState, writeState } from "../../lib/url-state.js";
import { ColourLegend } from "../../views/colour-legend.js";
import { ConnectionStatus } from "../../views/connection-status.js";
import { DrawPad } from "../../views/draw-pad.js";
import { FeatureMaps } from "../../views/feature-maps.js";
import { HeatmapFigure } from "../../views/heatmap-figure.js";
import { PredictionReadout } from "../../views/prediction-readout.js";
import { ProbabilityBars } from "../../views/probability-bars.js";
import { TeachResult } from "../../views/teach-result.js";
import { UnitDetails } from "../../views/unit-details.js";
import { UnitEdges } from "../../views/unit-edges.js";
import { UnitZoom } from "../../views/unit-zoom.js";
import { connectClassStep } from "./class-step.js";
import { InputGradientPanel } from "./input-gradient.js";
import { BackwardMode } from "./lenet-backward.js";
import { EXAMPLES } from "./lenet-examples.js";
import { connectRoom } from "./lenet-room.js";
import { describeUnit, sameUnit, selectionMarks, statusText, stepUnit, zoomRequest } from "./lenet-selection.js";

const UPLOAD_SIDE = 140; // the pad is sent as 140×140 ink bytes (about 20 KB)
const SEND_EVERY_MS = 40; // at most 25 drawings a second, under the server's per-socket message rate
const NOTICE_MS = 6000;
const ZOOM_MS = 450; // the zoom's transition in lenet.css
const SCALES = { sequential: SEQUENTIAL, diverging: DIVERGING };

const $ = (id) => document.getElementById(id);

const state = readState({ preprocess: "mnist", brush: 22, example: "", backward: "" });
if (!["mnist", "raw"].includes(state.preprocess)) state.preprocess = "mnist";
// A lesson stop's setup (LESSON in app/server/pages.py): `example=<digit>` puts that example on a pad still empty,
// `backward=1` opens Backward mode at the first answer. They stay in the address (the stop is found from it) only
// when given.
for (const key of ["example", "backward"]) if (state[key] === "") delete state[key];
let openBackward = state.backward === "1"; // until the first answer, or until a room's teacher decides
const view = { explain: false, target: null, show: "activations" };
let model = null; // the last model frame: stages, receptive fields, weights
let last = null; // the last prediction frame
let selected = null; // the unit the student points at
let zoomed = null; // the unit the stage is zoomed into (a conv unit or the input), or null
let seq = 0;
const sentAt = new Map();
let noticeTimer = null;
let backwardMode = null; // the Backward mode (lenet-backward.js), made once the socket is

const connection = new ConnectionStatus($("lenet-connection"));
const pad = new DrawPad($("lenet-pad"), {
  brush: state.brush,
  onChange: () => {
    scheduleDraw();
    updateButtons();
    classroom.changed();
  },
  onStrokeEnd: () => scheduleDraw(true),
});
addSaveButton($("draw-canvas"), { name: "lenet-drawing", label: "the drawing", place: $("lenet-pad") });
addSaveButton(document.querySelector(".lenet-figures"), { name: "lenet-input", label: "what the network sees" });
addSaveButton($("lenet-strip"), { name: "lenet-layers", label: "the layers", place: $("lenet-strip-legend") });
const readout = new PredictionReadout($("lenet-prediction"));
const bars = new ProbabilityBars($("lenet-probabilities"));
const input = new HeatmapFigure($("lenet-input"), { scale: SEQUENTIAL });
const saliency = new HeatmapFigure($("lenet-saliency"), { scale: DIVERGING });
const inputLegend = new ColourLegend($("lenet-input-legend"), { scale: SEQUENTIAL, caption: "ink: 0 (paper) to 1 (full ink)" });
const saliencyLegend = new ColourLegend($("lenet-saliency-legend"), {
  scale: DIVERGING,
  caption: "red: more ink here raises the score; blue: lowers it",
});
const stripLegend = new ColourLegend($("lenet-strip-legend"), { scale: SEQUENTIAL, caption: "" });
const details = new UnitDetails($("lenet-unit"), { scales: SCALES });
const lesson = new TeachResult($("lenet-teach-result"));
const edges = new UnitEdges($("lenet-edges"), document.querySelector(".lenet-strip"));
const zoom = new UnitZoom($("lenet-zoom-heading"), $("lenet-zoom-body"));
let strip = null; // FeatureMaps, built when the model frame arrives
const classroom = connectRoom({
  pad,
  uploadSide: UPLOAD_SIDE,
  preprocess: () => state.preprocess,
  explanation: () => ({
    explain: view.explain,
    target: view.target,
    backward: backwardMode?.state() ?? null,
    inputGradient: inputGradient.state(),
  }),
  explain: setExplain,
  backward: (state) => {
    openBackward = false; // the teacher's Backward mode wins over the address's
    backwardMode?.follow(state);
  },
  inputGradient: (state) => inputGradient.follow(state),
});

const socket = new Socket("/ws/lenet", {
  onStatus: (status) => {
    connection.update(status);
    if (status === "closed" && last) markStale();
    if (status === "ready") {
      socket.send({ type: LENET.describe });
      sendDraw();
    }
  },
  onFrame: (frame) => {
    if (frame.header.type === LENET.model) showModel(frame);
    else if (frame.header.type === LENET.backward) backwardMode.show(frame);
    else if (inputGradient.answers(frame)) inputGradient.show(frame);
    else showPrediction(frame);
  },
  onMessage: (message) => {
    if (message.type === LENET.taught) showLesson(message);
    if (message.type === LENET.stepped) backwardMode.stepped(message);
  },
  onError: (error) => {
    backwardMode.failed();
    notify(error.message, error.code === "unavailable");
  },
});
backwardMode = new BackwardMode({
  socket,
  withDrawing,
  strip: () => strip,
  scales: SCALES,
  preprocess: () => state.preprocess,
  onChange: () => classroom.changed(),
  onToggle: () => renderStrip(),
});

const inputGradient = new InputGradientPanel({
  socket,
  withDrawing,
  preprocess: () => state.preprocess,
  isEmpty: () => pad.empty,
  onChange: () => classroom.changed(),
});

// ---- Requests ----

function withDrawing(header) {
  // A drawing the teacher shows is already LeNet's 28×28 input: sent as it is, "raw" leaves it unchanged.
  if (pad.image) {
    const { pixels, side } = pad.image;
    return encodeFrame({ ...header, preprocess: "raw" }, { canvas: { shape: [side, side], data: pixels } });
  }
  return encodeFrame(header, { canvas: { shape: [UPLOAD_SIDE, UPLOAD_SIDE], data: pad.snapshot(UPLOAD_SIDE) } });
}

// final: the stroke has ended, the student waits for this answer (the server answers it before classmates' live
// updates from the same address).
function sendDraw(final = false) {
  seq += 1;
  sentAt.set(seq, performance.now());
  $("lenet-timing").dataset.sent = String(seq); // with data-answered: a hook for scripts and tests
  const header = { type: LENET.draw, preprocess: state.preprocess, explain: view.explain, target: view.target, seq };
  if (final) header.final = true;
  const unit = zoomRequest(zoomed);
  if (unit) header.unit = unit;
  socket.request(withDrawing(header), LENET.prediction, LENET.draw, { now: final });
  inputGradient.request(); // the same drawing's input gradients, once the panel is on screen
  backwardMode?.request(); // in Backward mode, the same drawing's backward pass
}

const scheduleDraw = throttle(sendDraw, SEND_EVERY_MS);

function teach(label) {
  const header = {
    type: LENET.teach,
    preprocess: state.preprocess,
    label,
    steps: Number($("lenet-steps").value),
    lr: Number($("lenet-lr").value),
  };
  if (socket.send(withDrawing(header))) setTeaching(true);
}

// ---- Frames from the server ----

function showModel(frame) {
  model = frame;
  if (!strip) {
    const { stages } = frame.header;
    strip = new FeatureMaps($("lenet-strip"), { stages, scales: SCALES, onSelect: select, onOpen: openZoom });
  }
  backwardMode.setModel(frame);
  const { model: weights, taught_steps: steps } = frame.header;
  $("lenet-model-state").textContent = weights === "taught"
    ? `This page now uses your taught copy of the weights (${steps} SGD steps). Other students are not affected.`
    : "This page uses the shared weights.";
  $("lenet-model-state").dataset.model = weights;
  if (weights === "shared") lesson.update(null);
  setTeaching(false);
  sendDraw();
}

function showPrediction(frame) {
  const { header } = frame;
  if (sentAt.has(header.seq)) {
    const roundTrip = performance.now() - sentAt.get(header.seq);
    for (const key of sentAt.keys()) if (key <= header.seq) sentAt.delete(key);
    $("lenet-timing").textContent = `answered in ${roundTrip.toFixed(0)} ms (server ${header.server_ms} ms)`;
  }
  last = frame;
  document.querySelector(".lenet-answer").classList.remove("is-stale");
  $("lenet-timing").dataset.answered = String(header.seq);
  render();
  if (!header.empty && !pad.drawing) saveLastDigit(rows(frame.arrays.input.data, 28));
  if (openBackward && !header.empty) {
    openBackward = false;
    backwardMode.toggle(true);
  }
}

function showLesson(message) {
  lesson.update(message);
  setTeaching(false);
}

function render() {
  if (!last) return;
  const { header, arrays } = last;
  pad.update(header.empty || header.preprocess === "raw" ? {} : header.drawing);
  if (header.empty) {
    readout.update(null);
    bars.update(null);
    input.update(null);
    saliency.update(null);
    strip?.update({ values: null });
    showSelection();
    showZoom();
    return;
  }
  const probability = header.probabilities[header.prediction];
  readout.update({ prediction: header.prediction, probability, taught: header.model === "taught" });
  bars.update({ probabilities: header.probabilities, prediction: header.prediction });
  input.update({ values: arrays.input.data, width: 28, height: 28, bounds: [0, 1] });
  inputLegend.update([0, 1]);
  const explained = header.explain !== null && arrays["grad.input"];
  $("lenet-saliency").hidden = $("lenet-saliency-legend").hidden = !explained;
  if (explained) {
    const largest = maxAbs(arrays["grad.input"].data);
    const values = arrays["grad.input"].data;
    saliency.update({ values, base: arrays.input.data, width: 28, height: 28, bounds: [-largest, largest] });
    saliencyLegend.update([-largest, largest]);
    const { target, score } = header.explain;
    $("lenet-saliency-caption").textContent = `∂ score of ${target} / ∂ pixel, over the input`;
    $("lenet-explain-text").textContent = `Explaining the score of ${target} (s = ${score.toFixed(2)}, before softmax): ` +
      "red pixels would raise it if inked more, blue ones lower it. The layers can show the same gradient at every unit.";
  }
  renderStrip();
  showSelection();
  showZoom();
}

function renderStrip() {
  if (backwardMode?.on) {
    backwardMode.renderStrip();
    stripLegend.setScale(DIVERGING, "δ = ∂l/∂value at each unit: blue negative, white 0, red positive (range per layer); blank: δ has not arrived there yet");
    stripLegend.update([0, 1], ["−largest", "0", "+largest"]);
    return;
  }
  if (!strip || !last || last.header.empty) return;
  const gradients = view.show === "gradients" && last.header.explain !== null;
  const values = {};
  for (const stage of model.header.stages) {
    values[stage.name] = last.arrays[gradients ? `grad.${stage.name}` : stage.name]?.data;
  }
  strip.update({ values, gradients, base: last.arrays.input.data });
  stripLegend.setScale(gradients ? DIVERGING : SEQUENTIAL, gradients
    ? "gradient of the explained score at each unit: blue negative, white 0, red positive (range per layer)"
    : "activation from 0 to the layer's largest value (range per layer, written under each layer); fc3 scores: blue negative, red positive");
  stripLegend.update([0, 1], gradients ? ["−largest", "0", "+largest"] : ["0", "largest"]);
}

// ---- The selected unit: the server's receptive fields, weights and values, picked out (lenet-selection.js) ----

function select(unit) {
  selected = unit;
  showSelection();
  $("lenet-unit-status").textContent = statusText(describeUnit(model, last, unit));
}

function showSelection() {
  if (!selected || !model) return;
  const { regions, chain, onInput } = selectionMarks(model, selected);
  strip.highlight(selected, regions);
  edges.update(chain);
  input.highlight(onInput);
  saliency.highlight(onInput);
  details.update(describeUnit(model, last, selected));
}

// ---- Zooming into one conv unit's computation ----

/** Fly into a conv unit (or the input): the strip grows from the unit and fades as its computation grows in its place. */
function openZoom(unit) {
  zoomed = { ...unit };
  const network = $("lenet-network");
  const marker = document.querySelector(`.fm-column[data-stage="${unit.stage}"] .unit-box:not([hidden])`);
  if (marker) {
    const from = network.getBoundingClientRect();
    const at = marker.getBoundingClientRect();
    const origin = `${at.left + at.width / 2 - from.left}px ${at.top + at.height / 2 - from.top}px`;
    network.querySelector(".lenet-strip").style.transformOrigin = origin;
    $("lenet-zoom").style.transformOrigin = origin;
  }
  if (unit.stage === "input") showZoom();
  else zoom.wait(unit);
  $("lenet-zoom").hidden = false;
  void $("lenet-zoom").offsetWidth; // start the transition from the unit's place
  network.classList.add("is-zoomed");
  $("lenet-zoom-back").focus({ preventScroll: true });
  if (unit.stage !== "input") sendDraw();
}

function closeZoom() {
  if (!zoomed) return;
  const unit = zoomed;
  zoomed = null;
  const network = $("lenet-network");
  network.classList.remove("is-zoomed");
  setTimeout(() => ($("lenet-zoom").hidden = zoomed === null), ZOOM_MS); // once it has faded out
  document.querySelector(`.fm-column[data-stage="${unit.stage}"]`)?.focus({ preventScroll: true });
}

/** The zoom's contents from the last answer: the input large, or the zoomed unit's numbers once they arrive. */
function showZoom() {
  if (!zoomed || !last) return;
  const { header, arrays } = last;
  if (zoomed.stage === "input") {
    const explained = !header.empty && header.explain !== null;
    zoom.showInput(header.empty ? null : {
      input: arrays.input.data,
      saliency: explained ? arrays["grad.input"].data : null,
      target: explained ? header.explain.target : null,
    });
  } else if (header.empty) {
    zoom.update(null);
  } else if (sameUnit(header.unit, zoomed)) {
    const previous = arrays[header.unit.previous];
    zoom.update(header.unit, { data: previous.data, shape: previous.shape });
  }
}

/** While zoomed into a conv unit, the arrow keys move to its neighbour: the window slides, the numbers follow. */
function stepZoom(key) {
  const moved = stepUnit(model, zoomed, key);
  if (!moved) return;
  zoomed = moved;
  strip.select({ ...zoomed });
  sendDraw();
}

$("lenet-zoom-back").addEventListener("click", closeZoom);
document.addEventListener("keydown", (event) => {
  if (!zoomed || event.ctrlKey || event.altKey || event.metaKey) return;
  if (event.key === "Escape") {
    event.preventDefault();
    closeZoom();
  } else if (event.key.startsWith("Arrow") && zoomed.stage !== "input" && !event.target.closest?.("input, select")) {
    event.preventDefault();
    stepZoom(event.key);
  }
});

// ---- Small helpers ----

/** The answer on screen is from before the connection dropped: grey it and say so, until the next answer. */
function markStale() {
  readout.stale();
  document.querySelector(".lenet-answer").classList.add("is-stale");
}

function maxAbs(data) {
  let largest = 0;
  for (const v of data) largest = Math.max(largest, Math.abs(v));
  return largest || 1;
}

function rows(data, side) {
  return Array.from({ length: side }, (_, r) => Array.from(data.subarray(r * side, (r + 1) * side), (v) => Math.round(v * 1000) / 1000));
}

function notify(text, persistent = false) {
  const notice = $("lenet-notice");
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  if (!persistent) noticeTimer = setTimeout(() => (notice.hidden = true), NOTICE_MS);
  setTeaching(false);
}

function setTeaching(busy) {
  document.querySelectorAll("#lenet-labels button").forEach((button) => (button.disabled = busy || pad.empty));
  $("lenet-reset").disabled = busy || $("lenet-model-state").dataset.model !== "taught";
}

function updateButtons() {
  setTeaching(false);
  $("lenet-undo").disabled = $("lenet-clear").disabled = pad.empty;
}

// ---- Controls ----

$("lenet-brush").value = String(state.brush);
$("lenet-brush-value").textContent = String(state.brush);
$("lenet-brush").addEventListener("input", (event) => {
  state.brush = Number(event.target.value);
  $("lenet-brush-value").textContent = String(state.brush);
  pad.setBrush(state.brush);
});
$("lenet-brush").addEventListener("change", () => writeState(state)); // once per drag: a room follows the URL

$("lenet-undo").addEventListener("click", () => pad.undo());
$("lenet-clear").addEventListener("click", () => pad.clear());
$("lenet-example").addEventListener("change", (event) => {
  if (event.target.value !== "") pad.load(EXAMPLES[event.target.value]);
  event.target.value = "";
});

for (const radio of document.querySelectorAll("input[name=lenet-preprocess]")) {
  radio.checked = radio.value === state.preprocess;
  radio.addEventListener("change", () => {
    state.preprocess = radio.value;
    writeState(state);
    sendDraw();
  });
}

/** Explain a class score with gradients or not, and which class (null: the predicted one); the buttons follow. */
function setExplain(explain, target) {
  if (explain === view.explain && target === view.target) return;
  if (explain !== view.explain) {
    view.explain = explain;
    $("lenet-stage").classList.toggle("is-explaining", explain);
    $("lenet-explain").setAttribute("aria-pressed", String(explain));
    document.querySelectorAll("#lenet-targets button").forEach((button) => (button.disabled = !explain));
    document.querySelector("input[name=lenet-show][value=gradients]").disabled = !explain;
    view.show = explain ? "gradients" : "activations";
    document.querySelector(`input[name=lenet-show][value=${view.show}]`).checked = true;
    if (!explain) $("lenet-saliency").hidden = $("lenet-saliency-legend").hidden = true;
  }
  view.target = target;
  const pressed = target === null ? "" : String(target);
  document.querySelectorAll("#lenet-targets button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.target === pressed)));
  sendDraw();
  classroom.changed();
}

$("lenet-explain").addEventListener("click", () => setExplain(!view.explain, view.target));

$("lenet-targets").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-target]");
  if (button) setExplain(view.explain, button.dataset.target === "" ? null : Number(button.dataset.target));
});

for (const radio of document.querySelectorAll("input[name=lenet-show]")) {
  radio.addEventListener("change", () => {
    view.show = radio.value;
    renderStrip();
  });
}

$("lenet-labels").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-label]");
  if (button && !button.disabled) teach(Number(button.dataset.label));
});
$("lenet-reset").addEventListener("click", () => {
  if (socket.send({ type: LENET.reset })) setTeaching(true);
});

writeState(state);
if (Object.hasOwn(EXAMPLES, state.example ?? "") && pad.empty) pad.load(EXAMPLES[state.example]);
updateButtons();
connectClassStep().start();
classroom.start();
