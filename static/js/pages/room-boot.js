// The classroom room on every page (templates/base.html loads this module after the page's own): starts the room
// of this tab's membership (static/js/lib/room.js), and wires the room bar, the open question (the teacher's
// answers and reveal, a student's answer controls), notices and the "Ask the room" dialog to the room's events.

import { ROOM } from "../lib/protocol.js";
import { room } from "../lib/room.js";
import { AnswerBars } from "../views/answer-bars.js";
import { RoomAsk } from "../views/room-ask.js";
import { RoomBar } from "../views/room-bar.js";
import { RoomPoll } from "../views/room-poll.js";
import { RoomQuestion } from "../views/room-question.js";
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
const OWN_REQUESTS = new Set([ROOM.view, ROOM.ask, ROOM.reveal, ROOM.dismiss, ROOM.end, ROOM.names]);

const region = document.getElementById("room");
const part = (name) => document.querySelector(`[data-testid=${name}]`);
const bars = (el) => new AnswerBars(el);
let students = 0;
let asked = null; // the room's question now, or null

/** Send a request to the room, or say why it cannot go now. */
function send(message) {
  if (!room.send(message)) bar.update({ notice: "Not connected to the room right now; try again in a moment." });
}

const bar = new RoomBar(region, {
  onAsk: () => ask.open(SUGGESTIONS[location.pathname] ?? []),
  onFollow: (on) => room.setFollowing(on),
  onLeave: () => room.leave(),
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

/** The question view of this tab's role. */
function showQuestion(data) {
  (room.role === "teacher" ? poll : question).update(data);
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
  if (message.role === "teacher") {
    const answers = message.answers ? { question: message.question.id, ...message.answers } : null;
    poll.update({ question: message.question, answers, students });
  } else {
    question.update({ question: message.question, answered: message.answered ?? null });
  }
});
room.on(ROOM.students, ({ count }) => {
  students = count;
  bar.update({ students });
  if (room.role === "teacher") poll.update({ students });
});
room.on(ROOM.question, (message) => {
  asked = message.question;
  showQuestion({ question: message.question });
});
room.on(ROOM.answers, (answers) => poll.update({ answers }));
room.on(ROOM.answered, ({ value }) => question.update({ answered: value, error: null }));
room.on("following", (following) => bar.update({ following }));
room.on("refused", (error) => bar.update({ notice: `Could not join room ${room.membership?.code ?? ""}: ${error.message}` }));
room.on(ROOM.ended, (message) => bar.update({ notice: `${sentence(message.message)}.` }));
room.on("left", () => {
  asked = null;
  bar.update({ role: null, code: null });
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
new ResizeObserver(() => {
  document.documentElement.style.setProperty("--room-height", `${region.hidden ? 0 : region.offsetHeight}px`);
}).observe(region);

room.shareable = region.dataset.shareable === "true";
bar.update(membershipShown());
room.start();
