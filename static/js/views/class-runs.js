// XOR across the class (/xor in a room): students' 2-2-1 runs overlaid as loss curves (log scale; stuck runs in the
// warm colour, solved ones in the cool one, still learning in grey) with, on the teacher's screen, the server's
// histogram of final losses as bars and the stuck runs listed with their seeds; in a comparison the teacher shows
// everyone (`compare`), the chosen runs only, each listed. The server judged and binned them.

import { DIVERGING, SEQUENTIAL, cssColor } from "../lib/colors.js";
import { formatValue } from "../lib/format.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 640;
const H = 320;
const M = { left: 112, right: 18, top: 40, bottom: 58 }; // room for the axes' labels at a phone's larger type
const LOW = 1e-4; // the overlay's floor: a solved run's loss keeps falling toward 0
export const VERDICT_COLORS = {
  stuck: cssColor(DIVERGING, 1, -1, 1),
  solved: cssColor(DIVERGING, -1, -1, 1),
  learning: "var(--color-muted)",
};
const BAR_COLOR = cssColor(SEQUENTIAL, 0.4, 0, 1);

function svg(tag, attributes = {}, text = "") {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function axes(xName, yName) {
  return [
    svg("line", { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: "chart__axis" }),
    svg("line", { x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom, class: "chart__axis" }),
    svg("text", { x: (M.left + W - M.right) / 2, y: H - 8, class: "chart__title" }, xName),
    svg("text", { x: 8, y: 28, class: "chart__title chart__title--y" }, yName),
  ];
}

/** A run in words: its seed (and author when shown), the server's verdict, its final loss and its steps. */
export function runText(run) {
  const who = `Seed ${run.seed}${run.author ? ` (${run.author})` : ""}`;
  const what = { stuck: "stuck at loss", solved: "solved, loss", learning: "still learning, loss" }[run.verdict];
  return `${who}: ${what} ${formatValue(run.final, 3)} after ${run.steps} steps`;
}

export class ClassRuns {
  /** el: the element to fill; compare: a comparison (the overlay and every run listed, no histogram). */
  constructor(el, { compare = false } = {}) {
    this.el = el;
    this.compare = compare;
    const name = compare ? "xor-compare" : "xor-class";
    this.overlay = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "data-testid": `${name}-overlay` });
    this.bars = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "data-testid": "xor-class-histogram" });
    this.stuck = document.createElement("ul");
    this.stuck.className = "xor-class__stuck";
    this.stuck.dataset.testid = compare ? "xor-compare-list" : "xor-class-stuck";
    const figure = (child, caption) => {
      const node = document.createElement("figure");
      node.className = "xor-figure";
      node.append(Object.assign(document.createElement("figcaption"), { textContent: caption }), child);
      return node;
    };
    if (compare) el.append(figure(this.overlay, "Loss, by SGD step"), this.stuck);
    else el.append(figure(this.overlay, "Every student's loss, by SGD step"), figure(this.bars, "Final losses of the class"), this.stuck);
  }

  /** runs: [{id, seed, points [[step, loss]], final, steps, verdict, author}]; histogram: {edges, counts}. */
  update({ runs, histogram = null }) {
    this.drawOverlay(runs);
    if (!this.compare) this.drawBars(histogram);
    const listed = this.compare ? runs : runs.filter((run) => run.verdict === "stuck");
    this.stuck.replaceChildren(...listed.map((run) => {
      const item = Object.assign(document.createElement("li"), { textContent: runText(run) });
      item.style.color = VERDICT_COLORS[run.verdict];
      return item;
    }));
  }

  drawOverlay(runs) {
    const xhi = Math.max(1, ...runs.map((run) => run.points.at(-1)[0]));
    const lo = Math.log10(LOW);
    const px = (x) => M.left + (x / xhi) * (W - M.left - M.right);
    const py = (y) => H - M.bottom - ((Math.log10(Math.max(y, LOW)) - lo) / -lo) * (H - M.top - M.bottom);
    const parts = axes("SGD step", "loss (log scale)");
    for (const t of [1e-4, 1e-3, 1e-2, 1e-1, 1]) {
      parts.push(svg("line", { x1: M.left, x2: W - M.right, y1: py(t), y2: py(t), class: "chart__grid" }));
      parts.push(svg("text", { x: M.left - 8, y: py(t) + 6, class: "chart__tick chart__tick--y" }, formatValue(t, 3)));
    }
    for (const t of [0, xhi / 2, xhi]) {
      const anchor = t === xhi ? "chart__tick chart__tick--y" : "chart__tick chart__tick--x"; // the last ends at the axis
      parts.push(svg("text", { x: px(t), y: H - M.bottom + 24, class: anchor }, formatValue(Math.round(t), 4)));
    }
    const order = { learning: 0, solved: 1, stuck: 2 }; // stuck runs drawn last, on top
    for (const run of [...runs].sort((a, b) => order[a.verdict] - order[b.verdict])) {
      const path = run.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
      const line = svg("polyline", { points: path, class: "chart__line xor-class__run", stroke: VERDICT_COLORS[run.verdict] });
      line.dataset.verdict = run.verdict;
      line.dataset.seed = String(run.seed);
      line.append(svg("title", {}, `seed ${run.seed}: ${run.verdict}, final loss ${formatValue(run.final, 3)}`));
      parts.push(line);
    }
    this.overlay.replaceChildren(...parts);
    const count = (verdict) => runs.filter((run) => run.verdict === verdict).length;
    this.overlay.setAttribute("aria-label",
      `Loss curves of ${runs.length} students' runs: ${count("solved")} solved, ${count("stuck")} stuck, ${count("learning")} still learning`);
  }

  drawBars({ edges, counts }) {
    const top = Math.max(1, ...counts);
    const width = (W - M.left - M.right) / counts.length;
    const py = (n) => H - M.bottom - (n / top) * (H - M.top - M.bottom);
    const parts = axes("final loss", "students");
    for (const t of [0, top]) {
      parts.push(svg("text", { x: M.left - 8, y: py(t) + 6, class: "chart__tick chart__tick--y" }, String(t)));
    }
    counts.forEach((n, i) => {
      const x = M.left + i * width;
      if (n) parts.push(svg("rect", { x: x + 2, y: py(n), width: width - 4, height: py(0) - py(n), fill: BAR_COLOR, "data-count": String(n) }));
      if (i % 5 === 0) parts.push(svg("text", { x, y: H - M.bottom + 24, class: "chart__tick chart__tick--x" }, formatValue(edges[i], 3)));
    });
    parts.push(svg("text", { x: W - M.right, y: H - M.bottom + 24, class: "chart__tick chart__tick--y" }, `≥ ${formatValue(edges.at(-2), 3)}`));
    this.bars.replaceChildren(...parts);
    this.bars.setAttribute("aria-label", `Histogram of final losses: ${counts.reduce((a, b) => a + b, 0)} runs`);
  }

  destroy() {
    this.el.replaceChildren();
  }
}
