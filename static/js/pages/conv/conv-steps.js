// What one step of the walkthrough shows, without the DOM: the cells each grid marks, the small grids of the
// window's products, the sum in words and numbers, the ends of the arrow and the sentence read out. The numbers
// are the plan's (and the settings' own input and kernel values); nothing is multiplied or summed here. The
// backward direction's steps are in conv-backward.js.
//
// A step's description: {marks: [{set, index, name, cells}], filter, products, sum, link: {from, to}, announce}.
// set is "input" | "kernel" | "output" | "stage2"; without index a mark goes on every grid of the set; filter is
// the kernel drawn as current; from and to are {set, index, cells}.

import { at } from "../../lib/arrays.js";
import { formatNumber as fmt } from "../../lib/format.js";
import { backwardConvStep, backwardStage2Step } from "./conv-backward.js";
import { windowCells } from "./conv-plan.js";

/**
 * step = plan.stepAt(…); data = the settings' input, kernels and bias; channels = the input's channel count;
 * asking: a question is open in the room, so the step's own result stays hidden (forward: its output cell is
 * pending too, and the sentence asks instead of telling).
 */
export function describeStep(plan, data, step, { phase, backward, channels, asking = false }) {
  const pending = plan.pending(asking && !backward ? step.index - 1 : step.index, backward);
  const shown = backward
    ? (step.stage === 1 ? backwardConvStep : backwardStage2Step)(plan, step, { phase, channels })
    : (step.stage === 1 ? forwardConvStep : forwardStage2Step)(plan, data, step, { phase, channels });
  shown.marks.unshift(
    ...pending.outputs.map((cells, index) => ({ set: "output", index, name: "is-pending", cells })),
    ...pending.stage2.map((cells, index) => ({ set: "stage2", index, name: "is-pending", cells })),
  );
  if (asking && !backward) {
    const where = step.stage === 1 ? "output" : "stage 2";
    shown.announce = `${shown.announce.split(":")[0]}: what number lands in ${where} row ${step.y}, column ${step.x}?`;
  }
  return shown;
}

/** The heading over the small grids of products, for the step shown. */
export function productsHeading(plan, step, backward) {
  if (backward) return "This window's contributions";
  return plan?.header.stage2 && step?.stage === 2 ? "The window's values" : "Products x·w";
}

function forwardConvStep(plan, data, { f, y, x }, { phase, channels }) {
  const { header, arrays } = plan;
  const { rows, cols, k } = header.conv;
  const cells = windowCells(rows[y], cols[x]);
  const chunk = plan.chunkFor(y);
  const products = chunk ? chunk.arrays.products : null;
  const inputValue = (ci, r, c) => data.input[ci]?.[r]?.[c] ?? 0; // padding cells hold 0
  const lines = Array.from({ length: channels }, (_, ci) => ({
    label: channels > 1 ? `channel ${ci}` : "",
    terms: cells.map(([r, c], t) => `${fmt(inputValue(ci, r, c))}·${fmt(data.kernels[f][ci][Math.floor(t / k)][t % k])}`),
    result: chunk ? at(chunk.arrays.channel_sums.data, chunk.arrays.channel_sums.shape, f, ci, chunk.y, x) : null,
  }));
  const out = at(arrays.output.data, arrays.output.shape, f, y, x);
  const filters = header.conv.filters;
  return {
    marks: [{ set: "input", name: "is-window", cells }, { set: "output", index: f, name: "is-current", cells: [[y, x]] }],
    filter: f,
    products: products && Array.from({ length: channels }, (_, ci) => ({
      values: Array.from({ length: k * k }, (_, t) => at(products.data, products.shape, f, ci, Math.floor(t / k), t % k, chunk.y, x)),
      h: k, w: k, caption: channels > 1 ? `x·w, ch ${ci}` : "x·w",
    })),
    sum: {
      phase,
      heading: `Window ${y * header.conv.out[1] + x + 1} of ${header.conv.out[0] * header.conv.out[1]}${filters > 1 ? `, filter ${f}` : ""}: the products of the covered cells and the kernel, summed`,
      lines,
      total: { text: `Σ${channels > 1 ? " over channels" : ""} + b (${fmt(data.bias[f])})`, value: out, target: `output${filters > 1 ? ` map ${f}` : ""}, row ${y}, column ${x}` },
    },
    link: { from: { set: "input", index: 0, cells }, to: { set: "output", index: f, cells: [[y, x]] } },
    announce: `Window over input rows ${rows[y][0]} to ${rows[y].at(-1)} and columns ${cols[x][0]} to ${cols[x].at(-1)}${filters > 1 ? ` with filter ${f}` : ""}: the sum ${fmt(out)} goes to output row ${y}, column ${x}.`,
  };
}

function forwardStage2Step(plan, data, step, { phase }) {
  const { f, y, x } = step;
  const { st2, cells, maps, winner } = plan.stage2Window(step);
  const { conv } = plan.header;
  const span = { rows: st2.spans.rows[y], cols: st2.spans.cols[x] };
  const field = [];
  for (let r = span.rows[0]; r <= span.rows[1]; r++) for (let c = span.cols[0]; c <= span.cols[1]; c++) field.push([r, c]);
  const terms = plan.arrays.stage2_terms;
  const k2 = st2.k;
  const windowValues = (fi) => Array.from({ length: k2 * k2 }, (_, t) => at(terms.data, terms.shape, fi, Math.floor(t / k2), t % k2, y, x));
  const value = at(plan.arrays.stage2_output.data, plan.arrays.stage2_output.shape, f, y, x);
  const shown = (v) => (v === -Infinity ? "pad" : fmt(v));
  const list = windowValues(f).map(shown);
  const text = {
    max: `max(${list.join(", ")})`,
    avg: `(${list.join(" + ")}) / ${k2 * k2}`,
    conv: `Σ over ${maps.length > 1 ? `${maps.length} maps × ` : ""}${k2 * k2} cells of y·w`,
  }[st2.kind];
  return {
    marks: [
      ...maps.map((fi) => ({ set: "output", index: fi, name: "is-window", cells })),
      ...(winner ? [{ set: "output", index: f, name: "is-winner", cells: [winner] }] : []),
      { set: "stage2", index: f, name: "is-current", cells: [[y, x]] },
      { set: "input", name: "is-field", cells: field },
    ],
    products: maps.map((fi) => ({ values: windowValues(fi), h: k2, w: k2, caption: st2.kind === "conv" ? `y·w, map ${fi}` : `window of map ${fi}` })),
    sum: {
      phase,
      heading: `Stage 2 window over conv-output rows ${st2.rows[y][0]}–${st2.rows[y].at(-1)}, columns ${st2.cols[x][0]}–${st2.cols[x].at(-1)}`,
      lines: [],
      total: { text, value, target: `stage 2${st2.channels > 1 ? ` map ${f}` : ""}, row ${y}, column ${x}` },
      note: `${winner ? `The winner is at row ${winner[0]}, column ${winner[1]}. ` : ""}Its receptive field in the input: rows ${span.rows[0]}–${span.rows[1]}, columns ${span.cols[0]}–${span.cols[1]} (${conv.k}×${conv.k} windows, stride ${conv.s}, under a ${k2}×${k2} window, stride ${st2.s}).`,
    },
    link: { from: { set: "output", index: maps[0], cells }, to: { set: "stage2", index: f, cells: [[y, x]] } },
    announce: `Stage 2 window over rows ${st2.rows[y][0]} to ${st2.rows[y].at(-1)}: ${fmt(value)} goes to stage 2 row ${y}, column ${x}; its receptive field covers input rows ${span.rows[0]} to ${span.rows[1]} and columns ${span.cols[0]} to ${span.cols[1]}.`,
  };
}
