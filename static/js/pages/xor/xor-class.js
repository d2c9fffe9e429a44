// XOR across the class (/xor in a classroom room; docs/protocol/room.md): a student's tab sends her 2-2-1 network's
// run (seed, learning rate, loss curve picked down to ≤ 200 points) to the room as it goes, her latest run winning;
// her first seed is her own (drawn at random, kept by her tab). The teacher's tab overlays every student's run, with
// the server's verdicts and histogram of final losses, and shows everyone a few runs side by side (xor_compare).

import { openStage } from "../../lib/present.js";
import { ROOM } from "../../lib/protocol.js";
import { room } from "../../lib/room.js";
import { throttle } from "../../lib/throttle.js";
import { ClassRuns, runText } from "../../views/class-runs.js";

const SEED_KEY = "backprop-lab.xor-class-seed"; // this tab's own seed in a room, kept across the follow's reloads
const MAX_SEED = 10_000; // a student's first seed is drawn from 0 … MAX_SEED − 1
const MAX_POINTS = 200; // the server's cap on a run's curve (app/wire/xor_class.py MAX_CURVE)
const MAX_COMPARED = 4; // runs shown side by side (app/wire/xor_class.py MAX_COMPARED)
const MAX_CHOICES = 24; // runs the teacher may pick from: the stuck ones first, then the solved ones
const ORDER = { stuck: 0, solved: 1, learning: 2 };
const SEND_EVERY_MS = 1000; // a running run goes to the room at most once a second, its last state always
const $ = (id) => document.getElementById(id);

/** At most MAX_POINTS of a curve [[step, loss], …], evenly picked, the first and the last kept. */
export function pickPoints(history) {
  if (history.length <= MAX_POINTS) return history.map(([step, loss]) => [step, loss]);
  const every = (history.length - 1) / (MAX_POINTS - 1);
  return Array.from({ length: MAX_POINTS }, (_, i) => history[Math.round(i * every)]).map(([step, loss]) => [step, loss]);
}

function storedSeed() {
  try {
    const value = sessionStorage.getItem(SEED_KEY);
    return value === null ? null : Number(value);
  } catch {
    return null;
  }
}

function storeSeed(seed) {
  try {
    sessionStorage.setItem(SEED_KEY, String(seed));
  } catch {
    // storage is off: a reload draws another seed
  }
}

class XorClass {
  /** seed(): the page's seed now; setSeed(seed): put the network on another seed (a reset). */
  constructor({ seed, setSeed }) {
    this.seed = seed;
    this.setSeed = setSeed;
    this.runs = new Map(); // teacher: run id -> run
    this.histogram = null;
    this.view = null;
    this.compareView = null;
    this.picked = new Set(); // teacher: ids of the runs ticked for a comparison
    this.sendSoon = throttle((message) => room.send(message), SEND_EVERY_MS);
  }

  start() {
    room.on(ROOM.joined, (message) => this.joined(message));
    room.on(ROOM.xor_run, (message) => {
      this.runs.set(message.run.id, message.run);
      this.draw();
    });
    room.on(ROOM.xor_histogram, (message) => {
      this.histogram = message.histogram;
      this.draw();
    });
    room.on(ROOM.xor_run_kept, (message) => {
      const el = $("xor-class-kept");
      el.hidden = false;
      el.textContent = `Your run (seed ${message.seed}) is on your teacher's screen: ${message.verdict}.`;
    });
    room.on(ROOM.xor_compare, (message) => this.showCompare(message.compare, true));
    room.on("error", (error) => error.request === ROOM.xor_compare && this.status(error.message));
    room.on("left", () => this.left());
    $("xor-class-pick").addEventListener("change", (event) => {
      if (event.target.checked) this.picked.add(event.target.value);
      else this.picked.delete(event.target.value);
    });
    $("xor-class-compare").addEventListener("click", () => this.sendCompare([...this.picked]));
    $("xor-class-compare-stop").addEventListener("click", () => this.sendCompare([]));
    if (room.joined) this.joined(room.joined);
  }

  status(text) {
    $("xor-class-status").textContent = text;
  }

  sendCompare(ids) {
    if (ids.length > MAX_COMPARED) {
      this.status(`Pick at most ${MAX_COMPARED} runs.`);
      return;
    }
    if (!ids.length && this.compareView === null) {
      this.status("Tick the runs to show, e.g. a stuck one and a solved one.");
      return;
    }
    this.status(room.send({ type: ROOM.xor_compare, ids }) ? "" : "Not connected to the room right now; try again in a moment.");
  }

  /** Show the runs the teacher compares (null: none); a new comparison is brought on screen. */
  showCompare(compare, arrived = false) {
    $("xor-compare").hidden = compare === null;
    if (compare === null) {
      this.compareView?.destroy();
      this.compareView = null;
      return;
    }
    this.compareView ??= new ClassRuns($("xor-compare-runs"), { compare: true });
    this.compareView.update({ runs: compare.runs });
    if (arrived) $("xor-compare").scrollIntoView({ block: "start" });
  }

  joined(message) {
    const teacher = message.role === "teacher";
    $("xor-class").hidden = !teacher;
    if (teacher) openStage(); // projected, a stop at #xor-class opens on it once the room has said whose tab this is
    this.showCompare(message.xor_compare ?? null);
    if (!teacher) {
      this.ownSeed();
      return;
    }
    this.view ??= new ClassRuns($("xor-class-runs"));
    this.runs = new Map(message.xor_runs.runs.map((run) => [run.id, run]));
    this.histogram = message.xor_runs.histogram;
    this.draw();
  }

  /** A student trains on her own seed: drawn at random the first time, then kept by this tab (following the
   * teacher to /xor brings the teacher's seed in the address; hers comes back). */
  ownSeed() {
    const seed = storedSeed() ?? Math.floor(Math.random() * MAX_SEED);
    storeSeed(seed);
    if (seed !== this.seed()) this.setSeed(seed);
  }

  left() {
    $("xor-class").hidden = true;
    $("xor-class-kept").hidden = true;
    this.showCompare(null);
    this.view?.destroy();
    this.view = null;
    this.runs.clear();
  }

  draw() {
    if (!this.view || !this.histogram) return;
    const runs = [...this.runs.values()];
    this.view.update({ runs, histogram: this.histogram });
    const stuck = runs.filter((run) => run.verdict === "stuck").length;
    $("xor-class-count").textContent = `${runs.length} run${runs.length === 1 ? "" : "s"}, ${stuck} stuck`;
    this.drawChoices(runs);
  }

  /** The teacher's choice of runs to compare: a tick box per run, stuck ones first; ticks kept across updates. */
  drawChoices(runs) {
    const choices = [...runs].sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict]).slice(0, MAX_CHOICES);
    $("xor-class-pick").replaceChildren(...choices.map((run) => {
      const label = document.createElement("label");
      const box = Object.assign(document.createElement("input"), { type: "checkbox", value: run.id, checked: this.picked.has(run.id) });
      box.dataset.testid = `xor-class-pick-${run.seed}`;
      label.append(box, ` ${runText(run)}`);
      return label;
    }));
  }

  /** A student's network run (its frame header and its curve [[step, loss], …]) goes to the room. */
  report(header, history) {
    if (room.role !== "student" || header.step === 0 || !history.length) return;
    storeSeed(header.seed); // a seed she trained is hers from now on
    this.sendSoon({ type: ROOM.xor_class_run, seed: header.seed, lr: header.lr, points: pickPoints(history) });
  }
}

/** XOR across the class's part of /xor: call start() once. */
export function connectXorClass(page) {
  return new XorClass(page);
}
