// The conv page's settings without the DOM: the state a shared URL restores, the input and kernels it describes
// (presets, the server's assets, cells painted on the grids), the conv_plan request made from them, and every
// change the controls make. Arrays are nested: input [C][n][n], kernels [F][C][k][k].

import { flat, shape, zeros } from "../../lib/arrays.js";
import { CONV } from "../../lib/protocol.js";
import { loadMembership } from "../../lib/room.js";
import { loadLastDigit } from "../../lib/shared-state.js";
import { readState, writeState } from "../../lib/url-state.js";
import { EXAMPLES, KERNELS, SEED_IMAGE, VOLUME, randomVolume } from "./conv-presets.js";

const DEFAULTS = Object.freeze({
  input: "seed", n: 7, c: 1, digit: 3, rseed: 1, x: "",
  kernel: "seed", k: 3, f: 1, w: "", b: "0",
  s: 1, p: 0, d: 1, stage2: "none", k2: 2, s2: 2, p2: 0,
  mode: "forward", grad: "ones", step: 0, speed: 3,
  hide: loadMembership() ? 1 : 0, // in a classroom room the cells not reached yet are hidden: the class predicts them
});
const RESTARTING = ["k", "s", "p", "d", "k2", "s2", "p2", "n", "c", "f"]; // a change of these starts at step 1
// The numbers the page itself keeps in range (the server's limits when it has said them): [name, least, limit, default].
const RANGES = {
  k: ["kernel size k", 1, "max_kernel", 9], n: ["size n", 3, "max_size", 32],
  c: ["channels C", 1, "max_channels", 8], f: ["filters F", 1, "max_filters", 8],
};

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

function clamp(v, lo, hi) {
  return Math.max(lo, Math.min(hi, Math.round(v)));
}

export class ConvSettings {
  /** send(msg): how a conv_asset request reaches the server. */
  constructor(send) {
    this.send = send;
    this.state = readState(DEFAULTS);
    this.data = { input: null, kernels: null, bias: null, note: "", corrected: "" };
    this.assets = { digits: new Map(), lenet: null, waiting: new Set() };
    this.limits = {};
    this.paddingMode = null; // "valid" | "same" | "full" until the server resolves it
  }

  get backward() {
    return this.state.mode === "backward";
  }

  // ---------- inputs and kernels from the state ----------

  requestAsset(name, index = 0) {
    const key = `${name}:${index}`;
    if (this.assets.waiting.has(key)) return;
    this.assets.waiting.add(key);
    this.send({ type: CONV.asset, name, index });
  }

  /** The input [C][n][n] the state describes, or null while an asset is on its way. */
  resolveInput() {
    const { state, data, assets, limits } = this;
    data.note = "";
    switch (state.input) {
      case "mnist": {
        const digit = assets.digits.get(state.digit);
        if (!digit) {
          this.requestAsset("mnist_digit", state.digit);
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
  resolveKernels(channels) {
    const { state, data, assets, limits } = this;
    const perChannel = (rows2d) => Array.from({ length: channels }, () => rows2d);
    const fit = (kernel) => Array.from({ length: channels }, (_, c) => kernel[c % kernel.length]);
    const bias = (count) => Array.from({ length: count }, (_, i) => Number(state.b.split(",")[i]) || 0);
    if (state.kernel === "lenet") {
      if (!assets.lenet) {
        this.requestAsset("lenet_conv1");
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

  /** Recompute the input and kernels from the state; true when both are ready. */
  resolve() {
    const { state, data } = this;
    const input = this.resolveInput();
    if (!input) return false;
    data.input = input;
    [state.c, state.n] = shape(input);
    const kernels = this.resolveKernels(state.c);
    if (!kernels) return false;
    data.kernels = kernels.kernels;
    data.bias = kernels.bias;
    [state.f, , state.k] = shape(data.kernels);
    state.b = data.bias.map((v) => String(Number(v.toPrecision(6)))).join(",");
    return true;
  }

  // ---------- talking to the server ----------

  planRequest() {
    const { state, data } = this;
    const grad = state.grad === "ones" ? { kind: "ones" } : { kind: "cell", cell: state.grad.split(",").map(Number) };
    return {
      type: CONV.plan,
      input: data.input,
      kernels: data.kernels,
      bias: data.bias,
      stride: state.s,
      padding: this.paddingMode ?? state.p,
      dilation: state.d,
      stage2: { kind: state.stage2, k: state.k2, s: state.s2, p: state.p2 },
      grad,
    };
  }

  /** A plan came: a padding asked for by name ("same") becomes the number the server gave it. */
  planArrived(header) {
    if (this.paddingMode) {
      this.state.p = header.conv.p;
      this.paddingMode = null;
    }
  }

  planRefused() {
    this.paddingMode = null;
  }

  connected(limits) {
    this.limits = limits;
    this.assets.waiting.clear();
  }

  receiveAsset(msg) {
    this.assets.waiting.delete(`${msg.name}:${msg.index}`);
    if (msg.name === "mnist_digit") this.assets.digits.set(msg.index, msg.values);
    else this.assets.lenet = { values: msg.values, bias: msg.bias };
  }

  /** An asset cannot come (no LeNet weights, say): back to the slide's input and kernel. */
  assetRefused() {
    const { state } = this;
    this.assets.waiting.clear();
    if (state.kernel === "lenet") Object.assign(state, { kernel: "seed", k: 3, f: 1, b: "0" });
    if (state.input === "mnist") state.input = "seed";
  }

  // ---------- changes from the controls ----------

  /** A number typed into a setting's field (null when it is not an integer); false when nothing changes. */
  setNumber(name, value) {
    const { state, data, limits } = this;
    if (value === null || value === state[name]) return false;
    const before = { ...state };
    state[name] = value;
    this.data.corrected = this.correction(name, value);
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
    if (RESTARTING.includes(name) && before[name] !== state[name]) state.step = 0;
    if (state.grad !== "ones" && name !== "digit") state.grad = "ones";
    return true;
  }

  /** The sentence saying that a typed number out of range is used as its nearest allowed value ("" when in range). */
  correction(name, value) {
    if (!RANGES[name]) return "";
    const [label, least, limit, fallback] = RANGES[name];
    const most = this.limits[limit] ?? fallback;
    if (value >= least && value <= most) return "";
    const used = Math.max(least, Math.min(most, value));
    return `${label} = ${value} is out of range (${least} to ${most}${value > most ? ", this server's limit" : ""}), so ${used} is used.`;
  }

  setPaddingMode(mode) {
    this.paddingMode = mode;
    this.state.step = 0;
  }

  setStage2(kind) {
    this.state.stage2 = kind;
    this.state.grad = "ones";
  }

  setInputPreset(preset) {
    const { state, data } = this;
    state.input = preset;
    if (state.input === "custom") state.x = encode(data.input ?? [SEED_IMAGE]);
    if (state.input === "random" && state.n < 3) state.n = 7;
    state.step = 0;
    state.grad = "ones";
  }

  setKernelPreset(preset) {
    const { state } = this;
    if (preset === "custom") this.toCustomKernel();
    else {
      const loaded = state.kernel === "lenet" || state.kernel === "volume";
      state.kernel = preset;
      if (KERNELS[preset]) Object.assign(state, { b: "0", f: loaded ? 1 : state.f, k: loaded ? 3 : state.k });
    }
    state.step = 0;
  }

  reroll() {
    this.state.rseed = (this.state.rseed % 9973) + 1;
  }

  setMode(mode) {
    this.state.mode = mode;
    this.state.step = 0;
  }

  /** The gradient arriving at the last output: 1 at one cell [map, row, column], or all ones (null). */
  setGrad(cell = null) {
    this.state.grad = cell ? cell.join(",") : "ones";
  }

  /** A value painted or typed into input channel ci; false before there is an input. */
  paintInput(ci, r, c, value) {
    const { state, data } = this;
    if (!data.input) return false;
    const copy = data.input.map((channel) => channel.map((row) => row.slice()));
    copy[ci][r][c] = value;
    state.input = "custom";
    state.x = encode(copy);
    data.input = copy;
    return true;
  }

  paintKernel(fi, ci, r, c, value) {
    const { state, data } = this;
    const copy = data.kernels.map((filter) => filter.map((ch) => ch.map((row) => row.slice())));
    copy[fi][ci][r][c] = value;
    state.kernel = "custom";
    state.w = encode(copy);
    data.kernels = copy;
  }

  /** A bias typed in; false when it is not a number. */
  setBias(fi, value) {
    if (!Number.isFinite(value)) return false;
    if (this.state.kernel === "lenet" || this.state.kernel === "volume") this.toCustomKernel();
    const bias = this.data.bias.slice();
    bias[fi] = value;
    this.state.b = bias.join(",");
    return true;
  }

  toCustomKernel() {
    this.state.kernel = "custom";
    this.state.w = encode(this.data.kernels);
    this.state.b = this.data.bias.join(",");
  }

  /** One of EXAMPLES: its settings over the defaults. */
  loadExample(name) {
    Object.assign(this.state, DEFAULTS, EXAMPLES[name].state);
    this.paddingMode = null;
  }

  /** Mirror the state in the URL (an edited input or kernel only while it is the one shown). */
  save() {
    const saved = { ...this.state };
    if (this.state.input !== "custom") delete saved.x;
    if (this.state.kernel !== "custom") delete saved.w;
    writeState(saved);
  }
}
