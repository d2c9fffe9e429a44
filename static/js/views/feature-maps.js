// The layer strip: every stage of LeNet-5, left to right as the data flows (input → conv1 → pool1 → conv2 →
// pool2 → fc1 → fc2 → fc3). Spatial stages show one heatmap per feature map, dense stages one pixel per unit in
// a tall strip. Hovering, tapping or moving with the keyboard selects a unit (reported through onSelect); a click
// or Enter on a conv unit (or the input) opens it (onOpen: the page zooms into it). highlight() draws the windows
// the selected unit reads in earlier stages. Every value comes from the server.

import { cellAt, paintHeatmap } from "../lib/canvas.js";
import { formatNumber, formatValue } from "../lib/format.js";
import { paintOverlay } from "./heatmap-figure.js";

const GRID_COLUMNS = { 6: 2, 16: 2 }; // 6 maps sit in 2 columns of 3, 16 in 2 columns of 8

function spatial(stage) {
  return stage.shape.length === 3;
}

/** [channels, height, width] of a stage; a dense stage is one map of M rows and 1 column. */
function dims(stage) {
  return spatial(stage) ? stage.shape : [1, stage.shape[0], 1];
}

function shapeText(stage) {
  const [c, h, w] = stage.shape;
  return spatial(stage) ? `${c} @ ${h}×${w}` : `${stage.shape[0]} units`;
}

function short(value) {
  return value !== 0 && Math.abs(value) < 0.01 ? formatValue(value, 2) : formatNumber(Number(value.toPrecision(3)));
}

export class FeatureMaps {
  /**
   * el: an empty container. options: stages (the model frame's list), scales {sequential, diverging} (LUTs),
   * onSelect(unit) with unit {stage, channel, row, col} (a dense unit is row `index` of channel 0, column 0),
   * onOpen(unit) for a unit of a conv stage or of the input clicked or given Enter.
   */
  constructor(el, { stages, scales, onSelect, onOpen = () => {} }) {
    this.el = el;
    this.stages = stages;
    this.scales = scales;
    this.onSelect = onSelect;
    this.onOpen = onOpen;
    this.selected = null;
    this.columns = new Map();
    el.classList.add("feature-maps");
    for (const stage of stages) this.columns.set(stage.name, this.buildColumn(stage));
    this.listeners = {
      pointermove: (event) => event.pointerType !== "touch" && this.pick(event),
      pointerdown: (event) => this.pick(event),
      click: (event) => {
        if (!event.target.closest?.(".fm-map")) return;
        this.pick(event);
        this.open(event.target.closest(".fm-column"));
      },
      keydown: (event) => this.key(event),
    };
    for (const [name, listener] of Object.entries(this.listeners)) el.addEventListener(name, listener);
  }

  buildColumn(stage) {
    const [channels, height, width] = dims(stage);
    const column = document.createElement("section");
    column.className = "fm-column";
    column.dataset.stage = stage.name;
    column.dataset.kind = stage.kind;
    column.tabIndex = 0;
    column.setAttribute("role", "group");
    const unitWord = spatial(stage) ? "a unit; Page Up and Page Down choose the map" : "a unit";
    const open = { conv: " Enter zooms into its computation.", input: " Enter shows it large." }[stage.kind] ?? "";
    column.setAttribute("aria-label", `${stage.name}, ${shapeText(stage)}: ${stage.caption}. Arrow keys choose ${unitWord}.${open}`);
    const title = document.createElement("h3");
    title.className = "fm-title";
    title.textContent = stage.name;
    const shape = document.createElement("p");
    shape.className = "fm-shape number";
    shape.textContent = shapeText(stage);
    const maps = document.createElement("div");
    maps.className = "fm-maps";
    maps.style.setProperty("--columns", String(GRID_COLUMNS[channels] ?? 1));
    if (!spatial(stage)) maps.style.setProperty("--units", String(height));
    const cells = [];
    for (let channel = 0; channel < channels; channel++) {
      const cell = document.createElement("div");
      cell.className = "fm-map";
      cell.dataset.channel = String(channel);
      const canvas = document.createElement("canvas");
      canvas.className = "heatmap";
      canvas.width = width;
      canvas.height = height;
      canvas.dataset.testid = `map-${stage.name}-${channel}`;
      canvas.setAttribute("aria-hidden", "true");
      const field = document.createElement("div");
      field.className = "rf-box";
      field.hidden = true;
      const unit = document.createElement("div");
      unit.className = "unit-box";
      unit.hidden = true;
      cell.append(canvas, field, unit);
      maps.append(cell);
      cells.push({ cell, canvas, field, unit });
    }
    if (stage.name === "fc3") maps.append(this.digitLabels(height));
    const range = document.createElement("p");
    range.className = "fm-range number";
    const caption = document.createElement("p");
    caption.className = "fm-caption";
    caption.textContent = stage.caption;
    column.append(title, shape, maps, range, caption);
    this.el.append(column);
    return { stage, column, cells, range, dims: [channels, height, width] };
  }

  digitLabels(count) {
    const labels = document.createElement("ol");
    labels.className = "fm-labels";
    labels.setAttribute("aria-hidden", "true");
    for (let digit = 0; digit < count; digit++) {
      labels.append(Object.assign(document.createElement("li"), { textContent: String(digit) }));
    }
    return labels;
  }

  /**
   * data: {values: {stage: Float32Array} (null: blank every map), gradients: bool, base: the input's ink}.
   * Activations use the sequential scale from 0 (the diverging one for signed stages); gradients the diverging
   * scale, symmetric about 0, the input's (the saliency) laid over the input itself. One range per stage, so its
   * maps compare with each other.
   */
  update({ values, gradients = false, base = null }) {
    this.el.dataset.mode = gradients ? "gradients" : "activations";
    for (const { stage, cells, range, dims: [, height, width] } of this.columns.values()) {
      const data = values?.[stage.name];
      if (!data) {
        for (const { canvas } of cells) canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
        range.textContent = "";
        continue;
      }
      const bounds = this.bounds(stage, data, gradients);
      const scale = gradients || stage.signed ? this.scales.diverging : this.scales.sequential;
      const size = height * width;
      cells.forEach(({ canvas }, channel) => {
        const map = data.subarray(channel * size, (channel + 1) * size);
        if (gradients && base && stage.name === "input") paintOverlay(canvas, base, map, width, height, scale, bounds[1]);
        else paintHeatmap(canvas, map, width, height, scale, bounds);
      });
      range.textContent = bounds[0] < 0 ? `±${short(bounds[1])}` : `0 … ${short(bounds[1])}`;
    }
  }

  bounds(stage, data, gradients) {
    let largest = 0;
    for (const v of data) largest = Math.max(largest, Math.abs(v));
    largest ||= 1;
    if (stage.name === "input" && !gradients) return [0, 1];
    return gradients || stage.signed ? [-largest, largest] : [0, largest];
  }

  /** The unit under a pointer event, selected. */
  pick(event) {
    const cell = event.target.closest?.(".fm-map");
    const column = event.target.closest?.(".fm-column");
    if (!cell || !column) return;
    const { dims: [, height, width] } = this.columns.get(column.dataset.stage);
    const at = cellAt(event, cell.querySelector("canvas"), width, height);
    if (!at) return;
    this.select({ stage: column.dataset.stage, channel: Number(cell.dataset.channel), ...at });
  }

  /** Open the selected unit when it is a unit of `column` and that is a conv stage or the input. */
  open(column) {
    const unit = this.selected;
    if (["conv", "input"].includes(column?.dataset.kind) && unit?.stage === column.dataset.stage) this.onOpen(unit);
  }

  key(event) {
    const column = event.target.closest?.(".fm-column");
    if (!column) return;
    if (event.key === "Enter") {
      const stage = column.dataset.stage;
      if (this.selected?.stage !== stage) this.select({ stage, channel: 0, row: 0, col: 0 });
      event.preventDefault();
      this.open(column);
      return;
    }
    const { dims: [channels, height, width] } = this.columns.get(column.dataset.stage);
    const moves = {
      ArrowUp: [0, -1, 0], ArrowDown: [0, 1, 0], ArrowLeft: [0, 0, -1], ArrowRight: [0, 0, 1],
      PageUp: [-1, 0, 0], PageDown: [1, 0, 0],
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const current = this.selected?.stage === column.dataset.stage ? this.selected : null;
    const unit = current ?? { stage: column.dataset.stage, channel: 0, row: 0, col: 0 };
    const clamp = (value, size) => Math.max(0, Math.min(size - 1, value));
    this.select({
      stage: unit.stage,
      channel: current ? clamp(unit.channel + move[0], channels) : 0,
      row: current ? clamp(unit.row + move[1], height) : 0,
      col: current ? clamp(unit.col + move[2], width) : 0,
    });
  }

  select(unit) {
    const same = this.selected && ["stage", "channel", "row", "col"].every((key) => this.selected[key] === unit[key]);
    if (same) return;
    this.selected = unit;
    this.onSelect(unit);
  }

  /**
   * Draw the selection: the selected unit's own cell, and for each earlier stage the window it reads there.
   * regions: {stage: {channels: "all" | number, rows: [r0, r1], cols: [c0, c1]}} with inclusive, clipped bounds.
   */
  highlight(unit, regions) {
    for (const { stage, cells, dims: [, height, width] } of this.columns.values()) {
      const region = regions[stage.name];
      cells.forEach(({ cell, field, unit: marker }, channel) => {
        const inRegion = region && (region.channels === "all" || region.channels === channel);
        place(field, inRegion ? region : null, height, width);
        const mine = unit && unit.stage === stage.name && unit.channel === channel;
        place(marker, mine ? { rows: [unit.row, unit.row], cols: [unit.col, unit.col] } : null, height, width);
        cell.classList.toggle("is-read", Boolean(inRegion));
      });
    }
  }

  destroy() {
    for (const [name, listener] of Object.entries(this.listeners)) this.el.removeEventListener(name, listener);
    this.el.replaceChildren();
  }
}

/** Position an overlay box over rows × cols of a height × width map, or hide it. */
function place(box, region, height, width) {
  box.hidden = region === null;
  if (region === null) return;
  const [r0, r1] = region.rows;
  const [c0, c1] = region.cols;
  Object.assign(box.style, {
    top: `${(100 * r0) / height}%`,
    left: `${(100 * c0) / width}%`,
    height: `${(100 * (r1 - r0 + 1)) / height}%`,
    width: `${(100 * (c1 - c0 + 1)) / width}%`,
  });
}
