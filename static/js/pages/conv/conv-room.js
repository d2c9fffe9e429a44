// The conv page in a classroom room, without the DOM: what of the walkthrough a teacher's page shares live beyond
// its URL (the step, the animation's phase, whether it plays, the hidden cells, the clicked cell of the backward
// pass), checked before a student's page applies it. The step and the hidden cells are also in the URL: they are
// `live` parameters, so a student's page follows them in place instead of loading again.

import { room } from "../../lib/room.js";

const PHASES = new Set(["window", "products", "sum"]);
const MAX_INDEX = 10_000; // far beyond any grid the server plans

const index = (v) => Number.isInteger(v) && v >= 0 && v <= MAX_INDEX;

/** A clicked cell as the page keeps it ({kind: "dx", c, r, col} or {kind: "dw", f, c, i, j}), or null. */
function cleanSelection(s) {
  if (!s || typeof s !== "object") return null;
  if (s.kind === "dx" && [s.c, s.r, s.col].every(index)) return { kind: "dx", c: s.c, r: s.r, col: s.col };
  if (s.kind === "dw" && [s.f, s.c, s.i, s.j].every(index)) return { kind: "dw", f: s.f, c: s.c, i: s.i, j: s.j };
  return null;
}

/** The teacher's shared state in the form apply() takes: every field checked, defaults for the missing ones. */
export function cleanState(state) {
  return {
    step: index(state?.step) ? state.step : 0,
    phase: PHASES.has(state?.phase) ? state.phase : "sum",
    playing: state?.playing === true,
    hide: state?.hide === 1 ? 1 : 0,
    selection: cleanSelection(state?.selection),
  };
}

/**
 * The page's room adapter: read() → the state to share; apply(state) shows a checked one. replay() shows the last
 * one again after the page rebuilt itself (a new plan), while this tab follows its teacher.
 */
export function roomAdapter({ read, apply }) {
  let last = null;
  return {
    live: ["step", "hide", "speed"],
    read,
    apply(state) {
      last = cleanState(state);
      apply(last);
    },
    replay() {
      if (last && room.following) apply(last);
    },
  };
}
