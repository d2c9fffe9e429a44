// The unit the student points at on /lenet, without the DOM: the windows it reads in every earlier stage (from the
// server's receptive fields), the chain of stages its connections are drawn through, what the details panel says
// and shows about it, and the arrow-key moves between units while zoomed into one. Every number is read from the
// server's frames (docs/protocol/lenet.md): `model` is the model frame {header: {stages, fields}, arrays: the
// weights}, `answer` the last prediction frame {header, arrays} (or null). A unit is {stage, channel, row, col}
// (a dense unit is row `index` of channel 0, column 0).

const UNIT_KEYS = ["stage", "channel", "row", "col"];
const MOVES = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

/** Whether two units are the same unit (false when either is missing). */
export function sameUnit(a, b) {
  return Boolean(a && b) && UNIT_KEYS.every((key) => a[key] === b[key]);
}

function stageIndex(model, name) {
  return model.header.stages.findIndex((stage) => stage.name === name);
}

/** [channels, height, width] of a stage; a dense stage of n values is one column of n rows. */
function dims(stage) {
  return stage.shape.length === 3 ? stage.shape : [1, stage.shape[0], 1];
}

/** Rows (or columns) of `earlier` read by unit u of a later stage: field.span(u) of the engine, clipped. */
export function span(field, u, size) {
  const first = field.start + u * field.jump;
  return { whole: [first, first + field.size - 1], clipped: [Math.max(0, first), Math.min(size - 1, first + field.size - 1)] };
}

/**
 * The window `unit` reads in each earlier stage: {stage: {channels: "all" | number, rows: [r0, r1], cols: [c0, c1]}},
 * inclusive bounds clipped to the stage.
 */
export function regionsFor(model, unit) {
  const stages = model.header.stages;
  const index = stageIndex(model, unit.stage);
  const stage = stages[index];
  const regions = {};
  if (stage.kind === "dense") {
    // A dense unit reads every value of the stage before it, and so everything the last spatial stage's
    // units read: the union of their fields.
    const lastSpatial = stages.slice(0, index).filter((s) => s.shape.length === 3).at(-1);
    const [, h, w] = lastSpatial.shape;
    for (const earlier of stages.slice(0, index)) {
      const [, eh, ew] = dims(earlier);
      const field = model.header.fields[lastSpatial.name]?.[earlier.name];
      const rows = field ? [span(field, 0, eh).clipped[0], span(field, h - 1, eh).clipped[1]] : [0, eh - 1];
      const cols = field ? [span(field, 0, ew).clipped[0], span(field, w - 1, ew).clipped[1]] : [0, ew - 1];
      regions[earlier.name] = { channels: "all", rows, cols };
    }
    return regions;
  }
  for (const [name, field] of Object.entries(model.header.fields[unit.stage] ?? {})) {
    const [, h, w] = dims(stages[stageIndex(model, name)]);
    regions[name] = {
      channels: field.channels === "same" ? unit.channel : "all",
      rows: span(field, unit.row, h).clipped,
      cols: span(field, unit.col, w).clipped,
    };
  }
  return regions;
}

/**
 * What the page marks for a selected unit: `regions` (regionsFor), `chain` the stage names from the unit's own back
 * to the input, each with a window drawn, and `onInput` [r0, r1, c0, c1] the box on the input figures (or null).
 */
export function selectionMarks(model, unit) {
  const regions = regionsFor(model, unit);
  const earlier = model.header.stages.slice(0, stageIndex(model, unit.stage)).filter((stage) => regions[stage.name]);
  const onInput = unit.stage === "input"
    ? [unit.row, unit.row, unit.col, unit.col]
    : regions.input && [...regions.input.rows, ...regions.input.cols];
  return { regions, chain: [unit.stage, ...earlier.reverse().map((stage) => stage.name)], onInput: onInput ?? null };
}

function stageValues(answer, stageName, gradients = false) {
  return answer && !answer.header.empty ? answer.arrays[gradients ? `grad.${stageName}` : stageName]?.data : undefined;
}

/**
 * The details panel's contents for a unit (views/unit-details.js): {heading, facts: [[term, text]],
 * field: {size, inside}, groups: [{title, caption, signed, maps: [{label, values, rows, cols, padding?, mark?}]}]}.
 */
export function describeUnit(model, answer, unit) {
  const stages = model.header.stages;
  const index = stageIndex(model, unit.stage);
  const stage = stages[index];
  const [, h, w] = dims(stage);
  const at = (unit.channel * h + unit.row) * w + unit.col;
  const dense = stage.kind === "dense";
  const map = dims(stage)[0] > 1 ? ` · map ${unit.channel}` : "";
  const heading = dense
    ? `${stage.name} · unit ${unit.row}${stage.name === "fc3" ? ` (the score of digit ${unit.row})` : ""}`
    : `${stage.name}${map} · row ${unit.row}, column ${unit.col}`;
  const facts = [];
  const value = stageValues(answer, stage.name)?.[at];
  facts.push(["value", value === undefined ? "draw a digit first" : value.toPrecision(4)]);
  const gradient = stageValues(answer, stage.name, true)?.[at];
  if (gradient !== undefined) facts.push([`∂ score of ${answer.header.explain.target} / ∂ value`, gradient.toPrecision(3)]);
  const field = fieldText(model, unit, stage);
  facts.push(["receptive field", field.text]);
  const groups = [];
  if (index > 0) {
    const previous = stages[index - 1];
    facts.push(["reads", readsText(stage, previous)]);
    groups.push(...(dense ? denseGroups(model, answer, unit, stage, previous) : windowGroups(model, answer, unit, stage, previous)));
  }
  return { heading, facts, field: field.sizes, groups };
}

/** The details in one sentence, for the screen readers' live region. */
export function statusText(detail) {
  return detail ? `${detail.heading}. ${detail.facts.map((f) => f.join(": ")).join(". ")}` : "";
}

function fieldText(model, unit, stage) {
  if (stage.kind === "input") return { text: "1×1: it is a pixel of the input", sizes: { size: [1, 1], inside: [1, 1] } };
  const field = model.header.fields[stage.name]?.input;
  if (!field) return { text: "all 28×28 input pixels (a dense layer reads everything before it)", sizes: { size: [28, 28], inside: [28, 28] } };
  const rows = span(field, unit.row, 28);
  const cols = span(field, unit.col, 28);
  const inside = [rows.clipped[1] - rows.clipped[0] + 1, cols.clipped[1] - cols.clipped[0] + 1];
  let text = `${field.size}×${field.size} input pixels (rows ${rows.clipped[0]}–${rows.clipped[1]}, ` +
    `columns ${cols.clipped[0]}–${cols.clipped[1]})`;
  if (inside[0] !== field.size || inside[1] !== field.size) {
    text += `; ${inside[0]}×${inside[1]} of them inside the image, the rest zero padding`;
  }
  return { text, sizes: { size: [field.size, field.size], inside } };
}

function readsText(stage, previous) {
  const g = stage.geometry;
  const [c] = dims(previous);
  if (stage.kind === "conv") return `a ${g.k}×${g.k} window of ${c === 1 ? "the" : `all ${c}`} ${previous.name} map${c === 1 ? "" : "s"} (stride ${g.s}, padding ${g.p})`;
  if (stage.kind === "pool") return `a ${g.k}×${g.k} window of its own ${previous.name} map (stride ${g.s}), keeping the largest value`;
  return `all ${previous.shape.reduce((a, b) => a * b, 1)} values of ${previous.name}`;
}

function windowGroups(model, answer, unit, stage, previous) {
  const field = model.header.fields[stage.name][previous.name];
  const [channels, h, w] = dims(previous);
  const rows = span(field, unit.row, h).whole;
  const cols = span(field, unit.col, w).whole;
  const data = stageValues(answer, previous.name);
  const picked = field.channels === "same" ? [unit.channel] : [...Array(channels).keys()];
  const maps = picked.map((channel) => {
    const size = field.size;
    const cells = new Float32Array(size * size);
    const padding = new Uint8Array(size * size);
    let mark;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const row = rows[0] + r;
        const col = cols[0] + c;
        const inside = row >= 0 && row < h && col >= 0 && col < w;
        padding[r * size + c] = inside ? 0 : 1;
        cells[r * size + c] = inside && data ? data[(channel * h + row) * w + col] : 0;
      }
    }
    if (stage.kind === "pool" && data) {
      const own = stageValues(answer, stage.name)[(unit.channel * dims(stage)[1] + unit.row) * dims(stage)[2] + unit.col];
      mark = cells.findIndex((v) => v === own);
    }
    return { label: `${previous.name} map ${channel}`, values: cells, rows: size, cols: size, padding, mark };
  });
  const windowGroup = {
    title: `Under its window: ${field.size}×${field.size} of ${picked.length === 1 ? `${previous.name} map ${picked[0]}` : `all ${channels} ${previous.name} maps`}`,
    caption: stage.kind === "pool"
      ? "Max pooling has no weights: it passes on the largest value of its window (marked)."
      : "The values the kernel multiplies, weight by weight, then adds up with the bias; outside the map is zero padding (pad).",
    signed: false,
    maps,
  };
  if (stage.kind !== "conv") return [windowGroup];
  const weights = model.arrays[`${stage.name}.w`];
  const [, kc, kh, kw] = weights.shape;
  const kernelSize = kc * kh * kw;
  const kernel = weights.data.subarray(unit.channel * kernelSize, (unit.channel + 1) * kernelSize);
  const bias = model.arrays[`${stage.name}.b`].data[unit.channel];
  const kernelGroup = {
    title: `Kernel of map ${unit.channel}: ${kc}×${kh}×${kw} weights, bias ${bias.toPrecision(3)}`,
    caption: "The same weights for every unit of this map: that is what makes it a convolution.",
    signed: true,
    maps: [...Array(kc).keys()].map((c) => ({
      label: kc > 1 ? `for ${previous.name} map ${c}` : "",
      values: kernel.subarray(c * kh * kw, (c + 1) * kh * kw),
      rows: kh,
      cols: kw,
    })),
  };
  return [kernelGroup, windowGroup];
}

/** Rows × columns to lay out a vector of n values (12 to a row when that divides it). */
function vectorGrid(n) {
  return n % 12 === 0 ? [n / 12, 12] : [1, n];
}

function denseGroups(model, answer, unit, stage, previous) {
  const weights = model.arrays[`${stage.name}.w`];
  const inputs = weights.shape[1];
  const row = weights.data.subarray(unit.row * inputs, (unit.row + 1) * inputs);
  const bias = model.arrays[`${stage.name}.b`].data[unit.row];
  const data = stageValues(answer, previous.name) ?? new Float32Array(inputs);
  const layout = (array, label) => {
    if (previous.shape.length === 3) {
      const [c, h, w] = previous.shape;
      return [...Array(c).keys()].map((k) => ({ label: `${label} ${k}`, values: array.subarray(k * h * w, (k + 1) * h * w), rows: h, cols: w }));
    }
    const [rows, cols] = vectorGrid(inputs);
    return [{ label: "", values: array, rows, cols }];
  };
  return [
    {
      title: `Its ${inputs} weights (one per ${previous.name} value), bias ${bias.toPrecision(3)}`,
      caption: "Sent as 8-bit codes with a range per unit, so each is within 0.2% of that range.",
      signed: true,
      maps: layout(row, "for map"),
    },
    {
      title: `What it reads: all of ${previous.name}`,
      caption: "Multiplied by the weights above, summed, plus the bias" + (stage.signed ? "." : ", then ReLU."),
      signed: previous.signed,
      maps: layout(data, `${previous.name} map`),
    },
  ];
}

/** The `unit` of a draw request while zoomed into a conv unit (null when not zoomed, or zoomed into the input). */
export function zoomRequest(zoomed) {
  if (!zoomed || zoomed.stage === "input") return null;
  return { stage: zoomed.stage, channel: zoomed.channel, row: zoomed.row, col: zoomed.col };
}

/**
 * While zoomed into a conv unit, an arrow key moves to its neighbour in the same map, stopping at the map's edges:
 * the moved unit, or null when the key is not an arrow or the unit is already at that edge.
 */
export function stepUnit(model, unit, key) {
  const move = MOVES[key];
  if (!move) return null;
  const [, height, width] = dims(model.header.stages[stageIndex(model, unit.stage)]);
  const row = Math.max(0, Math.min(height - 1, unit.row + move[0]));
  const col = Math.max(0, Math.min(width - 1, unit.col + move[1]));
  if (row === unit.row && col === unit.col) return null;
  return { ...unit, row, col };
}
