// The walkthrough plan the server sent, without the DOM: its header and arrays, the conv_windows chunks merged in
// as they stream, the steps (step index ↔ stage, map and window), the windows' cells, and the output-size
// formula's blocks. Every number here is read from the plan, never computed from the input.

import { at } from "../../lib/arrays.js";

const STAGE2_TITLES = { max: "Max pooling", avg: "Average pooling", conv: "Second convolution" };

/** The cells [[row, col], …] of a window covering rows × cols. */
export function windowCells(rows, cols) {
  return rows.flatMap((r) => cols.map((c) => [r, c]));
}

function axes(terms, h, w) {
  if (h === w && terms.rows.size === terms.cols.size) return [{ label: "", n: h, terms: terms.rows }];
  return [{ label: `rows (n = ${h})`, n: h, terms: terms.rows }, { label: `columns (n = ${w})`, n: w, terms: terms.cols }];
}

export class Plan {
  /** header and arrays of a conv_plan frame (docs/protocol/conv.md). */
  constructor(header, arrays) {
    this.header = header;
    this.arrays = arrays;
    this.chunks = [];
  }

  /** Keep a conv_windows frame's rows; false (and nothing kept) when it belongs to another plan. */
  add(header, arrays) {
    if (header.plan !== this.header.plan) return false;
    this.chunks.push({ row0: header.row0, rows: header.rows, arrays });
    return true;
  }

  /** The per-window arrays of the chunk holding output row y, with that row's index inside it. */
  chunkFor(y) {
    const chunk = this.chunks.find((part) => y >= part.row0 && y < part.row0 + part.rows);
    return chunk ? { arrays: chunk.arrays, y: y - chunk.row0 } : null;
  }

  counts() {
    const [oh, ow] = this.header.conv.out;
    const st2 = this.header.stage2;
    return { one: this.header.conv.filters * oh * ow, two: st2 ? st2.channels * st2.out[0] * st2.out[1] : 0 };
  }

  stepCount() {
    const { one, two } = this.counts();
    return one + two;
  }

  /** Step i: {stage, f, y, x, index}; forward goes conv then stage 2, backward the other way round. */
  stepAt(i, backward) {
    const { one, two } = this.counts();
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
    const [oh, ow] = stage === 1 ? this.header.conv.out : this.header.stage2.out;
    const f = Math.floor(index / (oh * ow));
    const rest = index % (oh * ow);
    return { stage, f, y: Math.floor(rest / ow), x: rest % ow, index: i };
  }

  /** The step of output cell (f, y, x) of a stage (1: the convolution, 2: stage 2). */
  indexOf(stage, f, y, x, backward) {
    const { one, two } = this.counts();
    const [oh, ow] = stage === 1 ? this.header.conv.out : this.header.stage2.out;
    const local = f * oh * ow + y * ow + x;
    const stage2First = backward && two > 0;
    if (stage === 1) return stage2First ? two + local : local;
    return stage2First ? local : one + local;
  }

  /** The cells of each output and stage-2 map whose step comes after `step`. */
  pending(step, backward) {
    const [oh, ow] = this.header.conv.out;
    const later = (stage, f, h, w) => {
      const cells = [];
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (this.indexOf(stage, f, y, x, backward) > step) cells.push([y, x]);
      return cells;
    };
    const st2 = this.header.stage2;
    return {
      outputs: Array.from({ length: this.header.conv.filters }, (_, fi) => later(1, fi, oh, ow)),
      stage2: Array.from({ length: st2 ? st2.channels : 0 }, (_, ci) => later(2, ci, st2.out[0], st2.out[1])),
    };
  }

  /** Stage 2's window of a step: its cells in the conv output, the maps it reads, and max pooling's winner. */
  stage2Window(step) {
    const st2 = this.header.stage2;
    const cells = windowCells(st2.rows[step.y], st2.cols[step.x]);
    const maps = st2.mixes_channels ? Array.from({ length: this.header.conv.filters }, (_, fi) => fi) : [step.f];
    let winner = null;
    if (st2.kind === "max") {
      const tap = at(this.arrays.winners.data, this.arrays.winners.shape, step.f, step.y, step.x);
      winner = [st2.rows[step.y][Math.floor(tap / st2.k)], st2.cols[step.x][tap % st2.k]];
    }
    return { st2, cells, maps, winner };
  }

  /** The Formula view's blocks: the output size of each stage with the server's terms. */
  formulaStages() {
    const { conv, stage2, input } = this.header;
    const stages = [{
      title: "Convolution", ...conv, dilated: true,
      axes: axes(conv.terms, input.height, input.width),
      reason: conv.unreached.reason,
      field: `Each output cell sees a ${conv.field.size}×${conv.field.size} patch of the input; the patches of neighbouring cells start ${conv.field.jump} apart (the stride).`,
    }];
    if (stage2) {
      stages.push({
        title: `Stage 2: ${STAGE2_TITLES[stage2.kind]}`, ...stage2, d: 1, dilated: false,
        axes: axes(stage2.terms, conv.out[0], conv.out[1]),
        reason: stage2.unreached.reason,
        field: `Each stage-2 cell sees a ${stage2.field.size}×${stage2.field.size} patch of the input (neighbours ${stage2.field.jump} apart): its receptive field through both stages. Click a stage-2 cell to see it.`,
      });
    }
    return stages;
  }
}

/** The Formula view's data: the plan's stages, or the settings that cannot work and problem, the server's reason. */
export function formulaData(plan, problem, { n, k, s, p, d }) {
  if (problem) return { stages: [], impossible: { title: "These settings cannot work", n, k, s, p, d, message: problem } };
  return { stages: plan ? plan.formulaStages() : [], impossible: null };
}

/** ⌊(n + 2·p − k) / s⌋ + 1 = size with the numbers in (the dilated form when d > 1); size is the server's. */
function sizeFormula({ n, stride, size }, { k, p, d }) {
  const span = d > 1 ? `${d}·(${k} − 1) − 1` : `${k}`;
  return `⌊(${n} + 2·${p} − ${span}) / ${stride}⌋ + 1 = ${size}`;
}

/**
 * The settings and the output size on one line, for the stage's strip: "n 7, k 3, s 1, p 0: ⌊(7 + 2·0 − 3) / 1⌋
 * + 1 = 5", then stage 2's; the state's numbers when the settings cannot work (problem).
 */
export function summaryLine(plan, problem, { n, k, s, p, d }) {
  const dilation = (value) => (value > 1 ? `, d ${value}` : "");
  if (problem || !plan) return `n ${n}, k ${k}, s ${s}, p ${p}${dilation(d)}${problem ? ": no output, these settings cannot work" : ""}`;
  const { conv, input, stage2 } = plan.header;
  const square = input.height === input.width && conv.out[0] === conv.out[1];
  const size = square ? sizeFormula(conv.terms.rows, conv) : `${conv.out[0]}×${conv.out[1]}`;
  const maps = conv.filters > 1 ? ` (${conv.out[0]}×${conv.out[1]}×${conv.filters})` : "";
  const n0 = square ? `${input.height}` : `${input.height}×${input.width}`;
  let line = `n ${n0}, k ${conv.k}, s ${conv.s}, p ${conv.p}${dilation(conv.d)}: ${size}${maps}`;
  if (stage2) line += `; then ${STAGE2_TITLES[stage2.kind].toLowerCase()} ${stage2.k}×${stage2.k}, stride ${stage2.s}${stage2.p ? `, padding ${stage2.p}` : ""} → ${stage2.out[0]}×${stage2.out[1]}`;
  return line;
}
