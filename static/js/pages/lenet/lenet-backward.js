// The /lenet page's Backward mode: the student says which digit she meant, and δ = ∂l/∂(values) flows right to
// left one stage a step (the Step button, or Page Down in presentation mode), drawn in the layer strip where the
// activations were, with the step's ReLU mask, max-pooling routing and the layer's rule beside it; a weight can be
// drilled into (its gradient summed window by window, beside the engine's value and a finite difference), one
// SGD step taken on the tab's private copy, and the multiply-adds of both passes counted. Each step is one
// `backward` request on /ws/lenet (latest wins); every number comes from the server (docs/protocol/lenet.md).
// In a room, the teacher's backward state (on, digit, stage, weight) is part of the view students follow.

import { formatValue } from "../../lib/format.js";
import { LENET } from "../../lib/protocol.js";
import { onPresentKeys } from "../../lib/present.js";
import { BackwardStep } from "../../views/backward-step.js";
import { WeightDrill } from "../../views/weight-drill.js";
import { BACKWARD_STAGES, followed, nextStage, previousStage, workTable } from "./lenet-backward-steps.js";

const $ = (id) => document.getElementById(id);
const TOP_KERNELS = 3;

export class BackwardMode {
  /**
   * page: what the /lenet controller lends: {socket, withDrawing(header) -> frame, strip() -> FeatureMaps or null,
   * scales, preprocess() -> "mnist" | "raw", onChange() (the room's view changed), onToggle(on)}.
   */
  constructor(page) {
    this.page = page;
    this.on = false;
    this.label = null; // the digit meant; null: the predicted one
    this.stage = "fc3";
    this.weight = null;
    this.last = null; // the last backward frame
    this.seq = 0;
    this.step = new BackwardStep($("backward-explain"), { scales: page.scales });
    this.drill = new WeightDrill($("weight-drill"), { scales: page.scales, onPick: (weight) => this.pick(weight) });
    $("lenet-backward").addEventListener("click", () => this.toggle(!this.on));
    $("backward-label").addEventListener("change", (event) => {
      this.label = event.target.value === "" ? null : Number(event.target.value);
      this.changed();
    });
    $("backward-step").addEventListener("click", () => this.go(nextStage(this.stage)));
    $("backward-restart").addEventListener("click", () => this.go("fc3"));
    $("backward-sgd").addEventListener("click", () => this.takeStep());
    onPresentKeys((event) => {
      if (!this.on || event.shiftKey) return false;
      if (event.key === "PageDown") return this.go(nextStage(this.stage)), true;
      if (event.key === "PageUp") return this.go(previousStage(this.stage)), true;
      return false;
    });
  }

  /** Backward mode on or off; the page shows activations again when it is off. */
  toggle(on, quiet = false) {
    if (on === this.on) return;
    this.on = on;
    $("lenet-stage").classList.toggle("is-backward", on);
    $("lenet-backward").setAttribute("aria-pressed", String(on));
    $("lenet-backward-panel").hidden = $("lenet-backward-detail").hidden = !on;
    document.querySelector(".lenet-answer").hidden = on;
    if (on) {
      this.stage = "fc3";
      this.request();
    } else {
      this.last = null;
    }
    this.page.onToggle(on);
    if (!quiet) this.page.onChange();
  }

  go(stage) {
    if (!this.on || stage === this.stage) return;
    this.stage = stage;
    this.changed();
  }

  pick(weight) {
    this.weight = weight;
    this.drill.choose(weight);
    this.changed();
  }

  changed() {
    this.request();
    this.page.onChange();
  }

  /** Ask for the current step (the drawing, the digit, the stage, the drilled weight); latest wins. */
  request() {
    if (!this.on) return;
    this.seq += 1;
    const header = { type: LENET.backward, preprocess: this.page.preprocess(), label: this.label, stage: this.stage, seq: this.seq };
    if (this.weight) header.weight = this.weight;
    this.page.socket.request(this.page.withDrawing(header), LENET.backward, LENET.backward);
    $("backward-stage").textContent = this.stage;
  }

  /** The model frame: the weights the drill's grid shows (the page then sends the drawing again). */
  setModel(frame) {
    this.drill.setModel(frame);
  }

  /** A `backward` frame: the numbers, the strip's δ, the step's figures and the drill-down. */
  show(frame) {
    if (!this.on) return;
    this.last = frame;
    const { header } = frame;
    const stepButton = $("backward-step");
    stepButton.disabled = header.empty || header.stage === "input";
    $("backward-stage").textContent = header.stage;
    $("backward-stage").dataset.stage = header.stage;
    $("backward-stage-count").textContent = `(step ${BACKWARD_STAGES.indexOf(header.stage) + 1} of ${BACKWARD_STAGES.length})`;
    if (header.empty) {
      $("backward-loss").textContent = "";
      $("backward-label-shown").textContent = "?";
      $("backward-grad-scores").replaceChildren();
      this.step.update(null);
      this.drill.update(null);
      this.renderStrip();
      return;
    }
    $("backward-loss").textContent = formatValue(header.loss);
    $("backward-label-shown").textContent = String(header.label);
    $("backward-grad-scores").replaceChildren(...header.grad_scores.map((value, digit) => {
      const item = document.createElement("li");
      item.append(Object.assign(document.createElement("span"), { className: "digit", textContent: String(digit) }), formatValue(value, 2));
      item.classList.toggle("is-label", digit === header.label);
      return item;
    }));
    this.step.update(frame);
    this.drill.update(frame);
    this.showWork(header.work);
    this.renderStrip();
  }

  /** The strip in Backward mode: δ at every stage reached, blank where δ has not arrived yet. */
  renderStrip() {
    const strip = this.page.strip();
    if (!strip) return;
    if (!this.last || this.last.header.empty) {
      strip.update({ values: null, gradients: true });
      return;
    }
    const values = {};
    for (const stage of this.last.header.reached) values[stage] = this.last.arrays[`delta.${stage}`].data;
    strip.update({ values, gradients: true });
  }

  showWork(work) {
    const { rows, forward, backward, ratio } = workTable(work);
    const row = (cells, tag = "td") => {
      const tr = document.createElement("tr");
      tr.append(...cells.map((text) => Object.assign(document.createElement(tag), { textContent: text })));
      return tr;
    };
    const caption = document.createElement("caption");
    caption.textContent = `Multiply-adds (backward ${ratio.toFixed(1)}×)`;
    $("backward-work").replaceChildren(
      caption,
      row(["layer", "forward", "backward"], "th"),
      ...rows.map((r) => row([r.layer, r.forward.toLocaleString("en-US"), r.backward.toLocaleString("en-US")])),
      row(["all", forward.toLocaleString("en-US"), backward.toLocaleString("en-US")]),
    );
  }

  /** One SGD step on this tab's private copy towards the digit meant (or the predicted one). */
  takeStep() {
    const label = this.label ?? this.last?.header.label;
    if (!this.on || label === null || label === undefined) return;
    const header = { type: LENET.take_step, preprocess: this.page.preprocess(), label, lr: Number($("backward-lr").value) };
    if (this.page.socket.send(this.page.withDrawing(header))) $("backward-sgd").disabled = true;
  }

  /** The server's `stepped`: the loss before and after, and the kernels that moved most. */
  stepped(message) {
    $("backward-sgd").disabled = false;
    const [top] = message.kernels;
    const kernels = message.kernels.slice(0, TOP_KERNELS).map((k) => `${k.layer} ${k.kernel}`);
    const moved = top.change > 0
      ? ` Kernels moved most: ${kernels.join(", ")}.`
      : " No weight moved: η times a gradient this small is below what a float32 weight can change by; pick another digit.";
    const result = $("backward-sgd-result");
    result.textContent = `Towards ${message.label}: l ${formatValue(message.loss_before)} → ${formatValue(message.loss_after)}.${moved}`;
    result.title = message.kernels.slice(0, TOP_KERNELS).map((k) => `${k.layer} kernel ${k.kernel}: ‖Δ‖ = ${formatValue(k.change)}`).join("\n");
  }

  failed() {
    $("backward-sgd").disabled = false;
  }

  /** This tab's backward state, for a room's view. */
  state() {
    return { on: this.on, label: this.label, stage: this.stage, weight: this.weight };
  }

  /** Follow a room's teacher: her backward state, checked. */
  follow(state) {
    const wanted = followed(state);
    if (!wanted) {
      this.toggle(false, true);
      return;
    }
    this.label = wanted.label;
    $("backward-label").value = wanted.label === null ? "" : String(wanted.label);
    this.stage = wanted.stage;
    this.weight = wanted.weight;
    this.drill.choose(wanted.weight);
    if (!this.on) {
      this.toggle(true, true);
      this.stage = wanted.stage;
    }
    this.request();
  }
}
