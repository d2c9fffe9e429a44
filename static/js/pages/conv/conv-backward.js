// The backward direction without the DOM: what a step shows while the gradient flows back (through stage 2, then
// through each window of the convolution), and the sum behind a clicked cell of ∂l/∂x or ∂l/∂w. Descriptions as
// in conv-steps.js; every number is the plan's (dconv, dout, dx, dw and the windows' g·w and g·x terms).

import { at, mapOf } from "../../lib/arrays.js";
import { formatNumber as fmt } from "../../lib/format.js";
import { windowCells } from "./conv-plan.js";

const MAX_TERMS_SHOWN = 16;
const CONV_NOTE = "The window's cells of ∂l/∂x each receive g times the kernel weight that touched them (g·w), and the kernel's gradient ∂l/∂w receives g times the input under the window (g·x). Summed over all windows, ∂l/∂x is a full convolution of ∂l/∂y with the flipped kernel (stride and padding honoured) and ∂l/∂w is the input correlated with ∂l/∂y. Click a cell of ∂l/∂x or ∂l/∂w to see its sum.";

function sub(text) {
  return text ? `[${text.slice(0, -1)}]` : "";
}

function shorten(terms) {
  return terms.length > MAX_TERMS_SHOWN ? [...terms.slice(0, MAX_TERMS_SHOWN), `… (${terms.length} terms)`] : terms;
}

export function backwardStage2Step(plan, step, { phase }) {
  const { f, y, x } = step;
  const { st2, cells, maps, winner } = plan.stage2Window(step);
  const g = at(plan.arrays.dout.data, plan.arrays.dout.shape, f, y, x);
  const words = {
    max: winner ? `goes only to the window's winner (row ${winner[0]}, column ${winner[1]}), the cell that held the maximum; the other cells of the window get nothing from it.` : "",
    avg: `is shared equally by the ${st2.k * st2.k} cells of the window.`,
    conv: `is shared by every cell of the window in every map, each weighted by the mean's weight.`,
  }[st2.kind];
  return {
    marks: [
      { set: "stage2", index: f, name: "is-current", cells: [[y, x]] },
      ...maps.map((fi) => ({ set: "output", index: fi, name: "is-window", cells })),
      ...(winner ? [{ set: "output", index: f, name: "is-winner", cells: [winner] }] : []),
    ],
    products: null,
    sum: {
      phase,
      heading: `Backward through stage 2, cell row ${y}, column ${x}${st2.channels > 1 ? ` of map ${f}` : ""}`,
      lines: [],
      total: { text: "g = ∂l/∂z", value: g },
      note: `This gradient ${words} The conv output's gradient (∂l/∂y) adds up what every stage-2 window sends to each cell.`,
    },
    link: { from: { set: "stage2", index: f, cells: [[y, x]] }, to: { set: "output", index: maps[0], cells: winner ? [winner] : cells } },
    announce: `Gradient ${fmt(g)} from stage 2 row ${y}, column ${x} ${st2.kind === "max" && winner ? `goes to its winner at row ${winner[0]}, column ${winner[1]}` : "is spread over its window"}.`,
  };
}

export function backwardConvStep(plan, { f, y, x }, { phase, channels }) {
  const { header, arrays } = plan;
  const { rows, cols, k } = header.conv;
  const cells = windowCells(rows[y], cols[x]);
  const g = at(arrays.dconv.data, arrays.dconv.shape, f, y, x);
  const chunk = plan.chunkFor(y);
  const tap = (name, ci, t) => at(chunk.arrays[name].data, chunk.arrays[name].shape, f, ci, Math.floor(t / k), t % k, chunk.y, x);
  const taps = (name) => (ci) => ({ values: Array.from({ length: k * k }, (_, t) => tap(name, ci, t)), h: k, w: k });
  const ch = (ci) => (channels > 1 ? `, ch ${ci}` : "");
  return {
    marks: [{ set: "output", index: f, name: "is-current", cells: [[y, x]] }, { set: "input", name: "is-window", cells }],
    filter: f,
    products: chunk && [
      ...Array.from({ length: channels }, (_, ci) => ({ ...taps("dx_terms")(ci), caption: `g·w → ∂l/∂x${ch(ci)}` })),
      ...Array.from({ length: channels }, (_, ci) => ({ ...taps("dw_terms")(ci), caption: `g·x → ∂l/∂w${ch(ci)}` })),
    ],
    sum: {
      phase,
      heading: `Backward through window (row ${y}, column ${x})${header.conv.filters > 1 ? ` of filter ${f}` : ""}`,
      lines: [],
      total: { text: "g = ∂l/∂y", value: g, target: `from output row ${y}, column ${x}` },
      note: CONV_NOTE,
    },
    link: { from: { set: "output", index: f, cells: [[y, x]] }, to: { set: "input", index: 0, cells } },
    announce: `Gradient ${fmt(g)} from output row ${y}, column ${x} flows back into input rows ${rows[y][0]} to ${rows[y].at(-1)} and columns ${cols[x][0]} to ${cols[x].at(-1)}.`,
  };
}

/**
 * The sum behind a clicked cell: selection {kind: "dx", c, r, col} (a cell of ∂l/∂x) or {kind: "dw", f, c, i, j}
 * (a kernel tap of ∂l/∂w); n is the input's size. {marks, sum, announce}, or null for a padding cell.
 */
export function describeSelection(plan, selection, { n, channels }) {
  const { header, arrays } = plan;
  const { rows, cols, out, filters } = header.conv;
  if (selection.kind === "dx") {
    const { c, r, col } = selection;
    if (r < 0 || col < 0 || r >= n || col >= n) return null;
    const terms = [];
    const covering = [];
    for (let y = 0; y < out[0]; y++) {
      const i = rows[y].indexOf(r);
      if (i < 0) continue;
      for (let x = 0; x < out[1]; x++) {
        const j = cols[x].indexOf(col);
        if (j < 0) continue;
        const chunk = plan.chunkFor(y);
        for (let f = 0; f < filters; f++) {
          covering.push([f, y, x]);
          const value = chunk ? at(chunk.arrays.dx_terms.data, chunk.arrays.dx_terms.shape, f, c, i, j, chunk.y, x) : null;
          terms.push(`w${sub(filters > 1 ? `${f},` : "")}[${i}][${j}]·g[${y}][${x}] (${value === null ? "…" : fmt(value)})`);
        }
      }
    }
    const value = at(arrays.dx.data, arrays.dx.shape, c, r, col);
    return {
      marks: [
        { set: "input", index: c, name: "is-selected", cells: [[r, col]] },
        ...Array.from({ length: filters }, (_, f) => ({ set: "output", index: f, name: "is-field", cells: covering.filter(([ff]) => ff === f).map(([, y, x]) => [y, x]) })),
      ],
      sum: {
        heading: `∂l/∂x at row ${r}, column ${col}${channels > 1 ? `, channel ${c}` : ""}: ${covering.length} window${covering.length === 1 ? "" : "s"} covered it`,
        lines: [{ label: "", terms: shorten(terms) }],
        total: { text: "∂l/∂x", value },
        note: covering.length ? "Each term is the kernel weight that touched this cell times the gradient of that window's output cell." : "No window ever covered this cell, so no gradient reaches it.",
      },
      announce: `The gradient at input row ${r}, column ${col} is ${fmt(value)}, from ${covering.length} windows.`,
    };
  }
  const { f, c, i, j } = selection;
  const cells = [];
  const terms = [];
  for (let y = 0; y < out[0]; y++) {
    const chunk = plan.chunkFor(y);
    for (let x = 0; x < out[1]; x++) {
      cells.push([rows[y][i], cols[x][j]]);
      const value = chunk ? at(chunk.arrays.dw_terms.data, chunk.arrays.dw_terms.shape, f, c, i, j, chunk.y, x) : null;
      terms.push(`x[${rows[y][i]}][${cols[x][j]}]·g[${y}][${x}] (${value === null ? "…" : fmt(value)})`);
    }
  }
  const value = at(arrays.dw.data, arrays.dw.shape, f, c, i, j);
  return {
    marks: [
      { set: "kernel", index: f * channels + c, name: "is-selected", cells: [[i, j]] },
      { set: "input", index: c, name: "is-field", cells },
      { set: "output", index: f, name: "is-field", cells: windowCells([...Array(out[0]).keys()], [...Array(out[1]).keys()]) },
    ],
    sum: {
      heading: `∂l/∂w at tap row ${i}, column ${j}${filters > 1 ? ` of filter ${f}` : ""}: the input cells this weight multiplied, times the gradient of each window`,
      lines: [{ label: "", terms: shorten(terms) }],
      total: { text: "∂l/∂w", value },
    },
    announce: `The kernel gradient at tap row ${i}, column ${j} is ${fmt(value)}.`,
  };
}

/**
 * ∂l/∂x, ∂l/∂w and ∂l/∂b as far as the walkthrough has come at `step`: the running sums the plan sends with each
 * window (dx_running, dw_running, db_running), the windows taken in step order, so the gradients build up window by
 * window. Before the convolution's first window (stage 2's steps come first backward) they are all 0.
 * {dx: [C][H·W], dw: [F·C][K·K], db: [F]}; a window whose chunk is still on its way is left out.
 */
export function backwardSums(plan, step) {
  const { header, arrays } = plan;
  const { rows, cols, k, out, filters } = header.conv;
  const { channels, height, width } = header.input;
  const dx = Array.from({ length: channels }, () => new Float32Array(height * width));
  const dw = Array.from({ length: filters * channels }, () => new Float32Array(k * k));
  const db = new Float32Array(filters);
  if (step.stage !== 1) return { dx, dw, db };
  for (let f = 0; f <= step.f; f++) {
    const lastRow = f < step.f ? out[0] - 1 : step.y;
    for (let y = 0; y <= lastRow; y++) {
      const chunk = plan.chunkFor(y);
      if (!chunk) continue;
      const running = chunk.arrays.dx_running;
      const lastCol = f < step.f || y < step.y ? out[1] - 1 : step.x;
      for (let x = 0; x <= lastCol; x++) {
        for (let i = 0; i < k; i++) {
          const r = rows[y][i];
          if (r < 0 || r >= height) continue;
          for (let j = 0; j < k; j++) {
            const c = cols[x][j];
            if (c < 0 || c >= width) continue;
            for (let ci = 0; ci < channels; ci++) dx[ci][r * width + c] = at(running.data, running.shape, f, ci, i, j, chunk.y, x);
          }
        }
      }
    }
  }
  for (let f = 0; f < step.f; f++) {
    db[f] = arrays.db.data[f];
    for (let ci = 0; ci < channels; ci++) dw[f * channels + ci].set(mapOf(arrays.dw.data, arrays.dw.shape, f * channels + ci));
  }
  const chunk = plan.chunkFor(step.y);
  if (chunk) {
    const { dw_running: running, db_running: bias } = chunk.arrays;
    db[step.f] = at(bias.data, bias.shape, step.f, chunk.y, step.x);
    for (let ci = 0; ci < channels; ci++) {
      for (let t = 0; t < k * k; t++) dw[step.f * channels + ci][t] = at(running.data, running.shape, step.f, ci, Math.floor(t / k), t % k, chunk.y, step.x);
    }
  }
  return { dx, dw, db };
}
