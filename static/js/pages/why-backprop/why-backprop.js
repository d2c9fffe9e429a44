// The why-backprop page: asks /ws/why-backprop for the slide's network (listing and counts), for the counts of
// the chain the sliders describe, and for timings, which stream in one depth at a time. It only draws them.
// In presentation mode Page Down and Page Up go between its stages (the slide's counts, the larger networks).

import { Socket } from "../../lib/socket.js";
import { XOR } from "../../lib/protocol.js";
import { throttle } from "../../lib/throttle.js";
import { readState, writeState } from "../../lib/url-state.js";
import { formatValue } from "../../lib/format.js";
import { onPresentKeys, openStage } from "../../lib/present.js";
import { room } from "../../lib/room.js";
import { addSaveButton } from "../../lib/snapshot.js";
import { ChainDiagram } from "../../views/chain-diagram.js";
import { ConnectionStatus } from "../../views/connection-status.js";
import { LineChart } from "../../views/line-chart.js";
import { TermCounts } from "../../views/term-counts.js";
import { TermListing } from "../../views/term-listing.js";

const SEND_EVERY_MS = 120;
const $ = (id) => document.getElementById(id);
const testid = (name) => document.querySelector(`[data-testid=${name}]`);
const sliders = { width: $("why-width"), depth: $("why-depth") };
const problem = testid("page-error");

const views = {
  status: new ConnectionStatus(testid("connection")),
  slideDiagram: new ChainDiagram($("why-slide-diagram"), { label: "The slides' chain network" }),
  backward: new TermListing($("why-backward"), { testid: "backward" }),
  forward: new TermListing($("why-forward"), { testid: "forward" }),
  slideCounts: new TermCounts($("why-slide-counts"), { caption: "Terms per layer of the slide's network", slide: true, testid: "slide-counts" }),
  slideListing: new TermListing($("why-slide-listing"), { testid: "slide-listing" }),
  diagram: new ChainDiagram($("why-diagram"), { label: "The chain network of the sliders" }),
  countChart: new LineChart($("why-count-chart"), {
    label: "Derivative terms against the number of weights", xLabel: "weights", yLabel: "terms computed",
    series: [{ key: "forward", name: "forward path" }, { key: "reverse", name: "backward path" }], dots: true, testid: "why-count-chart",
  }),
  timeChart: new LineChart($("why-time-chart"), {
    label: "Wall time of the full gradient against the number of weights", xLabel: "weights", yLabel: "milliseconds",
    series: [{ key: "forward", name: "forward mode" }, { key: "reverse", name: "reverse mode" }], dots: true, testid: "why-time-chart",
  }),
  counts: new TermCounts($("why-counts"), { caption: "Terms per layer of this network", testid: "counts" }),
  generalBackward: new TermListing($("why-general-backward"), { testid: "general-backward" }),
  generalForward: new TermListing($("why-general-forward"), { testid: "general-forward" }),
};

for (const [id, name, label] of [
  ["why-slide-diagram", "why-slide-network", "the slide's network"], ["why-diagram", "why-network", "the chain network"],
  ["why-count-chart", "why-terms", "the chart of terms"], ["why-time-chart", "why-time", "the chart of times"],
]) addSaveButton($(id), { name, label });

const state = readState({ width: 2, depth: 3 });
sliders.width.value = state.width;
sliders.depth.value = state.depth;
let timings = [];
let maxDepth = Number(sliders.depth.max);
let measuredWidth = null;
let measured = false; // the last timing stream reached the largest depth (a newer request stops a stream)
let currentWeights = null;
const placed = { slide: false, counts: false }; // the first answers have been drawn (the page's height then settles)

function size() {
  return { width: Number(sliders.width.value), depth: Number(sliders.depth.value) };
}

function showSize() {
  $("why-width-value").textContent = sliders.width.value;
  $("why-depth-value").textContent = sliders.depth.value;
}

// ---- server replies to views ----

/** Per-layer rows of a why_counts reply, from the input side up, and the loss layer last. */
function rows(counts, slideLayers = null) {
  return counts.layers.map((layer, i) => ({
    label: layer.label, reverse: layer.reverse, carried: layer.carried, forward: layer.forward,
    slide: slideLayers ? slideLayers[i].slide_count : undefined,
  }));
}

function totals(counts, slideLayers = null) {
  const carried = counts.layers.reduce((sum, layer) => sum + layer.carried, 0);
  const slide = slideLayers ? slideLayers.reduce((sum, layer) => sum + layer.slide_count, 0) : undefined;
  return { reverse: counts.reverse_total, carried, forward: counts.forward_total, slide };
}

/** Listings: backward from the loss down (with carried terms), forward from layer 1 up. */
function listings(counts) {
  const backward = [...counts.layers].reverse().map((layer) => ({
    label: layer.label, count: layer.reverse, terms: layer.reverse_terms, carried: layer.carried_terms ?? [],
  }));
  const forward = counts.layers.map((layer) => ({ label: layer.label, count: layer.forward, terms: layer.forward_terms }));
  return { backward, forward };
}

function showSlide(message) {
  const { counts, forward: slideLayers } = message;
  views.slideDiagram.update({ width: counts.width, depth: counts.depth });
  const { backward, forward } = listings(counts);
  views.backward.update(backward);
  views.forward.update(forward);
  views.slideCounts.update(rows(counts, slideLayers), totals(counts, slideLayers));
  views.slideListing.update(slideLayers.map((layer) => ({ label: layer.label, count: layer.slide_count, terms: layer.terms })));
  place("slide");
}

/** Once the first answers have filled the page, open (again) the stage the address names: the listings above a
 * later stage have moved it down meanwhile. */
function place(part) {
  if (placed[part]) return;
  placed[part] = true;
  openStage();
}

function showCounts(counts) {
  // The server stops a timing stream for any newer request, this one included: an unfinished measurement starts again.
  if (!measured) measure();
  currentWeights = counts.weights;
  showTimings();
  testid("why-weights").textContent = String(counts.weights);
  testid("why-reverse").textContent = String(counts.reverse_total);
  testid("why-forward-total").textContent = String(counts.forward_total);
  testid("why-agree").textContent = `Forward mode and reverse mode find the same gradient: the largest difference over its ${counts.weights} entries is ${formatValue(counts.gradient_gap, 2)}.`;
  views.diagram.update({ width: counts.width, depth: counts.depth });
  views.countChart.update({
    data: {
      forward: counts.series.map((p) => [p.weights, p.forward]),
      reverse: counts.series.map((p) => [p.weights, p.reverse]),
    },
    marker: counts.weights,
  });
  views.counts.update(rows(counts), totals(counts));
  const listed = counts.layers[0].forward_terms !== null;
  testid("why-listing-note").textContent = listed ? "" : "This network has too many terms to list one by one; the table above counts them.";
  const { backward, forward } = listed ? listings(counts) : { backward: [], forward: [] };
  views.generalBackward.update(backward);
  views.generalForward.update(forward);
  place("counts");
}

function showTiming(point) {
  if (point.depth === 1) timings = [];
  measured = point.last;
  timings.push(point);
  showTimings();
  const last = timings.at(-1);
  testid("why-time-note").textContent = `${last.last ? "Measured" : "Measuring…"} width ${last.width}, depths 1 to ${last.depth}: at ${last.weights} weights forward mode took ${formatValue(last.forward_ms, 3)} ms and reverse mode ${formatValue(last.reverse_ms, 3)} ms (median of ${last.repeats} runs).`;
}

function showTimings() {
  views.timeChart.update({
    data: {
      forward: timings.map((p) => [p.weights, p.forward_ms]),
      reverse: timings.map((p) => [p.weights, p.reverse_ms]),
    },
    marker: currentWeights,
  });
}

// ---- requests ----

const socket = new Socket("/ws/why-backprop", {
  onStatus: (status, detail) => {
    views.status.update(status);
    if (status !== "ready") return;
    sliders.width.max = String(detail.limits.max_width);
    sliders.depth.max = String(detail.limits.max_depth);
    maxDepth = detail.limits.max_depth;
    measuredWidth = null;
    socket.send({ type: XOR.whySlide });
    ask();
  },
  onMessage: (message) => {
    if (message.type === XOR.whySlide) showSlide(message);
    else if (message.type === XOR.whyCounts) showCounts(message);
    else if (message.type === XOR.whyTiming) showTiming(message);
  },
  onError: (error) => {
    problem.hidden = false;
    problem.textContent = error.message;
  },
});

/** Time both modes at this width for every depth up to the largest, so the chart shows the growth. */
function measure() {
  measuredWidth = size().width;
  measured = false;
  socket.request({ type: XOR.whyTime, width: measuredWidth, depth: maxDepth }, XOR.whyTiming);
}

function ask() {
  problem.hidden = true;
  writeState(size());
  socket.request({ type: XOR.whyCounts, ...size() }, XOR.whyCounts);
  if (size().width !== measuredWidth || !measured) measure();
}

const askSoon = throttle(ask, SEND_EVERY_MS);
for (const slider of Object.values(sliders)) {
  slider.addEventListener("input", () => {
    showSize();
    askSoon();
  });
}
$("why-measure").addEventListener("click", measure);
showSize();

// Page Down and Page Up (a clicker's keys) open the next or previous stage by its anchor; present.js scrolls to it.
const STAGE_MOVES = { PageDown: 1, PageUp: -1 };
onPresentKeys((event) => {
  if (!(event.key in STAGE_MOVES)) return false;
  const stages = [...document.querySelectorAll("[data-present-stage]")];
  const shown = stages.findIndex((stage) => stage.id === location.hash.slice(1));
  const next = stages[Math.max(shown, 0) + STAGE_MOVES[event.key]];
  if (!next) return false;
  location.hash = next.id;
  return true;
});

// In a classroom room, a following student's page takes the teacher's width and depth from the teacher's address
// in place (a slider dragged on the projector would otherwise reload every student's page).
room.share({
  live: ["width", "depth"],
  read: () => ({}),
  apply: (_, view) => {
    const params = new URLSearchParams(view.query);
    const before = JSON.stringify(size());
    for (const [name, slider] of Object.entries(sliders)) {
      const value = Number(params.get(name));
      if (params.has(name) && Number.isInteger(value)) slider.value = String(value);
    }
    if (JSON.stringify(size()) === before) return;
    showSize();
    askSoon();
  },
});
