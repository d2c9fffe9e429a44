// A line chart in SVG: one or more series of (x, y) points the server sent, linear or logarithmic y axis,
// labelled ticks, a legend, and an optional marker at one x. Used for the loss curve and the term and time counts.

import { DIVERGING, SEQUENTIAL, cssColor } from "../lib/colors.js";
import { formatValue } from "../lib/format.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 640;
const H = 320;
const M = { left: 78, right: 18, top: 36, bottom: 58 };
const MAX_DRAWN = 1200;

// Series colours from the app's scales: the diverging map's two ends, then viridis stops.
export const SERIES_COLORS = [
  cssColor(DIVERGING, 1, -1, 1),
  cssColor(DIVERGING, -1, -1, 1),
  cssColor(SEQUENTIAL, 0.6, 0, 1),
  cssColor(SEQUENTIAL, 0.3, 0, 1),
];

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function niceStep(span, count) {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = [1, 2, 5, 10].find((m) => m * power >= raw) ?? 10;
  return unit * power;
}

function linearTicks(lo, hi) {
  const step = niceStep(hi - lo || 1, 5);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** At most MAX_DRAWN points, evenly picked, always keeping the last. */
function thin(points) {
  if (points.length <= MAX_DRAWN) return points;
  const every = points.length / MAX_DRAWN;
  const kept = Array.from({ length: MAX_DRAWN - 1 }, (_, i) => points[Math.floor(i * every)]);
  return [...kept, points[points.length - 1]];
}

export class LineChart {
  /**
   * options: label (accessible name), xLabel, yLabel, log (logarithmic y), series [{key, name}] in legend
   * order, dots (mark every point), testid (data-testid of the SVG).
   */
  constructor(el, { label, xLabel, yLabel, log = false, series, dots = false, testid = "chart" }) {
    this.el = el;
    this.options = { label, xLabel, yLabel, log, series, dots };
    this.root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": label, "data-testid": testid });
    this.legend = document.createElement("ul");
    this.legend.className = "chart__legend";
    series.forEach(({ name }, i) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "chart__swatch";
      swatch.style.backgroundColor = SERIES_COLORS[i];
      item.append(swatch, name);
      this.legend.append(item);
    });
    el.append(this.root, this.legend);
    this.update({ data: {} });
  }

  /** data: {key: [[x, y], …]} per series; marker: an x to mark with a vertical line, or null. */
  update({ data, marker = null }) {
    const { log, series, dots } = this.options;
    const all = series.flatMap(({ key }) => data[key] ?? []).filter(([, y]) => !log || y > 0);
    const xs = all.map(([x]) => x);
    const ys = all.map(([, y]) => y);
    const xlo = xs.length ? Math.min(...xs) : 0;
    const xhi = xs.length ? Math.max(...xs, xlo + 1) : 1;
    let ylo;
    let yhi;
    if (log) {
      ylo = 10 ** Math.floor(Math.log10(ys.length ? Math.min(...ys) : 1e-3));
      yhi = 10 ** Math.ceil(Math.log10(ys.length ? Math.max(...ys) : 1));
      if (yhi <= ylo) yhi = ylo * 10;
    } else {
      ylo = 0;
      const top = (ys.length ? Math.max(...ys) : 1) || 1;
      const step = niceStep(top, 5);
      yhi = Math.ceil(top / step - 1e-9) * step;
    }
    const px = (x) => M.left + ((x - xlo) / (xhi - xlo)) * (W - M.left - M.right);
    const py = log
      ? (y) => H - M.bottom - ((Math.log10(y) - Math.log10(ylo)) / (Math.log10(yhi) - Math.log10(ylo))) * (H - M.top - M.bottom)
      : (y) => H - M.bottom - ((y - ylo) / (yhi - ylo)) * (H - M.top - M.bottom);
    const parts = [...this.frame(px, py, [xlo, xhi], [ylo, yhi])];
    if (marker !== null && marker >= xlo && marker <= xhi) {
      parts.push(svg("line", { x1: px(marker), x2: px(marker), y1: M.top, y2: H - M.bottom, class: "chart__marker" }));
    }
    series.forEach(({ key }, i) => {
      const points = thin((data[key] ?? []).filter(([, y]) => !log || y > 0));
      if (!points.length) return;
      const path = points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
      parts.push(svg("polyline", { points: path, class: "chart__line", stroke: SERIES_COLORS[i] }));
      if (dots) {
        for (const [x, y] of points) parts.push(svg("circle", { cx: px(x), cy: py(y), r: 4, fill: SERIES_COLORS[i] }));
      }
    });
    this.root.replaceChildren(...parts);
    const last = series.map(({ key, name }) => {
      const points = data[key] ?? [];
      return points.length ? `${name} ${formatValue(points.at(-1)[1], 3)} at ${formatValue(points.at(-1)[0], 4)}` : null;
    }).filter(Boolean);
    this.root.setAttribute("aria-label", `${this.options.label}${last.length ? ": " + last.join("; ") : ""}`);
  }

  frame(px, py, [xlo, xhi], [ylo, yhi]) {
    const { log, xLabel, yLabel } = this.options;
    const parts = [
      svg("line", { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: "chart__axis" }),
      svg("line", { x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom, class: "chart__axis" }),
    ];
    const yTicks = log
      ? Array.from({ length: Math.round(Math.log10(yhi / ylo)) + 1 }, (_, i) => ylo * 10 ** i)
      : linearTicks(ylo, yhi);
    for (const t of yTicks) {
      parts.push(svg("line", { x1: M.left, x2: W - M.right, y1: py(t), y2: py(t), class: "chart__grid" }));
      const text = svg("text", { x: M.left - 8, y: py(t) + 6, class: "chart__tick chart__tick--y" });
      text.textContent = formatValue(t, 3);
      parts.push(text);
    }
    for (const t of linearTicks(xlo, xhi).filter((t) => t >= xlo && t <= xhi)) {
      const text = svg("text", { x: px(t), y: H - M.bottom + 24, class: "chart__tick chart__tick--x" });
      text.textContent = formatValue(t, 4);
      parts.push(text);
    }
    const xName = svg("text", { x: (M.left + W - M.right) / 2, y: H - 8, class: "chart__title" });
    xName.textContent = xLabel;
    const yName = svg("text", { x: 8, y: 22, class: "chart__title chart__title--y" });
    yName.textContent = yLabel;
    parts.push(xName, yName);
    return parts;
  }

  destroy() {
    this.el.replaceChildren();
  }
}
