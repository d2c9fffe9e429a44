// The class is the mini-batch (/lenet in a classroom room; docs/protocol/room.md): the teacher's "Class step" asks
// the server for one SGD step of the room's own LeNet-5 (never the shared weights) on every drawing of the class that
// says which digit it meant, and every screen of the room shows the step the server broadcasts: the batch's loss
// before and after, the ranked strip of the drawings by their share of the mean gradient, conv1's kernels before / Δ /
// after and how far each layer moved; a student also reads her own drawing's before and after. The numbers and
// sentences come from class-step-model.js; this file only wires the section and its views.

import { openStage } from "../../lib/present.js";
import { ROOM } from "../../lib/protocol.js";
import { room } from "../../lib/room.js";
import { ClassStrip } from "../../views/class-strip.js";
import { KernelUpdate } from "../../views/kernel-update.js";
import { LayerMoves } from "../../views/layer-moves.js";
import { kernelRows, layerText, moves, ownLines, ranked, selection, summary, tileText } from "./class-step-model.js";

const REQUESTS = new Set([ROOM.batch, ROOM.batch_reset]);
const STAGE = "lenet-class-step"; // the section's id: /lenet#lenet-class-step is its presentation stage
const $ = (id) => document.getElementById(id);

const SETTLE_MS = 3000; // how long the stage is kept in view while the page above it lays itself out
const INTERACTIONS = ["wheel", "touchstart", "pointerdown", "keydown"]; // the person takes the view over

/** The section shows only once the room answered, after the page opened: when the address names it, put it on
 * screen in presentation mode, and keep it there while the gallery and the layers above it are drawn (as
 * room-boot.js does for a following student) until the person scrolls or touches the page. */
function openIfNamed() {
  if (location.hash !== `#${STAGE}`) return;
  openStage();
  const settle = new ResizeObserver(() => openStage());
  const stop = () => {
    settle.disconnect();
    for (const type of INTERACTIONS) removeEventListener(type, stop, true);
  };
  settle.observe(document.body);
  for (const type of INTERACTIONS) addEventListener(type, stop, { capture: true, passive: true });
  setTimeout(stop, SETTLE_MS);
}

function setStatus(text, problem = false) {
  const el = $("class-step-status");
  el.textContent = text;
  el.hidden = !text;
  el.dataset.problem = String(problem);
}

class ClassStep {
  constructor() {
    this.mine = new Set(); // ids of this member's own drawings
    this.gallery = new Map(); // teacher: id -> submission (its tag and LeNet's reading), for the batch's choice
    this.step = null;
    this.views = null;
  }

  /** Listen to the room (the room's own part of the page, lenet-room.js, joins it). */
  start() {
    room.on(ROOM.joined, (message) => this.joined(message));
    room.on(ROOM.submitted, (message) => this.mine.add(message.submission.id));
    room.on(ROOM.submission, (message) => this.gallery.set(message.submission.id, message.submission));
    room.on(ROOM.removed, (message) => message.ids.forEach((id) => this.gallery.delete(id)));
    room.on(ROOM.class_step, (message) => this.show(message.step));
    room.on("error", (error) => REQUESTS.has(error.request) && setStatus(error.message, true));
    room.on("left", () => this.left());
    $("room-batch-step").addEventListener("click", () => this.run());
    $("class-step-reset").addEventListener("click", () => this.send({ type: ROOM.batch_reset }, "Resetting…"));
    if (room.joined) this.joined(room.joined);
  }

  joined(message) {
    $(STAGE).hidden = false;
    $("class-step-controls").hidden = message.role !== "teacher";
    for (const submission of message.mine ?? []) this.mine.add(submission.id);
    for (const submission of message.gallery ?? []) this.gallery.set(submission.id, submission);
    this.show(message.class_step ?? null, false);
    openIfNamed();
  }

  left() {
    $(STAGE).hidden = true;
    this.mine.clear();
    this.gallery.clear();
    for (const view of Object.values(this.views ?? {})) view.destroy();
    this.views = null;
  }

  run() {
    const lr = Number($("class-step-lr").value);
    if (!(lr > 0)) {
      setStatus("The learning rate η must be a number above 0.", true);
      return;
    }
    const message = { type: ROOM.batch, lr, mode: $("class-step-mode").value };
    const ids = selection([...this.gallery.values()], $("class-step-which").value);
    if (ids !== null) message.ids = ids;
    this.send(message, "The server is computing the class step…");
  }

  send(message, text) {
    if (room.send(message)) setStatus(text);
    else setStatus("Not connected to the room right now; it reconnects by itself, try again in a moment.", true);
  }

  /** Show a class step (null: none since the room's LeNet-5 was the shared one). */
  show(step, announce = true) {
    this.step = step;
    $("class-step-result").hidden = step === null;
    if (step === null) {
      setStatus(announce ? "The room's LeNet-5 is the shared one again." : "");
      return;
    }
    setStatus("");
    this.views ??= {
      strip: new ClassStrip($("class-step-strip")),
      kernels: new KernelUpdate($("class-step-kernels")),
      moves: new LayerMoves($("class-step-moved")),
    };
    $("class-step-summary").textContent = summary(step);
    $("class-step-result").dataset.step = String(step.step);
    const own = ownLines(step, this.mine);
    const mine = $("class-step-mine");
    mine.hidden = own.length === 0;
    mine.replaceChildren(...own.map((line) => Object.assign(document.createElement("p"), { textContent: line })));
    const tiles = ranked(step, this.mine);
    this.views.strip.update(tiles.map((tile) => ({ ...tile, text: tileText(tile), layersText: layerText(tile.layers) })));
    this.views.kernels.update(kernelRows(step.conv1));
    this.views.moves.update(moves(step));
  }
}

/** The class step's part of /lenet: call start() once, before the room joins or after. */
export function connectClassStep() {
  return new ClassStep();
}
