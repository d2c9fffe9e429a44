// The input-gradient panel of /lenet (#input-gradient): the gradient with respect to the input, three ways, on the
// student's current drawing. Saliency and gradient × input; an adversarial example (FGSM) with an ε slider, or the
// iterated attack; dreaming for a class or a conv unit. The server computes every number (input_gradient and dream
// on /ws/lenet, docs/protocol/lenet.md); this routes them to the figures. The panel asks only while it is on
// screen, so a class drawing elsewhere on the page costs the server nothing for it. In a room a following student's
// panel takes the teacher's settings (ε, the explained digit, the attack, the dream) and dreams her dreams.

import { DIVERGING, SEQUENTIAL } from "../../lib/colors.js";
import { openStage } from "../../lib/present.js";
import { LENET } from "../../lib/protocol.js";
import { throttle } from "../../lib/throttle.js";
import { DreamPlayer } from "../../views/dream-player.js";
import { HeatmapFigure } from "../../views/heatmap-figure.js";
import {
  amplifiedCaption,
  dreamRequest,
  dreamText,
  fgsmReading,
  followedFaces,
  gradientRequest,
  iteratedText,
  saliencyText,
  smallestText,
} from "./gradient-faces.js";

const SIDE = 28;
const SEND_EVERY_MS = 40; // the ε slider, as the pad: at most 25 requests a second

const $ = (id) => document.getElementById(id);

export class InputGradientPanel {
  /**
   * socket: the page's Socket on /ws/lenet; withDrawing(header): the request as a binary frame with the pad's
   * drawing; preprocess(): the page's preprocessing; isEmpty(): whether the pad is empty; onChange(): a setting
   * changed or a dream was asked for (a room's teacher tells the class).
   */
  constructor({ socket, withDrawing, preprocess, isEmpty, onChange }) {
    this.socket = socket;
    this.withDrawing = withDrawing;
    this.preprocess = preprocess;
    this.isEmpty = isEmpty;
    this.onChange = onChange;
    this.dreams = 0; // dreams asked for on this tab: a room's students dream each of the teacher's
    this.followedDreams = 0; // the teacher's count of dreams when this tab last followed her
    this.root = $("input-gradient");
    this.last = null; // the last gradient_faces frame
    this.seq = 0;
    this.visible = false;
    this.stale = true; // the drawing changed since the last request
    this.saliency = new HeatmapFigure($("saliency-map"), { scale: DIVERGING });
    this.product = new HeatmapFigure($("times-input-map"), { scale: DIVERGING });
    this.perturbation = new HeatmapFigure($("fgsm-perturbation"), { scale: DIVERGING });
    this.adversarial = new HeatmapFigure($("fgsm-image"), { scale: SEQUENTIAL });
    this.dream = new DreamPlayer($("dream-image"), $("dream-strip"), { scale: SEQUENTIAL });
    this.sendSoon = throttle(() => this.send(), SEND_EVERY_MS);
    this.wire();
    new IntersectionObserver((entries) => {
      this.visible = entries.some((entry) => entry.isIntersecting);
      if (this.visible && this.stale) this.request();
    }).observe(this.root);
  }

  wire() {
    $("fgsm-epsilon").addEventListener("input", () => {
      $("fgsm-epsilon-value").textContent = $("fgsm-epsilon").value;
      this.sendSoon();
    });
    $("saliency-target").addEventListener("change", () => this.send());
    for (const radio of this.root.querySelectorAll("input[name=fgsm-mode]")) {
      radio.addEventListener("change", () => {
        this.render();
        this.onChange();
      });
    }
    for (const id of ["fgsm-epsilon", "saliency-target", "dream-objective", "dream-start"]) {
      $(id).addEventListener(id === "fgsm-epsilon" ? "input" : "change", () => this.onChange());
    }
    $("fgsm-smallest-apply").addEventListener("click", () => {
      const smallest = this.last?.header.fgsm?.smallest_epsilon;
      if (smallest === null || smallest === undefined) return;
      $("fgsm-epsilon").value = String(smallest);
      $("fgsm-epsilon-value").textContent = $("fgsm-epsilon").value;
      this.root.querySelector("input[name=fgsm-mode][value=one-shot]").checked = true;
      this.send();
      this.onChange();
    });
    $("dream-run").addEventListener("click", () => {
      this.dreams += 1;
      this.onChange();
      this.runDream();
    });
  }

  /** The attack shown: "one-shot" or "iterated". */
  mode() {
    return this.root.querySelector("input[name=fgsm-mode]:checked").value;
  }

  /** What a room's following students take from this panel: ε, the explained digit, the attack, the dream. */
  state() {
    const target = $("saliency-target").value;
    return {
      epsilon: Number($("fgsm-epsilon").value),
      target: target === "" ? null : Number(target),
      mode: this.mode(),
      dream: { objective: $("dream-objective").value, start: $("dream-start").value, runs: this.dreams },
    };
  }

  /** Follow a room's teacher: her settings, checked (asked for again when they changed), and a dream she asked for
   * since this tab last followed her (on arrival, her last one). */
  follow(state) {
    const values = (id) => [...$(id).options].map((option) => option.value);
    const wanted = followedFaces(state, { objectives: values("dream-objective"), starts: values("dream-start") });
    if (!wanted) return;
    const epsilon = $("fgsm-epsilon");
    const target = wanted.target === null ? "" : String(wanted.target);
    const before = `${epsilon.value} ${$("saliency-target").value}`;
    if (wanted.epsilon !== null) epsilon.value = String(wanted.epsilon); // the slider keeps it in its range and step
    $("fgsm-epsilon-value").textContent = epsilon.value;
    $("saliency-target").value = target;
    if (this.mode() !== wanted.mode) {
      this.root.querySelector(`input[name=fgsm-mode][value=${wanted.mode}]`).checked = true;
      this.render();
    }
    if (wanted.dream.objective !== null) $("dream-objective").value = wanted.dream.objective;
    if (wanted.dream.start !== null) $("dream-start").value = wanted.dream.start;
    if (`${epsilon.value} ${target}` !== before) this.request();
    if (wanted.dream.runs !== this.followedDreams && wanted.dream.runs > 0) this.runDream();
    this.followedDreams = wanted.dream.runs;
  }

  /** Whether a frame is one of this panel's answers. */
  answers(frame) {
    return frame.header.type === LENET.gradient_faces || frame.header.type === LENET.dreamt;
  }

  /** The drawing changed: ask for its input gradients now if the panel is on screen, else when it comes into view. */
  request() {
    this.stale = true;
    if (this.visible) this.send();
  }

  send() {
    this.stale = false;
    this.seq += 1;
    const target = $("saliency-target").value;
    const header = gradientRequest({
      epsilon: Number($("fgsm-epsilon").value),
      target: target === "" ? null : Number(target),
      seq: this.seq,
      preprocess: this.preprocess(),
    });
    this.socket.request(this.withDrawing(header), LENET.gradient_faces, LENET.input_gradient);
  }

  runDream() {
    const start = $("dream-start").value;
    if (start === "drawing" && this.isEmpty()) {
      $("dream-result").textContent = "Draw a digit first, or dream from blank paper.";
      return;
    }
    $("dream-result").textContent = "Dreaming…";
    const header = dreamRequest($("dream-objective").value, start, this.preprocess());
    this.socket.request(this.withDrawing(header), LENET.dreamt, LENET.dream);
  }

  show(frame) {
    if (frame.header.type === LENET.dreamt) {
      const { header, arrays } = frame;
      this.dream.update({ frames: arrays.frames.data, steps: header.steps, values: header.values });
      $("dream-result").textContent = dreamText(header);
      return;
    }
    const first = this.last === null;
    this.last = frame; // answers come in the order asked (latest wins drops the ones in between), so this is the newest
    this.render();
    // The page's first answers have laid out the sections above: a lesson stop at #input-gradient opens on it again.
    if (first && location.hash === `#${this.root.id}`) openStage();
  }

  render() {
    if (!this.last) return;
    const { header, arrays } = this.last;
    this.root.dataset.empty = String(header.empty);
    if (header.empty) {
      for (const figure of [this.saliency, this.product, this.perturbation, this.adversarial]) figure.update(null);
      $("input-gradient-status").textContent = "Draw a digit above: its input gradients appear here.";
      for (const id of ["saliency-scale", "fgsm-prediction", "fgsm-smallest", "fgsm-iterated"]) $(id).textContent = "";
      $("fgsm-smallest-apply").hidden = true;
      return;
    }
    const picture = (name) => arrays[name].data;
    const grid = { width: SIDE, height: SIDE };
    $("input-gradient-status").textContent = `LeNet reads your drawing as ${header.prediction}.`;
    this.saliency.update({ ...grid, values: picture("saliency"), base: picture("input"), bounds: [-1, 1] });
    this.product.update({ ...grid, values: picture("times_input"), bounds: [-1, 1] });
    $("saliency-scale").textContent = saliencyText(header);

    const iterated = this.root.querySelector("input[name=fgsm-mode][value=iterated]").checked;
    const shown = iterated ? header.iterated : header.fgsm;
    const bound = shown.epsilon || 1;
    this.perturbation.update({ ...grid, values: picture(iterated ? "iterated_perturbation" : "perturbation"), bounds: [-bound, bound] });
    this.adversarial.update({ ...grid, values: picture(iterated ? "iterated" : "adversarial"), bounds: [0, 1] });
    $("fgsm-perturbation-caption").textContent = amplifiedCaption(shown.epsilon);
    const reading = iterated
      ? { text: iteratedText(header), flipped: header.iterated.prediction !== header.prediction, prediction: header.iterated.prediction }
      : fgsmReading(header);
    const readout = $("fgsm-prediction");
    readout.textContent = reading.text;
    readout.dataset.prediction = String(reading.prediction);
    readout.dataset.flipped = String(reading.flipped);
    $("fgsm-smallest").textContent = smallestText(header);
    $("fgsm-smallest-apply").hidden = header.fgsm.smallest_epsilon === null;
    $("fgsm-iterated").textContent = iterated ? "" : iteratedText(header);
  }
}
