// XOR across the class (/xor in a classroom room; docs/protocol/room.md): a student's tab sends her 2-2-1 network's
// run (seed, learning rate, loss curve picked down to ≤ 200 points) to the room as it goes, her latest run winning;
// her first seed is her own (drawn at random, kept by her tab). The teacher's tab overlays every student's run, with
// the server's verdicts and histogram of final losses.

import { ROOM } from "../../lib/protocol.js";
import { room } from "../../lib/room.js";
import { throttle } from "../../lib/throttle.js";
import { ClassRuns } from "../../views/class-runs.js";

const SEED_KEY = "backprop-lab.xor-class-seed"; // this tab's own seed in a room, kept across the follow's reloads
const MAX_SEED = 10_000; // a student's first seed is drawn from 0 … MAX_SEED − 1
const MAX_POINTS = 200; // the server's cap on a run's curve (app/wire/xor_class.py MAX_CURVE)
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
    room.on("left", () => this.left());
    if (room.joined) this.joined(room.joined);
  }

  joined(message) {
    const teacher = message.role === "teacher";
    $("xor-class").hidden = !teacher;
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
