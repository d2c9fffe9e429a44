// The classroom room on every page (templates/base.html loads this module after the page's own): starts the room
// of this tab's membership (static/js/lib/room.js), and wires the room bar, the open question (the teacher's
// answers and reveal, a student's answer controls), notices and the "Ask the room" dialog to the room's events.
// A following student's tab scrolls to the page's stage, the view the teacher projects (lib/present.js). On a
// phone the region is one line: a revealed question goes after a few seconds, and at once on the next page.

import { presenting, showStage } from "../../lib/present.js";
import { ROOM } from "../../lib/protocol.js";
import { joinsAgain, room } from "../../lib/room.js";
import { AnswerBars } from "../../views/answer-bars.js";
import { RoomAsk } from "../../views/room-ask.js";
import { RoomBar } from "../../views/room-bar.js";
import { RoomPause } from "../../views/room-pause.js";
import { RoomSnapshots } from "../../views/room-snapshots.js";
import { RoomPoll } from "../../views/room-poll.js";
import { RoomQuestion } from "../../views/room-question.js";
import { sentence } from "./room-actions.js";

// Questions that fit a page, offered in the "Ask the room" dialog.
const SUGGESTIONS = {
  "/neuron": [{ prompt: "Is the output above or below 0.5 at this point?", kind: "choice", choices: ["above", "below"] }],
  "/xor": [
    { prompt: "How many hidden units does XOR need?", kind: "digit" },
    { prompt: "Will the loss go up or down after this step?", kind: "choice", choices: ["up", "down"] },
  ],
  "/why-backprop": [{ prompt: "How many derivative terms does the next layer add?", kind: "number" }],
  "/conv": [
    { prompt: "What number lands in this output cell?", kind: "number" },
    { prompt: "How wide is the output?", kind: "number" },
  ],
  "/lenet": [{ prompt: "Which digit will it predict?", kind: "digit" }],
};
// Errors about these requests are this module's to show; the other pages' (the gallery's) are theirs.
const OWN_REQUESTS = new Set([ROOM.view, ROOM.ask, ROOM.reveal, ROOM.dismiss, ROOM.end, ROOM.names, ROOM.pause,
  ROOM.screen, ROOM.snapshot]);
const PUT_AWAY_MS = 4000; // how long a phone shows a revealed question
const SETTLE_MS = 3000; // how long a following tab keeps the stage in view while the page draws itself
const phone = matchMedia("(max-width: 40rem)"); // the width at which room.css folds the region
const INTERACTIONS = ["wheel", "touchstart", "pointerdown", "keydown"]; // the student takes the view over

const region = document.getElementById("room");
const part = (name) => document.querySelector(`[data-testid=${name}]`);
const bars = (el) => new AnswerBars(el);
let students = 0;
let asked = null; // the room's question now, or null
let putAway = null; // the timer that puts a revealed question away on a phone
let arrived = false; // this page has been brought to the teacher's stage once

/** Send a request to the room, or say why it cannot go now. */
function send(message) {
  if (!room.send(message)) bar.update({ notice: "Not connected to the room right now; try again in a moment." });
}

const bar = new RoomBar(region, {
  onAsk: () => ask.open(SUGGESTIONS[location.pathname] ?? []),
  onFollow: (on) => room.setFollowing(on),
  onLeave: () => room.leave(),
  onExpand: (open) => {
    clearTimeout(putAway);
    if (open) panel().reopen();
    else if (asked && !asked.open) panel().close();
  },
});
const ask = new RoomAsk(part("room-ask-dialog"), {
  onSend: ({ prompt, kind, choices }) => send({ type: ROOM.ask, prompt, kind, choices }),
});
const poll = new RoomPoll(part("room-poll"), {
  bars,
  onReveal: (answer) => send(answer === null ? { type: ROOM.reveal } : { type: ROOM.reveal, answer }),
  onDismiss: () => send({ type: ROOM.dismiss }),
});
const question = new RoomQuestion(part("room-question"), {
  bars,
  onAnswer: (value) => {
    if (asked) send({ type: ROOM.answer, question: asked.id, value });
  },
});

const pause = new RoomPause({
  button: part("room-pause"), dialog: part("room-pause-dialog"), overlay: part("room-paused"),
  blocked: [document.querySelector("main"), part("room-question")],
}, {
  onPause: (message) => send(message ? { type: ROOM.pause, on: true, message } : { type: ROOM.pause, on: true }),
  onResume: () => send({ type: ROOM.pause, on: false }),
});

const snapshots = new RoomSnapshots(part("room-snapshot"), {
  onList: ({ items, names }) => send({ type: ROOM.snapshots, items, names }),
  onShow: (index) => send({ type: ROOM.snapshot, index }),
});

/** The question view of this tab's role. */
function panel() {
  return room.role === "teacher" ? poll : question;
}

/** On a phone a revealed question is put away: after a few seconds, or at once when it was revealed before this
 * page opened (the student saw it on the page before). */
function putAwayRevealed(seenBefore) {
  clearTimeout(putAway);
  if (!phone.matches || !asked || asked.open || bar.expanded) return;
  if (seenBefore) panel().close();
  else putAway = setTimeout(() => panel().close(), PUT_AWAY_MS);
}

/** Bring a following student's view to the page's stage, and keep it there while the page lays itself out (its
 * first frames resize the views above the stage) until the student scrolls or touches the page. */
function bringToStage() {
  if (!room.following || !document.querySelector("[data-present-stage]")) return;
  showStage();
  const settle = new ResizeObserver(() => showStage());
  const stop = () => {
    settle.disconnect();
    for (const type of INTERACTIONS) removeEventListener(type, stop, true);
  };
  settle.observe(document.body);
  for (const type of INTERACTIONS) addEventListener(type, stop, { capture: true, passive: true });
  setTimeout(stop, SETTLE_MS);
}

/** What the bar shows before the room answers: the membership's code, and the role it asks for. */
function membershipShown() {
  const { membership } = room;
  return {
    code: membership?.code ?? null, role: membership ? (membership.key ? "teacher" : "student") : null,
    following: membership?.following !== false,
  };
}

room.on("status", (status) => bar.update({ status, ...(room.role ? {} : membershipShown()) }));
room.on(ROOM.joined, (message) => {
  students = message.students;
  asked = message.question;
  bar.update({ role: message.role, code: message.code, students, following: room.following, notice: null });
  pause.update({ role: message.role, paused: message.paused ?? null });
  bar.update({ paused: Boolean(message.paused) });
  snapshots.update({ role: message.role, snapshot: message.snapshot ?? null,
    snapshots: message.snapshots ?? { items: [], names: false } });
  if (message.role === "teacher") {
    const answers = message.answers ? { question: message.question.id, ...message.answers } : null;
    poll.update({ question: message.question, answers, students, private: message.private === true });
  } else {
    question.update({ question: message.question, answered: message.answered ?? null });
  }
  putAwayRevealed(true);
  if (!arrived) bringToStage();
  arrived = true;
});
room.on(ROOM.students, ({ count }) => {
  students = count;
  bar.update({ students });
  if (room.role === "teacher") poll.update({ students });
});
room.on(ROOM.question, (message) => {
  asked = message.question;
  panel().update({ question: message.question });
  putAwayRevealed(false);
});
room.on(ROOM.answers, (answers) => {
  if (room.role === "teacher") poll.update({ answers });
});
room.on(ROOM.paused, ({ paused }) => {
  pause.update({ paused });
  bar.update({ paused: Boolean(paused) });
});
room.on(ROOM.snapshot, ({ snapshot }) => snapshots.update({ snapshot }));
room.on(ROOM.snapshots, ({ items, names }) => snapshots.update({ snapshots: { items, names } }));
room.on(ROOM.answered, ({ value }) => question.update({ answered: value, error: null }));
room.on("following", (following) => {
  bar.update({ following });
  if (following) bringToStage();
});
room.on("refused", (error) => {
  const code = room.membership?.code ?? "";
  bar.update({ notice: joinsAgain(error)
    ? `Joining room ${code}: ${error.message}. Trying again by itself…`
    : `Could not join room ${code}: ${error.message}` });
});
room.on(ROOM.ended, (message) => bar.update({ notice: `${sentence(message.message)}.` }));
room.on("left", () => {
  asked = null;
  bar.update({ role: null, code: null });
  pause.update({ role: null, paused: null });
  snapshots.destroy();
  poll.update({ question: null });
  question.update({ question: null });
});
room.on("error", (error) => {
  if (error.request === ROOM.answer) {
    question.update({ error: error.message });
  } else if (error.code === "room_expired") {
    bar.update({ notice: sentence(error.message) });
    room.leave();
  } else if (!error.request || OWN_REQUESTS.has(error.request)) {
    bar.update({ notice: sentence(error.message) });
  }
});

// The bar's height, so that anchors and scrolled-to stages land below it (html { scroll-padding-top } in room.css).
// When the region grows or shrinks (a question comes or goes) the page under it would move: the window scrolls by
// as much, so what the student looks at stays put (as the browser's scroll anchoring does, where it does).
const main = document.querySelector("main");
let mainTop = main.getBoundingClientRect().top; // where the page was on screen at the last scroll or resize
addEventListener("scroll", () => {
  mainTop = main.getBoundingClientRect().top;
}, { passive: true });
new ResizeObserver(() => {
  document.documentElement.style.setProperty("--room-height", `${region.hidden ? 0 : region.offsetHeight}px`);
  const moved = main.getBoundingClientRect().top - mainTop;
  if (Math.abs(moved) >= 1 && scrollY > 0) scrollBy(0, moved);
  mainTop = main.getBoundingClientRect().top;
}).observe(region);

// A teacher's screen in presentation mode is the projected one; any other is the teacher's own (the teacher link on
// a phone), which the server sends the live answers and the drawings kept from the class (docs/protocol/room.md).
room.private = !presenting();
new MutationObserver(() => {
  if (presenting() === !room.private) return;
  room.private = !presenting();
  if (room.role === "teacher") send({ type: ROOM.screen, private: room.private });
}).observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });

room.shareable = region.dataset.shareable === "true";
bar.update(membershipShown());
room.start();
