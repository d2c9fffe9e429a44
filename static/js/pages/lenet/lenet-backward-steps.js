// The Backward mode of /lenet without the DOM: the order δ flows in, what each step's sentence says (from the
// numbers of the server's `backward` frame, docs/protocol/lenet.md), where a drilled weight's window sits at each
// term, how the running sum is played, and a room's backward state checked before a following tab applies it.

import { formatValue } from "../../lib/format.js";
import { digitOrNull } from "./digits.js";

export const BACKWARD_STAGES = Object.freeze(["fc3", "fc2", "fc1", "pool2", "conv2", "pool1", "conv1", "input"]);
export const PARAMETERS = Object.freeze(["conv1.w", "conv1.b", "conv2.w", "conv2.b", "fc1.w", "fc1.b", "fc2.w", "fc2.b", "fc3.w", "fc3.b"]);
export const PLAY_MS = 2400; // a drill's running sum plays in about this long, however many windows it has

/** The stage after `stage` in the order δ flows (the last stays the last). */
export function nextStage(stage) {
  const index = BACKWARD_STAGES.indexOf(stage);
  return BACKWARD_STAGES[Math.min(BACKWARD_STAGES.length - 1, index + 1)];
}

/** The stage before `stage` (the first stays the first). */
export function previousStage(stage) {
  return BACKWARD_STAGES[Math.max(0, BACKWARD_STAGES.indexOf(stage) - 1)];
}

const count = (n) => n.toLocaleString("en-US");

/**
 * The step's title and sentences, from header.step and the frame's numbers. Nothing is computed here that the
 * server did not count; the sentences only say what each kind of layer does with them.
 */
export function stepText(header) {
  const { step, label, loss } = header;
  if (step.stage === "fc3") {
    return {
      title: "fc3: the loss and its gradient at the scores",
      lines: [
        `l = −log p(${label}) = ${formatValue(loss)}.`,
        `∂l/∂scores = p − onehot(${label}): each score gets its probability, the meant ${label} its probability − 1.`,
      ],
    };
  }
  const through = step.through.stage;
  const kind = step.through.kind;
  const lines = [];
  let title;
  if (kind === "dense") {
    title = `${step.stage} ← ${through}: δ_in = Wᵀ δ_out`;
    lines.push(`Each of the ${count(sizeOf(step.shape))} values of ${step.stage} sums its weights into ${through} times their δ.`);
  } else if (kind === "pool") {
    const { windows, cells, window } = step.routing;
    title = `${step.stage} ← ${through}: max pooling routes δ to the winners`;
    lines.push(`Each of ${count(windows)} windows sends its δ to its winner (1 cell of ${window}); the other ${count(cells - windows)} cells get 0.`);
  } else {
    title = `${step.stage} ← ${through}: kernels stamped back`;
    lines.push(`Each δ cell of ${through} stamps kernel × δ back on its window: a full convolution with flipped kernels.`);
  }
  if (step.gradients.length) {
    const [w, b] = step.gradients;
    const rule = kind === "conv" ? "input ⋆ δ" : "δ_out · inputᵀ";
    lines.push(`∂l/∂${w.parameter} (${w.shape.join("×")}) = ${rule}, ‖·‖ = ${formatValue(w.norm, 3)}; ∂l/∂${b.parameter} = Σ δ_out.`);
  }
  if (step.relu) {
    const { units, active, passing } = step.relu;
    lines.push(`ReLU: δ passes only where the unit was active (${count(active)} of ${count(units)}); ${count(passing)} carry δ on.`);
  }
  return { title, lines };
}

function sizeOf(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Where term t of a drill sits: the output cell (y, x) of the map it feeds and, for a conv weight, the cell
 * (row, col) of the map it reads (outside the map: padding) and the window's top-left corner.
 */
export function termPlace(drill, t) {
  if (drill.kind !== "conv") return { y: 0, x: t, row: null, col: null, top: null, left: null };
  const { out: [, width], stride, padding, tap: [i, j] } = drill.layout;
  const y = Math.floor(t / width);
  const x = t % width;
  const top = stride * y - padding;
  const left = stride * x - padding;
  return { y, x, top, left, row: top + i, col: left + j };
}

/** How many terms each animation frame adds so that `terms` play in about PLAY_MS at `frameMs` a frame. */
export function termsPerFrame(terms, frameMs = 1000 / 60) {
  return Math.max(1, Math.ceil(terms / (PLAY_MS / frameMs)));
}

/** The map of a stage's δ with the largest |δ| (the one the step's details show): its index. */
export function liveliestMap(data, channels) {
  const size = data.length / channels;
  let best = 0;
  let largest = -1;
  for (let c = 0; c < channels; c++) {
    for (let k = c * size; k < (c + 1) * size; k++) {
      if (Math.abs(data[k]) > largest) {
        largest = Math.abs(data[k]);
        best = c;
      }
    }
  }
  return best;
}

/** The multiply-add table: per layer forward and backward, with the totals and their ratio. */
export function workTable(work) {
  const rows = work.map((w) => ({
    layer: w.layer,
    forward: w.forward,
    backward: w.backward_weights + w.backward_input,
  }));
  const forward = rows.reduce((sum, row) => sum + row.forward, 0);
  const backward = rows.reduce((sum, row) => sum + row.backward, 0);
  return { rows, forward, backward, ratio: backward / forward };
}

/** Whether value is a weight reference {parameter, index} the server could read (a room's state is untrusted). */
export function isWeight(value) {
  return value !== null && typeof value === "object" && PARAMETERS.includes(value.parameter) &&
    Array.isArray(value.index) && value.index.length >= 1 && value.index.length <= 4 &&
    value.index.every((i) => Number.isInteger(i) && i >= 0 && i < 1000);
}

/** A room's backward state, checked: {on, label, stage, weight}, or null when it holds none or nonsense. */
export function followed(state) {
  if (state === null || typeof state !== "object" || state.on !== true) return null;
  const label = digitOrNull(state.label);
  const stage = BACKWARD_STAGES.includes(state.stage) ? state.stage : "fc3";
  return { on: true, label, stage, weight: isWeight(state.weight) ? { parameter: state.weight.parameter, index: [...state.weight.index] } : null };
}
