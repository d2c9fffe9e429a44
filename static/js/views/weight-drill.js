// One weight's gradient built window by window (the /lenet page's Backward mode). The picker: a layer, for a
// convolution its kernel and input map and a K×K grid of the kernel's weights (buttons: click or tab to one, or
// its bias), for a dense layer a unit and an input. Once the server's `backward` frame holds the drill-down, the
// map the weight reads (the window moving over it, the tap it multiplies ringed) and the δ of the map it feeds
// (the current cell ringed) play term by term while the running sum counts up to the engine's gradient, shown
// beside a float64 finite difference (data-testids weight-grad-sum, weight-grad-engine, weight-grad-fd).

import { paintHeatmap } from "../lib/canvas.js";
import { formatValue } from "../lib/format.js";
import { termPlace, termsPerFrame } from "../pages/lenet/lenet-backward-steps.js";

const CELL_PX = 10;
const LAYERS = ["conv1", "conv2", "fc1", "fc2", "fc3"];

function el(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function options(select, count, label) {
  select.replaceChildren(...Array.from({ length: count }, (_, i) => el("option", { value: String(i), textContent: label(i) })));
}

function symmetric(data) {
  let largest = 0;
  for (const v of data) largest = Math.max(largest, Math.abs(v));
  return [-(largest || 1), largest || 1];
}

export class WeightDrill {
  /**
   * el: an empty container. options: scales {diverging, sequential}, onPick(weight) with weight
   * {parameter, index} as stored (conv w (F, C, K, K), dense w (in, out), b (out,)).
   */
  constructor(el_, { scales, onPick }) {
    this.el = el_;
    this.scales = scales;
    this.onPick = onPick;
    this.weights = null; // the model frame's arrays
    this.frame = null;
    this.timer = null;
    el_.classList.add("weight-drill");
    this.layer = el("select", { id: "drill-layer" });
    this.layer.dataset.testid = "drill-layer";
    this.layer.append(...LAYERS.map((name) => el("option", { value: name, textContent: name })));
    this.kernel = el("select", { id: "drill-kernel" });
    this.channel = el("select", { id: "drill-channel" });
    this.unit = el("input", { type: "number", min: "0", value: "0", id: "drill-unit" });
    this.input = el("input", { type: "number", min: "0", value: "0", id: "drill-input" });
    const go = el("button", { type: "button", textContent: "Drill" });
    go.dataset.testid = "drill-dense";
    this.convPicker = el("div", { className: "weight-drill__conv" }, [
      el("label", {}, ["kernel ", this.kernel]),
      this.channelLabel = el("label", {}, [" of map ", this.channel]),
    ]);
    this.densePicker = el("div", { className: "weight-drill__dense" }, [
      el("label", {}, ["unit ", this.unit]),
      el("label", {}, [" from input ", this.input]),
      go,
    ]);
    this.grid = el("div", { className: "weight-drill__grid", role: "group" });
    this.grid.setAttribute("aria-label", "The kernel's weights: pick one to watch its gradient build up");
    const head = el("div", { className: "weight-drill__picker controls" }, [
      el("label", {}, ["Layer ", this.layer]),
      this.convPicker,
      this.densePicker,
    ]);
    this.readsCanvas = el("canvas", { className: "weight-drill__map" });
    this.deltaCanvas = el("canvas", { className: "weight-drill__map" });
    this.readsCaption = el("figcaption");
    this.deltaCaption = el("figcaption");
    this.term = el("p", { className: "weight-drill__term number" });
    this.sum = el("output", { className: "number" });
    this.sum.dataset.testid = "weight-grad-sum";
    this.engine = el("output", { className: "number" });
    this.engine.dataset.testid = "weight-grad-engine";
    this.fd = el("output", { className: "number" });
    this.fd.dataset.testid = "weight-grad-fd";
    this.verdict = el("p", { className: "weight-drill__verdict" });
    this.verdict.dataset.testid = "weight-grad-verdict";
    this.replay = el("button", { type: "button", textContent: "Replay" });
    const numbers = el("dl", { className: "weight-drill__numbers" }, [
      el("dt", { textContent: "Σ so far" }), el("dd", {}, [this.sum]),
      el("dt", { textContent: "engine" }), el("dd", {}, [this.engine]),
      el("dt", { textContent: "finite diff." }), el("dd", {}, [this.fd]),
    ]);
    this.play = el("div", { className: "weight-drill__play" }, [
      el("figure", {}, [this.readsCanvas, this.readsCaption]),
      el("figure", {}, [this.deltaCanvas, this.deltaCaption]),
      el("div", { className: "weight-drill__readout" }, [numbers, this.term, this.verdict, this.replay]),
    ]);
    this.play.hidden = true;
    el_.append(head, this.grid, this.play);
    this.layer.addEventListener("change", () => this.layout());
    this.kernel.addEventListener("change", () => this.drawGrid());
    this.channel.addEventListener("change", () => this.drawGrid());
    go.addEventListener("click", () => this.pickDense());
    this.grid.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-index]");
      if (button) this.pick({ parameter: button.dataset.parameter, index: JSON.parse(button.dataset.index) });
    });
    this.replay.addEventListener("click", () => this.animate());
  }

  /** The model frame (its weights label the grid's buttons). */
  setModel(frame) {
    this.weights = frame.arrays;
    this.layout();
  }

  layout() {
    const name = this.layer.value;
    const conv = name.startsWith("conv");
    this.convPicker.hidden = !conv;
    this.densePicker.hidden = conv;
    this.grid.hidden = !conv;
    if (!this.weights) return;
    const w = this.weights[`${name}.w`];
    if (conv) {
      const [filters, channels] = w.shape;
      options(this.kernel, filters, (i) => String(i));
      options(this.channel, channels, (i) => String(i));
      this.channelLabel.hidden = channels === 1;
      this.drawGrid();
    } else {
      const [units, inputs] = w.shape; // the model frame's dense weights are (M, D): a row per unit
      this.unit.max = String(units - 1);
      this.input.max = String(inputs - 1);
    }
  }

  /** The K×K weights of the chosen kernel and map, as buttons showing their values, and its bias. */
  drawGrid() {
    const name = this.layer.value;
    const w = this.weights[`${name}.w`];
    const [, channels, k] = w.shape;
    const f = Number(this.kernel.value);
    const c = Number(this.channel.value);
    this.grid.style.setProperty("--k", String(k));
    const buttons = [];
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const value = w.data[((f * channels + c) * k + i) * k + j];
        const button = el("button", { type: "button", textContent: formatValue(value, 2) });
        button.dataset.parameter = `${name}.w`;
        button.dataset.index = JSON.stringify([f, c, i, j]);
        button.dataset.testid = `drill-weight-${i}-${j}`;
        button.setAttribute("aria-label", `${name} weight [${f}, ${c}, ${i}, ${j}] = ${formatValue(value)}`);
        buttons.push(button);
      }
    }
    const bias = el("button", { type: "button", className: "weight-drill__bias", textContent: `b = ${formatValue(this.weights[`${name}.b`].data[f], 2)}` });
    bias.dataset.parameter = `${name}.b`;
    bias.dataset.index = JSON.stringify([f]);
    bias.dataset.testid = "drill-bias";
    this.grid.replaceChildren(...buttons, bias);
    this.mark();
  }

  pickDense() {
    const name = this.layer.value;
    const [units, inputs] = this.weights[`${name}.w`].shape;
    const m = Math.max(0, Math.min(units - 1, Math.trunc(Number(this.unit.value)) || 0));
    const d = Math.max(0, Math.min(inputs - 1, Math.trunc(Number(this.input.value)) || 0));
    this.pick({ parameter: `${name}.w`, index: [d, m] }); // stored as (in, out)
  }

  pick(weight) {
    this.onPick(weight);
  }

  /** Show the picker on `weight` (a room's teacher may have chosen it). */
  choose(weight) {
    if (!weight || !this.weights) return;
    const [name] = weight.parameter.split(".");
    if (this.layer.value !== name) {
      this.layer.value = name;
      this.layout();
    }
    if (name.startsWith("conv") && String(weight.index[0]) !== this.kernel.value) {
      this.kernel.value = String(weight.index[0]);
      if (weight.index.length === 4) this.channel.value = String(weight.index[1]);
      this.drawGrid();
    }
    this.chosen = weight;
    this.mark();
  }

  mark() {
    const key = this.chosen ? `${this.chosen.parameter}:${JSON.stringify(this.chosen.index)}` : "";
    for (const button of this.grid.querySelectorAll("button[data-index]")) {
      button.setAttribute("aria-pressed", String(`${button.dataset.parameter}:${button.dataset.index}` === key));
    }
  }

  /** frame: the `backward` frame; plays its drill-down when it holds a new one. */
  update(frame) {
    const drill = frame?.header.drill;
    if (!drill) {
      this.play.hidden = true;
      return;
    }
    const before = this.frame?.header.drill;
    const key = (d) => JSON.stringify([d.parameter, d.index, d.engine]);
    const same = before && key(before) === key(drill); // the same weight on the same drawing: no replay
    this.frame = frame;
    this.play.hidden = false;
    this.engine.textContent = formatValue(drill.engine);
    this.fd.textContent = formatValue(drill.finite_difference);
    const zero = drill.nonzero === 0
      ? " Every term is 0: the units it feeds passed no δ (ReLU off, or not a pooling winner), or what it reads is 0."
      : "";
    this.verdict.textContent = drill.agree
      ? `The three agree to 3 significant digits (ε = ${drill.epsilon}, float64).${zero}`
      : `They differ: ${drill.note}.`;
    this.verdict.dataset.agree = String(drill.agree);
    if (!same) this.animate();
  }

  /** Play the terms: the window moves, the running sum grows, and ends at the server's exact sum. */
  animate() {
    cancelAnimationFrame(this.timer);
    const { header: { drill }, arrays } = this.frame;
    const running = arrays["drill.running"].data;
    const total = running.length;
    const perFrame = termsPerFrame(total);
    let t = 0;
    this.sum.dataset.done = "false";
    const tick = () => {
      t = Math.min(total, t + perFrame);
      this.show(drill, arrays, t - 1);
      if (t < total) {
        this.timer = requestAnimationFrame(tick);
      } else {
        this.sum.textContent = formatValue(drill.sum);
        this.sum.dataset.done = "true";
      }
    };
    tick();
  }

  /** Term t on screen: its window, its cell of δ, the product and the running sum up to it. */
  show(drill, arrays, t) {
    const place = termPlace(drill, t);
    const inputs = arrays["drill.inputs"].data;
    const deltas = arrays["drill.deltas"].data;
    const terms = arrays["drill.terms"].data;
    this.sum.textContent = formatValue(arrays["drill.running"].data[t]);
    const [name, key] = drill.parameter.split(".");
    if (drill.kind === "conv") {
      const [f, c] = drill.index;
      const { out: [oh, ow], kernel } = drill.layout;
      this.paintDelta(deltas, ow, oh, place, `∂l/∂z of ${name} map ${f}, (${place.y}, ${place.x})`);
      const map = arrays["drill.map"];
      if (map) {
        const [h, w] = map.shape;
        this.paintReads(map.data, w, h, place, kernel, `${drill.reads} map ${c}, window (${place.top}, ${place.left})`);
      } else {
        this.readsCanvas.hidden = true;
        this.readsCaption.textContent = "";
      }
      const x = key === "w" ? `x ${formatValue(inputs[t], 3)}` : "1";
      this.term.textContent = `window ${t + 1}/${drill.terms}: δ ${formatValue(deltas[t], 3)} × ${x} = ${formatValue(terms[t], 3)}`;
    } else {
      this.readsCanvas.hidden = this.deltaCanvas.hidden = true;
      this.readsCaption.textContent = this.deltaCaption.textContent = "";
      const [d, m] = drill.index.length === 2 ? drill.index : [null, drill.index[0]];
      const x = key === "w" ? `${drill.reads}[${d}] = ${formatValue(inputs[0])}` : "1";
      this.term.textContent = `one image, one term: δ of ${name} unit ${m} = ${formatValue(deltas[0])} × ${x} → ${formatValue(terms[0])}`;
    }
  }

  paintDelta(values, width, height, place, caption) {
    this.deltaCanvas.hidden = false;
    const context = this.scaled(this.deltaCanvas, values, width, height, this.scales.diverging, symmetric(values));
    context.strokeStyle = "#000";
    context.lineWidth = 2;
    context.strokeRect(place.x * CELL_PX + 1, place.y * CELL_PX + 1, CELL_PX - 2, CELL_PX - 2);
    this.deltaCaption.textContent = caption;
  }

  paintReads(values, width, height, place, kernel, caption) {
    this.readsCanvas.hidden = false;
    const context = this.scaled(this.readsCanvas, values, width, height, this.scales.sequential, [0, Math.max(...values) || 1]);
    context.strokeStyle = "#e11d48";
    context.lineWidth = 2;
    context.strokeRect(place.left * CELL_PX, place.top * CELL_PX, kernel * CELL_PX, kernel * CELL_PX);
    context.fillStyle = "rgba(225, 29, 72, 0.55)";
    context.fillRect(place.col * CELL_PX, place.row * CELL_PX, CELL_PX, CELL_PX);
    this.readsCaption.textContent = caption;
  }

  scaled(canvas, values, width, height, scale, bounds) {
    const native = document.createElement("canvas");
    paintHeatmap(native, values, width, height, scale, bounds);
    canvas.width = width * CELL_PX;
    canvas.height = height * CELL_PX;
    const context = canvas.getContext("2d");
    context.imageSmoothingEnabled = false;
    context.drawImage(native, 0, 0, canvas.width, canvas.height);
    return context;
  }

  destroy() {
    cancelAnimationFrame(this.timer);
    this.el.replaceChildren();
  }
}
