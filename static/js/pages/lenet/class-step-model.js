// The class step as the /lenet page words and ranks it (DOM-free): a `class_step` event's step (the server's numbers,
// app/rooms/class_step.py result) becomes the summary sentence, the ranked strip of drawings by their share of the
// mean gradient, a student's own before/after, and each layer's movement. The page only draws these.

import { formatValue } from "../../lib/format.js";
import { misread } from "../../lib/gallery.js";

export const LAYERS = ["conv1", "conv2", "fc1", "fc2", "fc3"];
const percent = (p) => `${Math.round(100 * p)}%`;
const loss = (value) => formatValue(value, 3);

/**
 * The teacher's choice of batch as the ids to send: "tagged" sends none (the server takes every tagged drawing the
 * class may see), "misread" the drawings LeNet read otherwise than meant (gallery: submissions with tag, prediction).
 */
export function selection(gallery, which) {
  return which === "misread" ? gallery.filter(misread).map((submission) => submission.id) : null;
}

/** How many drawings got better (lower loss) and worse after the step. */
export function changes(step) {
  let better = 0;
  let worse = 0;
  for (const row of step.per_submission) {
    if (row.loss_after < row.loss_before) better += 1;
    else if (row.loss_after > row.loss_before) worse += 1;
  }
  return { better, worse };
}

/** "Class step 2 on 7 drawings (η = 0.05, one step on the mean gradient): mean loss 0.84 → 0.31; 6 better, 1 worse." */
export function summary(step) {
  const count = step.per_submission.length;
  const how = step.mode === "each" ? "a plain SGD step per drawing" : "one step on the mean gradient";
  const { better, worse } = changes(step);
  return `Class step ${step.step} on ${count} drawing${count === 1 ? "" : "s"} (η = ${formatValue(step.lr, 3)}, ${how}): ` +
    `mean loss ${loss(step.loss_before)} → ${loss(step.loss_after)}; ${better} got better, ${worse} worse.`;
}

/**
 * The strip: the drawings the server sent pixels for (the largest shares), largest first, each with its row's
 * numbers, its rank among all, whether it is this member's own (ids in `mine`), and its author (empty unless the
 * teacher shows names: the server leaves authors out then).
 */
export function ranked(step, mine = new Set()) {
  const rows = new Map(step.per_submission.map((row) => [row.id, row]));
  const order = [...step.per_submission].sort((a, b) => b.share - a.share).map((row) => row.id);
  return step.strip.map((tile) => {
    const row = rows.get(tile.id);
    return {
      id: tile.id,
      pixels: tile.pixels,
      share: row.share,
      label: row.label,
      lossBefore: row.loss_before,
      lossAfter: row.loss_after,
      gradNorm: row.grad_norm,
      layers: layerBars(tile.layer_norms ?? {}),
      rank: order.indexOf(tile.id) + 1,
      predictionBefore: row.prediction_before,
      author: row.author ?? "",
      mine: mine.has(tile.id),
      misread: row.prediction_before !== row.label,
    };
  });
}

/** A drawing's gradient norm per layer as bars: [{layer, norm, fraction of its largest layer}], conv1 … fc3. */
export function layerBars(norms) {
  const largest = Math.max(...LAYERS.map((layer) => norms[layer] ?? 0), 0);
  return LAYERS.map((layer) => ({ layer, norm: norms[layer] ?? 0, fraction: largest > 0 ? (norms[layer] ?? 0) / largest : 0 }));
}

/** The bars' sentence for a screen reader: "‖∂l/∂w‖ per layer: conv1 0.5, conv2 2.1, …". */
export function layerText(bars) {
  return `‖∂l/∂w‖ per layer: ${bars.map((bar) => `${bar.layer} ${formatValue(bar.norm, 2)}`).join(", ")}`;
}

/** A tile's caption: "#3: meant 3, read 8 · 71% of the step · loss 5.2 → 3.1 (better)". */
export function tileText(tile) {
  const who = tile.author ? ` ${tile.author}` : "";
  const read = tile.misread ? `, read ${tile.predictionBefore}` : "";
  const change = tile.lossAfter < tile.lossBefore ? " (better)" : tile.lossAfter > tile.lossBefore ? " (worse)" : "";
  return `#${tile.id}${who}: meant ${tile.label}${read} · ${percent(tile.share)} of the step · loss ` +
    `${loss(tile.lossBefore)} → ${loss(tile.lossAfter)}${change}`;
}

/** A student's own drawings in the step, one sentence each (empty when none of hers was in the batch). */
export function ownLines(step, mine) {
  const order = [...step.per_submission].sort((a, b) => b.share - a.share).map((row) => row.id);
  return step.per_submission.filter((row) => mine.has(row.id)).map((row) => {
    const rank = order.indexOf(row.id) + 1;
    const place = rank === 1 ? "the largest of the class" : `${ordinal(rank)} of ${order.length}`;
    return `Your drawing #${row.id} (you meant ${row.label}): LeNet read ${row.prediction_before} ` +
      `(p(${row.label}) = ${percent(row.p_before)}) before the step and ${row.prediction_after} ` +
      `(p(${row.label}) = ${percent(row.p_after)}) after; its share of the step was ${percent(row.share)}, ${place}.`;
  });
}

/** 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, 21st. */
export function ordinal(n) {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th");
  return `${n}${suffix}`;
}

/** Each layer's movement ‖Δw‖, relative ‖Δw‖/‖w‖, and its bar's length as a fraction of the largest relative move. */
export function moves(step) {
  const largest = Math.max(...LAYERS.map((layer) => step.moved[layer].relative), 0);
  return LAYERS.map((layer) => {
    const { norm, relative } = step.moved[layer];
    return { layer, norm, relative, fraction: largest > 0 ? relative / largest : 0,
      text: `${layer}: ‖Δw‖ = ${formatValue(norm, 3)} (${formatValue(100 * relative, 2)}% of ‖w‖)` };
  });
}

/** conv1's kernels as rows to paint: before and after on one symmetric scale, Δ on its own (it is much smaller). */
export function kernelRows(conv1) {
  const flat = (kernels) => kernels.map((kernel) => kernel.flat());
  const largest = (rows) => Math.max(...rows.flat().map(Math.abs)) || 1;
  const before = flat(conv1.before);
  const after = flat(conv1.after);
  const delta = flat(conv1.delta);
  const weights = Math.max(largest(before), largest(after));
  return [
    { name: "before", kernels: before, bounds: [-weights, weights] },
    { name: "Δ", kernels: delta, bounds: [-largest(delta), largest(delta)] },
    { name: "after", kernels: after, bounds: [-weights, weights] },
  ];
}
