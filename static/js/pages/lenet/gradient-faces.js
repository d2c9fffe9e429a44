// The input-gradient panel of /lenet, without the DOM: the requests it sends (input_gradient, dream) and the
// sentences it shows about the server's gradient_faces and dreamt frames (docs/protocol/lenet.md). Every number
// comes from the server; this only words it.

import { LENET } from "../../lib/protocol.js";
import { digitOrNull } from "./digits.js";

const percent = (p) => `${(100 * p).toFixed(1)}%`;
const signed = (value) => (value < 0 ? `−${Math.abs(value).toFixed(2)}` : value.toFixed(2));

/** A short number for a scale: 3 significant digits, ×10⁻ⁿ written out when it is tiny. */
export function scaleText(value) {
  if (value === 0) return "0";
  if (Math.abs(value) >= 1e-3) return String(Number(value.toPrecision(3)));
  const [mantissa, exponent] = value.toExponential(2).split("e");
  const superscript = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  return `${mantissa}×10${[...String(Number(exponent))].map((c) => superscript[c]).join("")}`;
}

/** The header of an input_gradient request (the canvas is added by the page): ε, the explained class, seq. */
export function gradientRequest({ epsilon, target, seq, preprocess }) {
  return { type: LENET.input_gradient, preprocess, epsilon, target, label: null, seq };
}

/** The header of a dream request for a picker value ("class:3" or "conv2:5") and a start ("blank" | "drawing"). */
export function dreamRequest(choice, start, preprocess) {
  const [kind, number] = choice.split(":");
  const header = { type: LENET.dream, preprocess, start };
  if (kind === "class") return { ...header, target: Number(number) };
  return { ...header, map: { stage: kind, channel: Number(number) } };
}

/** The perturbation's caption: drawn with full colour at ±ε, so amplified 1/ε times. */
export function amplifiedCaption(epsilon) {
  if (!(epsilon > 0)) return "x′ − x: nothing moved at ε = 0";
  return `x′ − x, amplified ×${Number((1 / epsilon).toPrecision(2))} (full colour ±${epsilon})`;
}

/** The saliency's scales, stated: what full colour means on each map. */
export function saliencyText(header) {
  const { target, score, scale, times_input_scale: product } = header.saliency;
  return `Score of ${target}: ${signed(score)}. Full colour is ±${scaleText(scale)} per unit of ink on ∂s/∂x ` +
    `and ±${scaleText(product)} on gradient × input; red raises the score, blue lowers it.`;
}

/** What LeNet reads on the one-shot adversarial image, and whether that changed the reading. */
export function fgsmReading(header) {
  const { prediction, probabilities, epsilon } = header.fgsm;
  const flipped = prediction !== header.prediction;
  const text = flipped
    ? `At ε = ${epsilon}: LeNet reads ${prediction} (${percent(probabilities[prediction])}), not ${header.prediction}`
    : `At ε = ${epsilon}: LeNet still reads ${prediction} (${percent(probabilities[prediction])})`;
  return { text, flipped, prediction };
}

/** How small a one-shot ε was enough (on the server's grid 0.005 … 0.5), or that none was. */
export function smallestText(header) {
  const smallest = header.fgsm.smallest_epsilon;
  if (smallest === null) return "No one-shot ε up to 0.5 changes the reading.";
  return `One step of ε = ${smallest} is the smallest that changes the reading (each pixel moves by at most ${smallest}).`;
}

/** The iterated attack's result: steps of 0.01 until the reading changed. */
export function iteratedText(header) {
  const { prediction, probabilities, steps, epsilon } = header.iterated;
  if (prediction === header.prediction) {
    return `Iterated steps of 0.01: still ${prediction} after ${steps} steps (ε = ${epsilon}).`;
  }
  return `Iterated steps of 0.01: LeNet reads ${prediction} (${percent(probabilities[prediction])}) after ` +
    `${steps} step${steps === 1 ? "" : "s"}, every pixel within ε = ${epsilon}.`;
}

/** The dream's objective from its first snapshot to its last, and what LeNet reads in it. */
export function dreamText(header) {
  const { objective, values, prediction, probabilities, steps } = header;
  const from = header.start === "blank" ? "blank paper" : "your drawing";
  return `${objective.label}: ${signed(values[0])} → ${signed(values.at(-1))} in ${steps.at(-1)} steps from ${from}; ` +
    `LeNet reads the dream as ${prediction} (${percent(probabilities[prediction])}).`;
}

const MODES = ["one-shot", "iterated"];

/**
 * A room teacher's panel settings, checked: {epsilon (a number or null), target (0..9 or null), mode, dream:
 * {objective, start (null when not offered), runs}}, or null when the state holds none. objectives and starts are
 * the values the page's pickers offer; the ε slider keeps a number within its own range and step.
 */
export function followedFaces(state, { objectives, starts }) {
  if (state === null || typeof state !== "object") return null;
  const dream = state.dream !== null && typeof state.dream === "object" ? state.dream : {};
  const offered = (value, values) => (values.includes(value) ? value : null);
  return {
    epsilon: Number.isFinite(state.epsilon) ? state.epsilon : null,
    target: digitOrNull(state.target),
    mode: MODES.includes(state.mode) ? state.mode : MODES[0],
    dream: {
      objective: offered(dream.objective, objectives),
      start: offered(dream.start, starts),
      runs: Number.isSafeInteger(dream.runs) && dream.runs >= 0 ? dream.runs : 0,
    },
  };
}
