// The conv page's controller: keeps the settings (mirrored in the URL), asks /ws/conv for the walkthrough plan,
// and plays it step by step through the views. Every number shown comes from the plan; this file only picks
// which numbers to show when (it never multiplies or sums a network value itself).

import { formatNumber } from "../lib/format.js";
import { CONV } from "../lib/protocol.js";
import { loadLastDigit } from "../lib/shared-state.js";
import { addSaveButton } from "../lib/snapshot.js";
import { Socket } from "../lib/socket.js";
import { readState, writeState } from "../lib/url-state.js";
import { ConnectionStatus } from "../views/connection-status.js";
import { ConvGrid } from "../views/conv-grid.js";
import { Formula } from "../views/formula.js";
import { LinkLine } from "../views/link-line.js";
import { WindowSum } from "../views/window-sum.js";
import { EXAMPLES, KERNELS, SEED_IMAGE, VOLUME, randomVolume } from "./conv-presets.js";

const DEFAULTS = Object.freeze({
  input: "seed", n: 7, c: 1, digit: 3, rseed: 1, x: "",
  kernel: "seed", k: 3, f: 1, w: "", b: "0",
  s: 1, p: 0, d: 1, stage2: "none", k2: 2, s2: 2, p2: 0,
  mode: "forward", grad: "ones", step: 0, speed: 3, hide: 0,
});
const NUMBER_INPUTS = { k: "conv-k", s: "conv-s", p: "conv-p", d: "conv-d", k2: "conv-k2", s2: "conv-s2", p2: "conv-p2",
  n: "conv-n", c: "conv-c", f: "conv-f", digit: "conv-digit" };
const PLAN_DELAY_MS = 60;
const MAX_TERMS_SHOWN = 16;

const $ = (id) => document.getElementById(id);
const fmt = formatNumber;
const state = readState(DEFAULTS);
const assets = { digits: new Map(), lenet: null, waiting: new Set() };
const data = { input: null, kernels: null, bias: null, note: "" };
let plan = null; // {header, arrays, chunks}
let problem = null; // the sentence of the last refused request, or null
let paddingMode = null; // "valid" | "same" | "full" until the server resolves it
let inFlight = null;
let queued = null;
let planTimer = null;
let playing = false;
let playTimer = null;
let phase = "sum";
let selection = null; // backward: {kind: "dx", c, r, col} or {kind: "dw", f, c, i, j}
let limits = {};

const views = {
  status: new ConnectionStatus($("conv-connection")),
  formula: new Formula($("conv-formula")),
  sum: new WindowSum($("conv-sum")),
  link: new LinkLine($("conv-link")),
};
const sets = { input: [], kernel: [], products: [], output: [], stage2: [] };
const layoutKeys = {};

// ---------- nested arrays ----------

const shape = (a) => (Array.isArray(a) ? [a.length, ...shape(a[0])] : []);
const flat = (a) => (Array.isArray(a) ? a.flatMap(flat) : [a]);
const zeros = (...dims) => (dims.length ? Array.from({ length: dims[0] }, () => zeros(...dims.slice(1))) : 0);
const encode = (a) => flat(a).map((v) => String(Number(v.toPrecision(6)))).join(",");

function decode(text, dims) {
  const values = text.split(",").map(Number);
  const size = dims.reduce((a, b) => a * b, 1);
  if (!text || values.length !== size || !values.every(Number.isFinite)) return null;
  let i = 0;
  const build = (level) => Array.from({ length: dims[level] }, () => (level === dims.length - 1 ? values[i++] : build(level + 1)));
  return build(0);
}

/** rows resized to k×k around the centre (cropped or padded with zeros). */
function resizeSquare(rows, k) {
  const n = rows.length;
  const offset = Math.floor((n - k) / 2);
  return Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => rows[i + offset]?.[j + offset] ?? 0));
}

/** A grid resized to n×n from its top-left corner. */
function resizeCorner(rows, n) {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => rows[i]?.[j] ?? 0));
}

/** A typed array's value at a multi-index (row-major). */
function at(array, dims, ...index) {
  let offset = 0;
  for (let a = 0; a < dims.length; a++) offset = offset * dims[a] + index[a];
  return array[offset];
}

// ---------- inputs and kernels from the state ----------

function requestAsset(name, index = 0) {
  const key = `${name}:${index}`;
  if (assets.waiting.has(key)) return;
  assets.waiting.add(key);
  socket.send({ type: CONV.asset, name, index });
}

/** The input [C][n][n] the state describes, or null while an asset is on its way. */
function resolveInput() {
  data.note = "";
  switch (state.input) {
    case "mnist": {
      const digit = assets.digits.get(state.digit);
      if (!digit) {
        requestAsset("mnist_digit", state.digit);
        return null;
      }
      return digit;
    }
    case "lenet": {
      const drawn = loadLastDigit();
      if (drawn) return [drawn];
      data.note = "No digit has been drawn on the LeNet page in this browser yet, so the slide's image is shown.";
      return [SEED_IMAGE];
    }
    case "random":
      return randomVolume(state.rseed, clamp(state.c, 1, limits.max_channels ?? 8), clamp(state.n, 3, limits.max_size ?? 32));
    case "volume":
      return VOLUME.input;
    case "custom":
      return decode(state.x, [state.c, state.n, state.n]) ?? [SEED_IMAGE];
    default:
      return [SEED_IMAGE];
  }
}

/** The kernels [F][C][k][k] and bias [F] the state describes, or null while LeNet's kernels are on their way. */
function resolveKernels(channels) {
  const perChannel = (rows2d) => Array.from({ length: channels }, () => rows2d);
  const fit = (kernel) => Array.from({ length: channels }, (_, c) => kernel[c % kernel.length]);
  const bias = (count) => Array.from({ length: count }, (_, i) => Number(state.b.split(",")[i]) || 0);
  if (state.kernel === "lenet") {
    if (!assets.lenet) {
      requestAsset("lenet_conv1");
      return null;
    }
    if (channels !== 1) data.note = "LeNet's conv1 kernels read one channel; each is repeated over the input's channels.";
    return { kernels: assets.lenet.values.map(fit), bias: assets.lenet.bias };
  }
  if (state.kernel === "volume") return { kernels: VOLUME.kernels.map(fit), bias: VOLUME.bias };
  const filters = clamp(state.f, 1, limits.max_filters ?? 8);
  if (state.kernel === "custom") {
    const k = state.k;
    const stored = state.w.split(",").length / (filters * k * k); // the channels the edited kernels were made for
    const kernels = Number.isInteger(stored) && stored > 0 ? decode(state.w, [filters, stored, k, k]) : null;
    if (kernels) return { kernels: kernels.map(fit), bias: bias(filters) };
  }
  const preset = KERNELS[state.kernel] ?? KERNELS.seed;
  const k = clamp(state.k, 1, limits.max_kernel ?? 9);
  const rows = preset.make(k) ?? resizeSquare(preset.make(3), k);
  return { kernels: Array.from({ length: filters }, () => perChannel(rows)), bias: bias(filters) };
}

function clamp(v, lo, hi) {
  return Math.max(lo, Math.min(hi, Math.round(v)));
}

/** Recompute the input and kernels from the state; true when both are ready. */
function resolve() {
  const input = resolveInput();
  if (!input) return false;
  data.input = input;
  [state.c, state.n] = shape(input);
  const kernels = resolveKernels(state.c);
  if (!kernels) return false;
  data.kernels = kernels.kernels;
  data.bias = kernels.bias;
  [state.f, , state.k] = shape(data.kernels);
  state.b = data.bias.map((v) => String(Number(v.toPrecision(6)))).join(",");
  return true;
}

// ---------- talking to the server ----------

function planRequest() {
  const grad = state.grad === "ones" ? { kind: "ones" } : { kind: "cell", cell: state.grad.split(",").map(Number) };
  return {
    type: CONV.plan,
    input: data.input,
    kernels: data.kernels,
    bias: data.bias,
    stride: state.s,
    padding: paddingMode ?? state.p,
    dilation: state.d,
    stage2: { kind: state.stage2, k: state.k2, s: state.s2, p: state.p2 },
    grad,
  };
}

/** Ask for a new plan soon (latest wins: one request in flight, only the newest held back). */
function schedulePlan() {
  clearTimeout(planTimer);
  planTimer = setTimeout(() => {
    const ready = resolve();
    renderInputs();
    renderKernels();
    if (!ready) return;
    queued = planRequest();
    sendQueued();
  }, PLAN_DELAY_MS);
}

function sendQueued() {
  if (inFlight || !queued || !socket.ready) return;
  inFlight = queued;
  queued = null;
  socket.send(inFlight);
}

function onFrame({ header, arrays }) {
  if (header.type === CONV.plan) {
    inFlight = null;
    plan = { header, arrays, chunks: [] };
    problem = null;
    if (paddingMode) {
      state.p = header.conv.p;
      paddingMode = null;
    }
    selection = null;
    syncControls(document.activeElement?.id);
    rebuild();
    sendQueued();
  } else if (header.type === CONV.windows && plan && header.plan === plan.header.plan) {
    plan.chunks.push({ row0: header.row0, rows: header.rows, arrays });
    const step = currentStep();
    if (step && step.stage === 1 && step.y >= header.row0 && step.y < header.row0 + header.rows) renderStep();
    if (selection) renderSelection();
  }
}

function onMessage(msg) {
  if (msg.type !== CONV.asset) return;
  assets.waiting.delete(`${msg.name}:${msg.index}`);
  if (msg.name === "mnist_digit") assets.digits.set(msg.index, msg.values);
  else assets.lenet = { values: msg.values, bias: msg.bias };
  schedulePlan();
}

function onError(error) {
  if (error.request === CONV.asset) {
    assets.waiting.clear();
    showProblem(error.message);
    if (state.kernel === "lenet") Object.assign(state, { kernel: "seed", k: 3, f: 1, b: "0" });
    if (state.input === "mnist") state.input = "seed";
    syncControls();
    schedulePlan();
    return;
  }
  if (error.request === CONV.plan) {
    inFlight = null;
    paddingMode = null;
    showProblem(error.message);
    sendQueued();
    return;
  }
  showProblem(error.message);
}

function showProblem(message) {
  problem = message;
  $("conv-problem").textContent = message;
  $("conv-problem").hidden = false;
  $("conv-stage").classList.toggle("is-stale", Boolean(plan));
  renderFormula();
  renderStep();
}

const socket = new Socket("/ws/conv", {
  onFrame,
  onMessage,
  onError,
  onStatus: (status, detail) => {
    views.status.update(status);
    if (status === "ready") {
      limits = detail?.limits ?? {};
      applyLimits();
      assets.waiting.clear();
      inFlight = null;
      schedulePlan();
    }
  },
});

// ---------- steps ----------

function counts() {
  if (!plan) return { one: 0, two: 0 };
  const [oh, ow] = plan.header.conv.out;
  const st2 = plan.header.stage2;
  return { one: plan.header.conv.filters * oh * ow, two: st2 ? st2.channels * st2.out[0] * st2.out[1] : 0 };
}

const stepCount = () => counts().one + counts().two;

/** Step i: {stage, f, y, x}; forward goes conv then stage 2, backward the other way round. */
function stepAt(i) {
  if (!plan) return null;
  const { one, two } = counts();
  const backward = state.mode === "backward";
  const stage2First = backward && two > 0;
  let stage = 1;
  let index = i;
  if (stage2First) {
    if (i < two) stage = 2;
    else index = i - two;
  } else if (i >= one) {
    stage = 2;
    index = i - one;
  }
  const [oh, ow] = stage === 1 ? plan.header.conv.out : plan.header.stage2.out;
  const f = Math.floor(index / (oh * ow));
  const rest = index % (oh * ow);
  return { stage, f, y: Math.floor(rest / ow), x: rest % ow, index: i };
}

function indexOf(stage, f, y, x) {
  const { one, two } = counts();
  const [oh, ow] = stage === 1 ? plan.header.conv.out : plan.header.stage2.out;
  const local = f * oh * ow + y * ow + x;
  const backward = state.mode === "backward" && two > 0;
  if (stage === 1) return backward ? two + local : local;
  return backward ? local : one + local;
}

const currentStep = () => stepAt(state.step);

function goTo(i, { keepPlaying = false } = {}) {
  const total = stepCount();
  if (!total) return;
  state.step = Math.max(0, Math.min(total - 1, i));
  selection = null;
  if (!keepPlaying) {
    stop();
    phase = "sum";
  }
  renderStep();
  if (!playing) saveState();
}

// ---------- the animation ----------

function phaseMs() {
  return 1200 * 0.55 ** (state.speed - 1);
}

function play() {
  if (!stepCount()) return;
  if (state.step >= stepCount() - 1) state.step = 0;
  playing = true;
  $("conv-play").textContent = "Pause";
  $("conv-play").setAttribute("aria-pressed", "true");
  phase = "window";
  renderStep();
  schedule();
}

function schedule() {
  clearTimeout(playTimer);
  playTimer = setTimeout(tick, Math.max(16, phaseMs()));
}

function tick() {
  if (!playing) return;
  const fast = phaseMs() < 60;
  if (!fast && phase !== "sum") {
    phase = phase === "window" ? "products" : "sum";
    renderStep();
    return schedule();
  }
  const stride = fast ? Math.max(1, Math.round(60 / phaseMs() / 3)) : 1;
  if (state.step >= stepCount() - 1) return stop();
  state.step = Math.min(stepCount() - 1, state.step + stride);
  phase = fast ? "sum" : "window";
  renderStep();
  schedule();
}

function stop() {
  if (!playing) return;
  playing = false;
  clearTimeout(playTimer);
  phase = "sum";
  $("conv-play").textContent = "Play";
  $("conv-play").setAttribute("aria-pressed", "false");
  renderStep();
  saveState();
}

// ---------- rendering ----------

function ensureGrids(name, container, count, options, key) {
  const fullKey = `${count}|${key}`;
  if (layoutKeys[name] === fullKey) return sets[name];
  for (const grid of sets[name]) grid.destroy();
  container.replaceChildren();
  sets[name] = Array.from({ length: count }, (_, i) => {
    const wrap = document.createElement("div");
    wrap.className = "conv-grid-wrap";
    container.append(wrap);
    return new ConvGrid(wrap, options(i));
  });
  layoutKeys[name] = fullKey;
  return sets[name];
}

function mapOf(array, dims, lead) {
  const [h, w] = dims.slice(-2);
  const start = lead * h * w;
  return array.subarray(start, start + h * w);
}

const backward = () => state.mode === "backward";

/** The input (forward) or its gradient (backward) column. */
function renderInputs() {
  if (!data.input) return;
  const [c, n] = shape(data.input);
  const pad = plan?.header.conv.p ?? state.p;
  const grids = ensureGrids("input", $("conv-input-grids"), c, (ci) => ({
    fit: fitFor(c),
    editable: !backward(),
    onPaint: (r, col) => editInput(ci, r, col, Number($("conv-brush").value) || 0),
    onEdit: (r, col, value) => editInput(ci, r, col, value),
    onCellClick: (r, col) => select({ kind: "dx", c: ci, r, col }),
  }), `${state.mode}`);
  const dx = backward() && plan && !problem ? plan.arrays.dx : null;
  grids.forEach((grid, ci) => {
    const values = dx ? mapOf(dx.data, dx.shape, ci) : flat(data.input[ci]);
    const name = backward() ? `∂l/∂x, channel ${ci}` : `channel ${ci}`;
    grid.update({ values, h: n, w: n, pad, caption: c > 1 || backward() ? name : "", label: `${backward() ? "gradient at the input" : "input"}, channel ${ci}, ${n}×${n} with padding ${pad}`, signed: backward() ? true : undefined });
    const unreached = plan && !problem ? plan.header.conv.unreached : { rows: [], cols: [] };
    grid.mark("is-unreached", paddedCells(n, pad).filter(([r, col]) => unreached.rows.includes(r) || unreached.cols.includes(col)));
  });
  $("conv-input-heading").textContent = backward() ? "∂l/∂x: gradient at the input" : `Input (${n}×${n}${c > 1 ? `×${c}` : ""}, padding ${pad})`;
}

/** Width each of `count` grids side by side may take. */
function fitFor(count) {
  return count === 1 ? 420 : count === 2 ? 300 : 220;
}

function paddedCells(n, pad) {
  const cells = [];
  for (let r = -pad; r < n + pad; r++) for (let c = -pad; c < n + pad; c++) cells.push([r, c]);
  return cells;
}

function renderKernels() {
  if (!data.kernels) return;
  const [f, c, k] = shape(data.kernels);
  const container = $("conv-kernel-grids");
  const key = `${f}|${c}|${k}|${state.mode}`;
  if (layoutKeys.kernel !== key) {
    for (const grid of sets.kernel) grid.destroy();
    container.replaceChildren();
    sets.kernel = [];
    for (let fi = 0; fi < f; fi++) {
      const filter = document.createElement("div");
      filter.className = "conv-filter";
      filter.dataset.filter = fi;
      const caption = document.createElement("p");
      caption.className = "conv-filter__caption";
      caption.textContent = f > 1 ? `filter ${fi}` : "";
      const grids = document.createElement("div");
      grids.className = "conv-filter__grids";
      filter.append(caption, grids);
      for (let ci = 0; ci < c; ci++) {
        const wrap = document.createElement("div");
        wrap.className = "conv-grid-wrap";
        grids.append(wrap);
        sets.kernel.push(new ConvGrid(wrap, {
          fit: f * c > 3 ? 125 : 150,
          editable: !backward(),
          onPaint: (r, col) => editKernel(fi, ci, r, col, Number($("conv-brush").value) || 0),
          onEdit: (r, col, value) => editKernel(fi, ci, r, col, value),
          onCellClick: (i, j) => select({ kind: "dw", f: fi, c: ci, i, j }),
        }));
      }
      const bias = document.createElement(backward() ? "p" : "label");
      bias.className = "conv-bias";
      if (!backward()) {
        bias.textContent = "bias b ";
        const input = document.createElement("input");
        input.type = "number";
        input.step = "any";
        input.className = "conv-bias__input";
        input.dataset.filter = fi;
        input.addEventListener("change", () => editBias(fi, Number(input.value)));
        bias.append(input);
      }
      filter.append(bias);
      container.append(filter);
    }
    layoutKeys.kernel = key;
  }
  const dw = backward() && plan && !problem ? plan.arrays.dw : null;
  sets.kernel.forEach((grid, g) => {
    const fi = Math.floor(g / c);
    const ci = g % c;
    const values = dw ? mapOf(dw.data, dw.shape, g) : flat(data.kernels[fi][ci]);
    const caption = backward() ? `∂l/∂w${c > 1 ? `, channel ${ci}` : ""}` : c > 1 ? `channel ${ci}` : "";
    grid.update({ values, h: k, w: k, caption, label: `${backward() ? "gradient of " : ""}filter ${fi}, channel ${ci}`, signed: true });
  });
  container.querySelectorAll(".conv-filter").forEach((filter, fi) => {
    const bias = filter.querySelector(".conv-bias");
    if (backward()) {
      const db = plan && !problem ? plan.arrays.db.data[fi] : null;
      bias.textContent = `∂l/∂b = ${db === null ? "…" : fmt(db)}`;
    } else {
      const input = bias.querySelector("input");
      if (document.activeElement !== input) input.value = String(data.bias[fi]);
    }
  });
  $("conv-kernel-heading").textContent = backward() ? "∂l/∂w: gradient of the kernels" : `Kernel${f > 1 ? "s" : ""} (${k}×${k}${c > 1 ? `×${c}` : ""})`;
}

function renderOutputs() {
  if (!plan) return;
  const { header, arrays } = plan;
  const [oh, ow] = header.conv.out;
  const filters = header.conv.filters;
  const outputs = ensureGrids("output", $("conv-output-grids"), filters, (fi) => ({
    fit: fitFor(filters),
    onCellClick: (y, x) => clickOutput(fi, y, x),
  }), `${oh}|${ow}`);
  const source = backward() ? arrays.dconv : arrays.output;
  outputs.forEach((grid, fi) => {
    const caption = backward() ? `∂l/∂y, map ${fi}` : filters > 1 ? `map ${fi}` : "";
    grid.update({ values: mapOf(source.data, source.shape, fi), h: oh, w: ow, caption, label: `${backward() ? "gradient at the " : ""}output map ${fi}, ${oh}×${ow}`, signed: backward() ? true : undefined });
  });
  $("conv-output-heading").textContent = backward()
    ? (header.stage2 ? "∂l/∂y: gradient at the conv output" : "∂l/∂y: gradient arriving at the output")
    : `Output (${oh}×${ow}${filters > 1 ? `×${filters}` : ""})`;
  const st2 = header.stage2;
  $("conv-stage2-col").hidden = !st2;
  if (!st2) return ensureGrids("stage2", $("conv-stage2-grids"), 0, () => ({}), "none");
  const [h2, w2] = st2.out;
  const grids = ensureGrids("stage2", $("conv-stage2-grids"), st2.channels, (ci) => ({
    fit: fitFor(st2.channels),
    onCellClick: (y, x) => clickStage2(ci, y, x),
  }), `${h2}|${w2}`);
  const values = backward() ? arrays.dout : arrays.stage2_output;
  grids.forEach((grid, ci) => {
    const caption = backward() ? `∂l/∂z, map ${ci}` : st2.channels > 1 ? `map ${ci}` : "";
    grid.update({ values: mapOf(values.data, values.shape, ci), h: h2, w: w2, caption, label: `stage 2 ${backward() ? "gradient " : ""}map ${ci}, ${h2}×${w2}`, signed: backward() ? true : undefined });
  });
  const names = { max: "max pooling", avg: "average pooling", conv: "second convolution" };
  $("conv-stage2-heading").textContent = backward()
    ? "∂l/∂z: gradient arriving at stage 2's output"
    : `Stage 2: ${names[st2.kind]} (${h2}×${w2}${st2.channels > 1 ? `×${st2.channels}` : ""})`;
}

function renderFormula() {
  const stages = [];
  if (plan && !problem) {
    const { conv, stage2, input } = plan.header;
    stages.push({
      title: "Convolution", ...conv, dilated: true,
      axes: axes(conv.terms, input.height, input.width),
      reason: conv.unreached.reason,
      field: `Each output cell sees a ${conv.field.size}×${conv.field.size} patch of the input; the patches of neighbouring cells start ${conv.field.jump} apart (the stride).`,
    });
    if (stage2) {
      const names = { max: "Max pooling", avg: "Average pooling", conv: "Second convolution" };
      stages.push({
        title: `Stage 2: ${names[stage2.kind]}`, ...stage2, d: 1, dilated: false,
        axes: axes(stage2.terms, conv.out[0], conv.out[1]),
        reason: stage2.unreached.reason,
        field: `Each stage-2 cell sees a ${stage2.field.size}×${stage2.field.size} patch of the input (neighbours ${stage2.field.jump} apart): its receptive field through both stages. Click a stage-2 cell to see it.`,
      });
    }
  }
  const impossible = problem
    ? { title: "These settings cannot work", n: state.n, k: state.k, s: state.s, p: state.p, d: state.d, message: problem }
    : null;
  views.formula.update({ stages, impossible });
}

function axes(terms, h, w) {
  if (h === w && terms.rows.size === terms.cols.size) return [{ label: "", n: h, terms: terms.rows }];
  return [{ label: `rows (n = ${h})`, n: h, terms: terms.rows }, { label: `columns (n = ${w})`, n: w, terms: terms.cols }];
}

/** Everything, after a new plan or a change of mode. */
function rebuild() {
  $("conv-problem").hidden = !problem;
  $("conv-stage").classList.toggle("is-stale", Boolean(problem));
  $("conv-note").textContent = [data.note, plan?.header.grad.note].filter(Boolean).join(" ");
  $("conv-note").hidden = !$("conv-note").textContent;
  renderInputs();
  renderKernels();
  renderOutputs();
  renderFormula();
  const total = stepCount();
  if (total) state.step = Math.min(state.step, total - 1);
  renderStep();
  saveState();
}

function windowCells(rows, cols) {
  return rows.flatMap((r) => cols.map((c) => [r, c]));
}

/** The per-window arrays of the chunk holding output row y, with that row's index inside it. */
function chunkFor(y) {
  const chunk = plan.chunks.find((part) => y >= part.row0 && y < part.row0 + part.rows);
  return chunk ? { arrays: chunk.arrays, y: y - chunk.row0 } : null;
}

function pendingMarks(stepIndexFor) {
  const { header } = plan;
  const [oh, ow] = header.conv.out;
  const outputs = sets.output.map((_, fi) => {
    const cells = [];
    for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) if (stepIndexFor(1, fi, y, x) > state.step) cells.push([y, x]);
    return cells;
  });
  const st2 = header.stage2;
  const stage2 = sets.stage2.map((_, ci) => {
    const cells = [];
    if (st2) for (let y = 0; y < st2.out[0]; y++) for (let x = 0; x < st2.out[1]; x++) if (stepIndexFor(2, ci, y, x) > state.step) cells.push([y, x]);
    return cells;
  });
  return { outputs, stage2 };
}

function clearMarks() {
  for (const name of ["input", "kernel", "products", "output", "stage2"]) {
    for (const grid of sets[name]) for (const mark of ["is-window", "is-current", "is-field", "is-winner", "is-selected", "is-pending"]) grid.mark(mark, []);
  }
  document.querySelectorAll(".conv-filter.is-current").forEach((el) => el.classList.remove("is-current"));
}

function renderStep() {
  clearMarks();
  const stage = $("conv-stage");
  stage.dataset.phase = phase;
  stage.classList.toggle("hide-pending", Boolean(state.hide));
  const total = stepCount();
  const step = currentStep();
  $("conv-step-count").textContent = total ? `Step ${state.step + 1} of ${total}` : "";
  lastLink = null;
  if (!plan || !step || problem) {
    views.link.update({ visible: false });
    views.sum.update({ lines: [] });
    renderProducts(null);
    return;
  }
  const pending = pendingMarks(indexOf);
  sets.output.forEach((grid, fi) => grid.mark("is-pending", pending.outputs[fi]));
  sets.stage2.forEach((grid, ci) => grid.mark("is-pending", pending.stage2[ci]));
  if (backward()) {
    if (step.stage === 1) backwardConvStep(step);
    else backwardStage2Step(step);
  } else if (step.stage === 1) forwardConvStep(step);
  else forwardStage2Step(step);
}

let lastLink = null;

function link(fromGrid, fromCells, toGrid, toCells) {
  lastLink = [fromGrid, fromCells, toGrid, toCells];
  relink();
}

/** Redraw the arrow between the last window and cell (after a step, or when the layout moves). */
function relink() {
  if (!lastLink) return views.link.update({ visible: false });
  const [fromGrid, fromCells, toGrid, toCells] = lastLink;
  const origin = $("conv-stage");
  views.link.update({
    from: fromGrid?.boxOf(fromCells, origin), to: toGrid?.boxOf(toCells, origin), visible: phase === "sum",
  });
}

function inputValue(ci, r, c) {
  return data.input[ci]?.[r]?.[c] ?? 0; // padding cells hold 0
}

function forwardConvStep({ f, y, x }) {
  const { header, arrays } = plan;
  const { rows, cols, k } = header.conv;
  const cells = windowCells(rows[y], cols[x]);
  sets.input.forEach((grid) => grid.mark("is-window", cells));
  document.querySelector(`.conv-filter[data-filter="${f}"]`)?.classList.add("is-current");
  sets.output[f]?.mark("is-current", [[y, x]]);
  const chunk = chunkFor(y);
  const channels = sets.input.length;
  const products = chunk ? chunk.arrays.products : null;
  renderProducts(products && Array.from({ length: channels }, (_, ci) => ({
    values: Array.from({ length: k * k }, (_, t) => at(products.data, products.shape, f, ci, Math.floor(t / k), t % k, chunk.y, x)),
    h: k, w: k, caption: channels > 1 ? `x·w, channel ${ci}` : "x·w",
  })));
  const lines = Array.from({ length: channels }, (_, ci) => ({
    label: channels > 1 ? `channel ${ci}` : "",
    terms: cells.map(([r, c], t) => `${fmt(inputValue(ci, r, c))}·${fmt(data.kernels[f][ci][Math.floor(t / k)][t % k])}`),
    result: chunk ? at(chunk.arrays.channel_sums.data, chunk.arrays.channel_sums.shape, f, ci, chunk.y, x) : null,
  }));
  const out = at(arrays.output.data, arrays.output.shape, f, y, x);
  views.sum.update({
    phase,
    heading: `Window ${y * header.conv.out[1] + x + 1} of ${header.conv.out[0] * header.conv.out[1]}${header.conv.filters > 1 ? `, filter ${f}` : ""}: the products of the covered cells and the kernel, summed`,
    lines,
    total: { text: `Σ${channels > 1 ? " over channels" : ""} + b (${fmt(data.bias[f])})`, value: out, target: `output${header.conv.filters > 1 ? ` map ${f}` : ""}, row ${y}, column ${x}` },
  });
  link(sets.input[0], cells, sets.output[f], [[y, x]]);
  announce(`Window over input rows ${rows[y][0]} to ${rows[y].at(-1)} and columns ${cols[x][0]} to ${cols[x].at(-1)}${header.conv.filters > 1 ? ` with filter ${f}` : ""}: the sum ${fmt(out)} goes to output row ${y}, column ${x}.`);
}

function stage2Geometry(step) {
  const st2 = plan.header.stage2;
  const cells = windowCells(st2.rows[step.y], st2.cols[step.x]);
  const maps = st2.mixes_channels ? sets.output.map((_, fi) => fi) : [step.f];
  let winner = null;
  if (st2.kind === "max") {
    const tap = at(plan.arrays.winners.data, plan.arrays.winners.shape, step.f, step.y, step.x);
    winner = [st2.rows[step.y][Math.floor(tap / st2.k)], st2.cols[step.x][tap % st2.k]];
  }
  return { st2, cells, maps, winner };
}

function forwardStage2Step(step) {
  const { f, y, x } = step;
  const { st2, cells, maps, winner } = stage2Geometry(step);
  const { conv } = plan.header;
  for (const fi of maps) sets.output[fi]?.mark("is-window", cells);
  if (winner) sets.output[f]?.mark("is-winner", [winner]);
  sets.stage2[f]?.mark("is-current", [[y, x]]);
  const span = { rows: st2.spans.rows[y], cols: st2.spans.cols[x] };
  const field = [];
  for (let r = span.rows[0]; r <= span.rows[1]; r++) for (let c = span.cols[0]; c <= span.cols[1]; c++) field.push([r, c]);
  sets.input.forEach((grid) => grid.mark("is-field", field));
  const terms = plan.arrays.stage2_terms;
  const k2 = st2.k;
  const windowValues = (fi) => Array.from({ length: k2 * k2 }, (_, t) => at(terms.data, terms.shape, fi, Math.floor(t / k2), t % k2, y, x));
  renderProducts(maps.map((fi) => ({ values: windowValues(fi), h: k2, w: k2, caption: st2.kind === "conv" ? `y·w, map ${fi}` : `window of map ${fi}` })));
  const value = at(plan.arrays.stage2_output.data, plan.arrays.stage2_output.shape, f, y, x);
  const shown = (v) => (v === -Infinity ? "pad" : fmt(v));
  const list = windowValues(f).map(shown);
  const text = {
    max: `max(${list.join(", ")})`,
    avg: `(${list.join(" + ")}) / ${k2 * k2}`,
    conv: `Σ over ${maps.length > 1 ? `${maps.length} maps × ` : ""}${k2 * k2} cells of y·w`,
  }[st2.kind];
  views.sum.update({
    phase,
    heading: `Stage 2 window over conv-output rows ${st2.rows[y][0]}–${st2.rows[y].at(-1)}, columns ${st2.cols[x][0]}–${st2.cols[x].at(-1)}`,
    lines: [],
    total: { text, value, target: `stage 2${st2.channels > 1 ? ` map ${f}` : ""}, row ${y}, column ${x}` },
    note: `${winner ? `The winner is at row ${winner[0]}, column ${winner[1]}. ` : ""}Its receptive field in the input: rows ${span.rows[0]}–${span.rows[1]}, columns ${span.cols[0]}–${span.cols[1]} (${conv.k}×${conv.k} windows, stride ${conv.s}, under a ${k2}×${k2} window, stride ${st2.s}).`,
  });
  link(sets.output[maps[0]], cells, sets.stage2[f], [[y, x]]);
  announce(`Stage 2 window over rows ${st2.rows[y][0]} to ${st2.rows[y].at(-1)}: ${fmt(value)} goes to stage 2 row ${y}, column ${x}; its receptive field covers input rows ${span.rows[0]} to ${span.rows[1]} and columns ${span.cols[0]} to ${span.cols[1]}.`);
}

function backwardStage2Step(step) {
  const { f, y, x } = step;
  const { st2, cells, maps, winner } = stage2Geometry(step);
  sets.stage2[f]?.mark("is-current", [[y, x]]);
  for (const fi of maps) sets.output[fi]?.mark("is-window", cells);
  if (winner) sets.output[f]?.mark("is-winner", [winner]);
  const g = at(plan.arrays.dout.data, plan.arrays.dout.shape, f, y, x);
  renderProducts(null);
  const words = {
    max: winner ? `goes only to the window's winner (row ${winner[0]}, column ${winner[1]}), the cell that held the maximum; the other cells of the window get nothing from it.` : "",
    avg: `is shared equally by the ${st2.k * st2.k} cells of the window.`,
    conv: `is shared by every cell of the window in every map, each weighted by the mean's weight.`,
  }[st2.kind];
  views.sum.update({
    phase,
    heading: `Backward through stage 2, cell row ${y}, column ${x}${st2.channels > 1 ? ` of map ${f}` : ""}`,
    lines: [],
    total: { text: "g = ∂l/∂z", value: g },
    note: `This gradient ${words} The conv output's gradient (∂l/∂y) adds up what every stage-2 window sends to each cell.`,
  });
  link(sets.stage2[f], [[y, x]], sets.output[maps[0]], winner ? [winner] : cells);
  announce(`Gradient ${fmt(g)} from stage 2 row ${y}, column ${x} ${st2.kind === "max" && winner ? `goes to its winner at row ${winner[0]}, column ${winner[1]}` : "is spread over its window"}.`);
}

function backwardConvStep({ f, y, x }) {
  const { header, arrays } = plan;
  const { rows, cols, k } = header.conv;
  const cells = windowCells(rows[y], cols[x]);
  sets.output[f]?.mark("is-current", [[y, x]]);
  sets.input.forEach((grid) => grid.mark("is-window", cells));
  document.querySelector(`.conv-filter[data-filter="${f}"]`)?.classList.add("is-current");
  const g = at(arrays.dconv.data, arrays.dconv.shape, f, y, x);
  const chunk = chunkFor(y);
  const channels = sets.input.length;
  const tap = (name, ci, t) => at(chunk.arrays[name].data, chunk.arrays[name].shape, f, ci, Math.floor(t / k), t % k, chunk.y, x);
  renderProducts(chunk && [
    ...Array.from({ length: channels }, (_, ci) => ({ values: Array.from({ length: k * k }, (_, t) => tap("dx_terms", ci, t)), h: k, w: k, caption: `g·w → ∂l/∂x${channels > 1 ? `, ch ${ci}` : ""}` })),
    ...Array.from({ length: channels }, (_, ci) => ({ values: Array.from({ length: k * k }, (_, t) => tap("dw_terms", ci, t)), h: k, w: k, caption: `g·x → ∂l/∂w${channels > 1 ? `, ch ${ci}` : ""}` })),
  ]);
  views.sum.update({
    phase,
    heading: `Backward through window (row ${y}, column ${x})${header.conv.filters > 1 ? ` of filter ${f}` : ""}`,
    lines: [],
    total: { text: "g = ∂l/∂y", value: g, target: `from output row ${y}, column ${x}` },
    note: "The window's cells of ∂l/∂x each receive g times the kernel weight that touched them (g·w), and the kernel's gradient ∂l/∂w receives g times the input under the window (g·x). Summed over all windows, ∂l/∂x is a full convolution of ∂l/∂y with the flipped kernel (stride and padding honoured) and ∂l/∂w is the input correlated with ∂l/∂y. Click a cell of ∂l/∂x or ∂l/∂w to see its sum.",
  });
  link(sets.output[f], [[y, x]], sets.input[0], cells);
  announce(`Gradient ${fmt(g)} from output row ${y}, column ${x} flows back into input rows ${rows[y][0]} to ${rows[y].at(-1)} and columns ${cols[x][0]} to ${cols[x].at(-1)}.`);
}

function renderProducts(grids) {
  const list = grids ?? [];
  const key = list.map((g) => `${g.h}x${g.w}`).join(",");
  const made = ensureGrids("products", $("conv-products"), list.length, () => ({ fit: list.length > 3 ? 125 : 150 }), key);
  made.forEach((grid, i) => grid.update({ ...list[i], signed: true }));
  $("conv-products-heading").hidden = !list.length;
  $("conv-products-heading").textContent = backward() ? "This window's contributions" : plan?.header.stage2 && currentStep()?.stage === 2 ? "The window's values" : "Products x·w";
}

function announce(text) {
  $("conv-announce").textContent = text;
}

// ---------- backward explanations ----------

function select(target) {
  if (!backward() || !plan || problem) return;
  stop();
  selection = target;
  renderSelection();
}

function renderSelection() {
  if (!selection) return;
  clearMarks();
  const { header, arrays } = plan;
  const { rows, cols, k, out } = header.conv;
  if (selection.kind === "dx") {
    const { c, r, col } = selection;
    if (r < 0 || col < 0 || r >= state.n || col >= state.n) return;
    sets.input[c]?.mark("is-selected", [[r, col]]);
    const terms = [];
    const covering = [];
    for (let y = 0; y < out[0]; y++) {
      const i = rows[y].indexOf(r);
      if (i < 0) continue;
      for (let x = 0; x < out[1]; x++) {
        const j = cols[x].indexOf(col);
        if (j < 0) continue;
        const chunk = chunkFor(y);
        for (let f = 0; f < header.conv.filters; f++) {
          covering.push([f, y, x]);
          const value = chunk ? at(chunk.arrays.dx_terms.data, chunk.arrays.dx_terms.shape, f, c, i, j, chunk.y, x) : null;
          terms.push(`w${sub(header.conv.filters > 1 ? `${f},` : "")}[${i}][${j}]·g[${y}][${x}] (${value === null ? "…" : fmt(value)})`);
        }
      }
    }
    sets.output.forEach((grid, f) => grid.mark("is-field", covering.filter(([ff]) => ff === f).map(([, y, x]) => [y, x])));
    const value = at(arrays.dx.data, arrays.dx.shape, c, r, col);
    views.sum.update({
      heading: `∂l/∂x at row ${r}, column ${col}${sets.input.length > 1 ? `, channel ${c}` : ""}: ${covering.length} window${covering.length === 1 ? "" : "s"} covered it`,
      lines: [{ label: "", terms: shorten(terms) }],
      total: { text: "∂l/∂x", value },
      note: covering.length ? "Each term is the kernel weight that touched this cell times the gradient of that window's output cell." : "No window ever covered this cell, so no gradient reaches it.",
    });
    announce(`The gradient at input row ${r}, column ${col} is ${fmt(value)}, from ${covering.length} windows.`);
  } else {
    const { f, c, i, j } = selection;
    sets.kernel[f * sets.input.length + c]?.mark("is-selected", [[i, j]]);
    const cells = [];
    const terms = [];
    for (let y = 0; y < out[0]; y++) {
      const chunk = chunkFor(y);
      for (let x = 0; x < out[1]; x++) {
        cells.push([rows[y][i], cols[x][j]]);
        const value = chunk ? at(chunk.arrays.dw_terms.data, chunk.arrays.dw_terms.shape, f, c, i, j, chunk.y, x) : null;
        terms.push(`x[${rows[y][i]}][${cols[x][j]}]·g[${y}][${x}] (${value === null ? "…" : fmt(value)})`);
      }
    }
    sets.input[c]?.mark("is-field", cells);
    sets.output[f]?.mark("is-field", windowCells([...Array(out[0]).keys()], [...Array(out[1]).keys()]));
    const value = at(arrays.dw.data, arrays.dw.shape, f, c, i, j);
    views.sum.update({
      heading: `∂l/∂w at tap row ${i}, column ${j}${header.conv.filters > 1 ? ` of filter ${f}` : ""}: the input cells this weight multiplied, times the gradient of each window`,
      lines: [{ label: "", terms: shorten(terms) }],
      total: { text: "∂l/∂w", value },
    });
    announce(`The kernel gradient at tap row ${i}, column ${j} is ${fmt(value)}.`);
  }
  lastLink = null;
  views.link.update({ visible: false });
  renderProducts(null);
}

function sub(text) {
  return text ? `[${text.slice(0, -1)}]` : "";
}

function shorten(terms) {
  return terms.length > MAX_TERMS_SHOWN ? [...terms.slice(0, MAX_TERMS_SHOWN), `… (${terms.length} terms)`] : terms;
}

// ---------- edits and controls ----------

function editInput(ci, r, c, value) {
  if (!data.input) return;
  const copy = data.input.map((channel) => channel.map((row) => row.slice()));
  copy[ci][r][c] = value;
  state.input = "custom";
  state.x = encode(copy);
  syncControls();
  data.input = copy;
  renderInputs();
  schedulePlan();
}

function editKernel(fi, ci, r, c, value) {
  const copy = data.kernels.map((filter) => filter.map((ch) => ch.map((row) => row.slice())));
  copy[fi][ci][r][c] = value;
  state.kernel = "custom";
  state.w = encode(copy);
  data.kernels = copy;
  syncControls();
  renderKernels();
  schedulePlan();
}

function editBias(fi, value) {
  if (!Number.isFinite(value)) return;
  if (state.kernel === "lenet" || state.kernel === "volume") toCustomKernel();
  const bias = data.bias.slice();
  bias[fi] = value;
  state.b = bias.join(",");
  schedulePlan();
}

function toCustomKernel() {
  state.kernel = "custom";
  state.w = encode(data.kernels);
  state.b = data.bias.join(",");
}

function clickOutput(f, y, x) {
  if (!plan) return;
  if (backward() && !plan.header.stage2) return setGrad(f, y, x);
  goTo(indexOf(1, f, y, x));
}

function clickStage2(f, y, x) {
  if (!plan) return;
  if (backward()) return setGrad(f, y, x);
  goTo(indexOf(2, f, y, x));
}

function setGrad(f, y, x) {
  state.grad = `${f},${y},${x}`;
  schedulePlan();
}

function readNumber(id) {
  const value = Number($(id).value);
  return $(id).value !== "" && Number.isInteger(value) ? value : null;
}

function onNumber(name) {
  const value = readNumber(NUMBER_INPUTS[name]);
  if (value === null || value === state[name]) return;
  const before = { ...state };
  state[name] = value;
  if (name === "k" && data.kernels && !KERNELS[state.kernel]) {
    // 2-D presets are remade (or centred) at any k; edited and loaded kernels are cropped or padded around the centre.
    const k = Math.max(1, Math.min(value, limits.max_kernel ?? 9));
    Object.assign(state, { kernel: "custom", w: encode(data.kernels.map((filter) => filter.map((ch) => resizeSquare(ch, k)))), b: data.bias.join(",") });
  }
  if ((name === "n" || name === "c") && data.input && state.input !== "random") {
    const n = Math.max(3, Math.min(state.n, limits.max_size ?? 32));
    const channels = Math.max(1, Math.min(state.c, limits.max_channels ?? 8));
    const input = Array.from({ length: channels }, (_, ci) => resizeCorner(data.input[ci] ?? [], n));
    Object.assign(state, { input: "custom", x: encode(input), n, c: channels });
  }
  if (name === "f" && data.kernels && (state.kernel === "custom" || state.kernel === "lenet" || state.kernel === "volume")) {
    const filters = Math.max(1, Math.min(value, limits.max_filters ?? 8));
    const [, c, k] = shape(data.kernels);
    const kernels = Array.from({ length: filters }, (_, fi) => data.kernels[fi] ?? zeros(c, k, k));
    const bias = Array.from({ length: filters }, (_, fi) => data.bias[fi] ?? 0);
    Object.assign(state, { kernel: "custom", w: encode(kernels), b: bias.join(","), f: filters });
  }
  if (name === "digit") state.input = "mnist";
  if (["k", "s", "p", "d", "k2", "s2", "p2", "n", "c", "f"].includes(name) && before[name] !== state[name]) state.step = 0;
  if (state.grad !== "ones" && name !== "digit") state.grad = "ones";
  syncControls(NUMBER_INPUTS[name]);
  schedulePlan();
}

/** Show the state in the controls, except in the one being typed into (typing = its id). */
function syncControls(typing = null) {
  for (const [name, id] of Object.entries(NUMBER_INPUTS)) {
    if (id !== typing) $(id).value = state[name];
  }
  $("conv-stage2").value = state.stage2;
  $("conv-input-preset").value = state.input;
  $("conv-kernel-preset").value = state.kernel;
  $("conv-speed").value = state.speed;
  $("conv-hide").checked = Boolean(state.hide);
  for (const button of document.querySelectorAll("[data-mode]")) button.setAttribute("aria-pressed", String(button.dataset.mode === state.mode));
  const st2 = state.stage2 !== "none";
  for (const id of ["conv-k2", "conv-s2", "conv-p2"]) $(id).disabled = !st2;
  $("conv-digit-label").hidden = state.input !== "mnist";
  $("conv-reroll").hidden = state.input !== "random";
  $("conv-backward-controls").hidden = !backward();
  $("conv-stage-heading").textContent = backward() ? "The gradient flows back" : "The window slides";
}

function applyLimits() {
  const max = { k: limits.max_kernel, k2: limits.max_kernel, s: limits.max_stride, s2: limits.max_stride, d: limits.max_stride,
    p: limits.max_padding, p2: limits.max_padding, n: limits.max_size, c: limits.max_channels, f: limits.max_filters };
  for (const [name, value] of Object.entries(max)) if (value) $(NUMBER_INPUTS[name]).max = value;
}

function saveState() {
  const saved = { ...state };
  if (state.input !== "custom") delete saved.x;
  if (state.kernel !== "custom") delete saved.w;
  writeState(saved);
}

function loadExample(name) {
  const example = EXAMPLES[name];
  if (!example) return;
  stop();
  Object.assign(state, DEFAULTS, example.state);
  paddingMode = null;
  problem = null;
  syncControls();
  schedulePlan();
}

function setMode(mode) {
  stop();
  state.mode = mode;
  state.step = 0;
  selection = null;
  syncControls();
  for (const name of Object.keys(layoutKeys)) delete layoutKeys[name];
  rebuild();
}

function onKey(event) {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  const target = event.target;
  if (target.closest?.("input, select, textarea, [contenteditable]")) return;
  const total = stepCount();
  if (event.key === " " || event.key === "Spacebar") {
    if (target.closest?.("button, a, summary, td")) return;
    event.preventDefault();
    return playing ? stop() : play();
  }
  const moves = { ArrowRight: 1, ArrowDown: 1, PageDown: 1, ArrowLeft: -1, ArrowUp: -1, PageUp: -1 };
  if (moves[event.key]) {
    event.preventDefault();
    return goTo(state.step + moves[event.key]);
  }
  if (event.key === "Home") {
    event.preventDefault();
    goTo(0);
  } else if (event.key === "End" && total) {
    event.preventDefault();
    goTo(total - 1);
  }
}

function wire() {
  const example = $("conv-example");
  for (const [name, { label }] of Object.entries(EXAMPLES)) example.add(new Option(label, name));
  example.addEventListener("change", () => {
    loadExample(example.value);
    example.value = "";
  });
  for (const name of Object.keys(NUMBER_INPUTS)) {
    $(NUMBER_INPUTS[name]).addEventListener("input", () => onNumber(name));
    $(NUMBER_INPUTS[name]).addEventListener("change", () => onNumber(name));
  }
  for (const button of document.querySelectorAll("[data-padding]")) {
    button.addEventListener("click", () => {
      paddingMode = button.dataset.padding;
      state.step = 0;
      schedulePlan();
    });
  }
  $("conv-stage2").addEventListener("change", () => {
    state.stage2 = $("conv-stage2").value;
    state.grad = "ones";
    syncControls();
    schedulePlan();
  });
  $("conv-input-preset").addEventListener("change", () => {
    state.input = $("conv-input-preset").value;
    if (state.input === "custom") state.x = encode(data.input ?? [SEED_IMAGE]);
    if (state.input === "random" && state.n < 3) state.n = 7;
    state.step = 0;
    state.grad = "ones";
    syncControls();
    schedulePlan();
  });
  $("conv-kernel-preset").addEventListener("change", () => {
    const chosen = $("conv-kernel-preset").value;
    if (chosen === "custom") toCustomKernel();
    else {
      const loaded = state.kernel === "lenet" || state.kernel === "volume";
      state.kernel = chosen;
      if (KERNELS[chosen]) Object.assign(state, { b: "0", f: loaded ? 1 : state.f, k: loaded ? 3 : state.k });
    }
    state.step = 0;
    syncControls();
    schedulePlan();
  });
  $("conv-reroll").addEventListener("click", () => {
    state.rseed = (state.rseed % 9973) + 1;
    schedulePlan();
  });
  $("conv-play").addEventListener("click", () => (playing ? stop() : play()));
  $("conv-next").addEventListener("click", () => goTo(state.step + 1));
  $("conv-prev").addEventListener("click", () => goTo(state.step - 1));
  $("conv-first").addEventListener("click", () => goTo(0));
  $("conv-last").addEventListener("click", () => goTo(stepCount() - 1));
  $("conv-speed").addEventListener("input", () => {
    state.speed = Number($("conv-speed").value);
    if (!playing) saveState();
  });
  $("conv-hide").addEventListener("change", () => {
    state.hide = $("conv-hide").checked ? 1 : 0;
    renderStep();
    saveState();
  });
  for (const button of document.querySelectorAll("[data-mode]")) {
    button.addEventListener("click", () => state.mode !== button.dataset.mode && setMode(button.dataset.mode));
  }
  $("conv-grad-ones").addEventListener("click", () => {
    state.grad = "ones";
    schedulePlan();
  });
  $("conv-copy-link").addEventListener("click", async () => {
    saveState();
    try {
      await navigator.clipboard.writeText(location.href);
      $("conv-copy-status").textContent = "Link copied.";
    } catch {
      $("conv-copy-status").textContent = "Copy the address bar: it holds these settings.";
    }
  });
  document.addEventListener("keydown", onKey);
  addSaveButton($("conv-stage"), { name: "conv-walkthrough", label: "the walkthrough" });
  new ResizeObserver(relink).observe($("conv-stage"));
}

wire();
syncControls();
if (resolve()) {
  renderInputs();
  renderKernels();
}
renderFormula();
