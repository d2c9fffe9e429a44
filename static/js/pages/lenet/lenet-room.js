// The /lenet page in a classroom room (/ws/room through lib/room.js; docs/protocol/room.md). A student sends the
// drawing on the pad to the class gallery, optionally saying which digit it was meant to be; the teacher sees the
// gallery with LeNet's predictions and the class's confusion matrix, and picks a drawing to show to everyone:
// every tab in the room then puts it on its pad and looks at it through every layer. The teacher's pad is shared
// live: a following student's pad gets the teacher's strokes (replacing whatever was on it), and a stroke the
// student starts on them takes the pad back, so a drawing sent to the class is never one drawn over the
// teacher's. A tab in no room shows none of this.

import { encodeFrame } from "../../lib/frames.js";
import { SIDE, compactStrokes, decodePixels, tally } from "../../lib/gallery.js";
import { ROOM } from "../../lib/protocol.js";
import { room } from "../../lib/room.js";
import { addSaveButton, download } from "../../lib/snapshot.js";
import { ClassGallery } from "../../views/class-gallery.js";
import { ConfusionMatrix } from "../../views/confusion-matrix.js";
import { digitOrNull } from "./digits.js";

const STROKES_BUDGET = 30_000; // characters of strokes in a view: the server takes at most 32 KB per view
const STUDENT_ERRORS = new Set([ROOM.submit, ROOM.tag]);
const TEACHER_ERRORS = new Set([ROOM.show, ROOM.remove, ROOM.hide, ROOM.approve, ROOM.snapshots]); // others: room-boot

const $ = (id) => document.getElementById(id);

function setStatus(el, text, problem = false) {
  el.textContent = text;
  el.hidden = !text;
  el.dataset.problem = String(problem);
}

const percent = (p) => `${Math.round(100 * p)}%`;
const meant = (tag) => (tag === null ? "not tagged" : `meant ${tag}`);

/** A point list from a room's view, if it is one: [[x, y], …] of finite numbers. */
const isPoints = (points) => Array.isArray(points) &&
  points.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite));

class LenetRoom {
  /**
   * page: what the /lenet controller lends the room: {pad, uploadSide, preprocess() -> "mnist" | "raw",
   * explanation() -> {explain, target, backward, inputGradient}, explain(explain, target), backward(state) (follow
   * the teacher's Backward mode), inputGradient(state) (follow her input-gradient panel)}.
   */
  constructor(page) {
    this.page = page;
    this.pad = page.pad;
    this.shown = null; // the submission the teacher shows to everyone, or null
    this.onPad = null; // the id of the shown submission while it is on this tab's pad
    this.before = null; // this tab's own strokes from before the shown drawing took the pad
    this.teachers = []; // the teacher's strokes on this (following) tab's pad, as the room's view put them there
    this.mine = new Map(); // student: id -> own submission
    this.gallery = new Map(); // teacher: id -> submission
    this.names = false;
    this.galleryView = null;
    this.matrix = null;
  }

  /** Listen to the room and join it (after the page is wired: the room may answer at once). */
  start() {
    room.on(ROOM.joined, (message) => this.joined(message));
    room.on(ROOM.submitted, (message) => this.submitted(message.submission));
    room.on(ROOM.submission, (message) => this.upsert(message.submission));
    room.on(ROOM.show, (message) => this.show(message.submission));
    room.on(ROOM.removed, (message) => this.removed(message.ids));
    room.on(ROOM.hidden, (message) => this.hidden(message));
    room.on(ROOM.approveFirst, (message) => this.approveFirst(message.on));
    room.on(ROOM.snapshots, (message) => {
      this.snapshots = message;
    });
    room.on(ROOM.names, (message) => this.setNames(message.visible));
    room.on("error", (error) => this.failed(error));
    room.on("left", () => this.left());
    this.bindControls();
    this.sendable();
    room.share({ read: () => this.read(), apply: (state) => this.apply(state) });
    if (room.joined) this.joined(room.joined);
    room.start();
  }

  bindControls() {
    $("room-submit").addEventListener("click", () => this.submit());
    $("room-mine").addEventListener("change", (event) => {
      const select = event.target.closest("select[data-id]");
      if (!select) return;
      const tag = select.value === "" ? null : Number(select.value);
      if (!room.send({ type: ROOM.tag, id: Number(select.dataset.id), tag })) this.offline($("room-submit-result"));
    });
    $("room-show-none").addEventListener("click", () => this.request({ type: ROOM.show, id: null }));
    $("room-names").addEventListener("click", () => this.request({ type: ROOM.names, visible: !this.names }));
    $("room-gallery-misread").addEventListener("change", () => this.renderGallery());
    const approve = document.createElement("label"); // "approve before it appears", beside the names button
    this.approveBox = Object.assign(document.createElement("input"), { type: "checkbox" });
    this.approveBox.dataset.testid = "room-approve-first";
    approve.append(this.approveBox, " approve each drawing before it appears");
    $("room-names").after(approve);
    this.approveBox.addEventListener("change", () => {
      this.request({ type: ROOM.approve, first: this.approveBox.checked });
    });
    $("room-export-gallery").addEventListener("click", () => this.exportGallery());
  }

  // ---- Joining and leaving ----

  joined(message) {
    const teacher = message.role === "teacher";
    $("lenet-room-send").hidden = teacher;
    $("lenet-gallery").hidden = !teacher;
    if (teacher) {
      this.galleryView ??= new ClassGallery($("room-gallery"), {
        onShow: (id) => this.request({ type: ROOM.show, id }),
        onRemove: (id, all) => this.request({ type: ROOM.remove, id, all }),
        onHide: (id, hidden) => this.request({ type: ROOM.hide, id, hidden }),
        onApprove: (id) => this.request({ type: ROOM.approve, id }),
        onSnapshot: (id) => this.addSnapshot(id),
      });
      if (!this.matrix) {
        this.matrix = new ConfusionMatrix($("room-confusion"));
        addSaveButton($("room-gallery"), { name: "class-gallery", label: "the class gallery" });
        addSaveButton($("room-confusion"), { name: "class-confusion", label: "the confusion matrix" });
      }
      this.gallery.clear(); // a screen turned projected keeps none of the drawings kept from the class
      for (const submission of message.gallery ?? []) this.gallery.set(submission.id, submission);
      this.approveFirst(message.approve_first);
      this.snapshots = message.snapshots;
      this.setNames(message.names);
    } else {
      for (const submission of message.mine ?? []) this.mine.set(submission.id, submission);
      this.renderMine();
    }
    this.show(message.shown);
  }

  /** Out of the room: its parts hidden and forgotten, the pad this tab's own again. */
  left() {
    $("lenet-room-send").hidden = $("lenet-gallery").hidden = true;
    this.show(null);
    this.mine.clear();
    this.gallery.clear();
    this.galleryView?.destroy();
    this.matrix?.destroy();
    this.galleryView = this.matrix = null;
    setStatus($("room-submit-result"), "");
    setStatus($("room-gallery-status"), "");
  }

  // ---- The student's drawings ----

  submit() {
    const side = this.page.uploadSide;
    const choice = $("room-submit-tag").value;
    const header = { type: ROOM.submit, preprocess: this.page.preprocess(), tag: choice === "" ? null : Number(choice) };
    const frame = encodeFrame(header, { canvas: { shape: [side, side], data: this.pad.snapshot(side) } });
    const result = $("room-submit-result");
    if (room.send(frame)) setStatus(result, "Sending your drawing to the class…");
    else this.offline(result);
  }

  submitted(submission) {
    const retagged = this.mine.has(submission.id);
    this.mine.set(submission.id, submission);
    const read = `LeNet read it as ${submission.prediction}, ${percent(submission.confidence)}`;
    const said = submission.tag === null ? "" : ` (you meant ${submission.tag})`;
    setStatus($("room-submit-result"), retagged
      ? `Drawing #${submission.id} is now ${submission.tag === null ? "untagged" : `tagged ${submission.tag}`}.`
      : `Sent #${submission.id}: ${read}${said}.`);
    if (!retagged) $("room-submit-tag").value = ""; // the next drawing is meant as nothing until the student says
    $("room-submit-result").dataset.id = String(submission.id);
    $("room-submit-result").dataset.prediction = String(submission.prediction);
    this.renderMine();
  }

  /** The student's own drawings, newest first, each with the digit it was meant to be (changeable). */
  renderMine() {
    const list = $("room-mine");
    const items = [...this.mine.values()].sort((a, b) => b.id - a.id);
    list.hidden = items.length === 0;
    const focused = document.activeElement?.closest?.("#room-mine select")?.dataset.id;
    list.replaceChildren(...items.map((submission) => {
      const item = document.createElement("li");
      item.dataset.testid = `room-mine-${submission.id}`;
      item.dataset.hidden = String(Boolean(submission.hidden));
      const label = document.createElement("label");
      const kept = submission.hidden ? " · hidden by your teacher"
        : submission.pending ? " · waits for your teacher" : "";
      const read = `read as ${submission.prediction} (${percent(submission.confidence)})`;
      label.append(`#${submission.id}: ${read}${kept} · I meant `);
      const select = document.createElement("select");
      select.dataset.id = String(submission.id);
      select.dataset.testid = `room-tag-${submission.id}`;
      select.append(new Option("not saying", ""), ...Array.from({ length: 10 }, (_, d) => new Option(String(d), String(d))));
      select.value = submission.tag === null ? "" : String(submission.tag);
      label.append(select);
      item.append(label);
      return item;
    }));
    if (focused) list.querySelector(`select[data-id="${focused}"]`)?.focus();
  }

  // ---- The teacher's gallery ----

  upsert(submission) {
    this.gallery.set(submission.id, submission);
    if (this.shown?.id === submission.id) {
      this.shown = { ...this.shown, tag: submission.tag };
      this.caption();
    }
    this.renderGallery();
  }

  /** Drawings the teacher removed leave the gallery (teacher) and the list of one's own (student). */
  removed(ids) {
    for (const id of ids) {
      this.gallery.delete(id);
      this.mine.delete(id);
    }
    if (room.role === "teacher") {
      const count = ids.length;
      setStatus($("room-gallery-status"), `Removed ${count} drawing${count === 1 ? "" : "s"} from every screen and the export.`);
      this.renderGallery();
    } else {
      this.renderMine();
    }
  }

  /** A drawing hidden, restored or approved: the teacher's screens drop it when the class may not see it (a private
   * screen gets it back, marked, in the submission event that follows); a student's own list says so. */
  hidden({ id, hidden, visible }) {
    if (room.role === "teacher") {
      if (!visible) this.gallery.delete(id);
      this.renderGallery();
      return;
    }
    const mine = this.mine.get(id);
    if (!mine) return;
    this.mine.set(id, { ...mine, hidden, pending: visible ? false : mine.pending && !hidden });
    this.renderMine();
  }

  /** Add a drawing at the end of the teacher's snapshots (the room bar's panel arranges and shows them). */
  addSnapshot(id) {
    const { items, names } = this.snapshots ?? { items: [], names: false };
    if (items.some((item) => item.id === id)) return;
    this.request({ type: ROOM.snapshots, items: [...items, { id, caption: "" }], names });
  }

  approveFirst(on) {
    this.approveBox.checked = Boolean(on);
  }

  setNames(visible) {
    this.names = Boolean(visible);
    $("room-names").setAttribute("aria-pressed", String(this.names));
    $("room-names").textContent = this.names ? "Hide names" : "Show names to everyone";
    this.renderGallery();
  }

  renderGallery() {
    if (!this.galleryView) return;
    const items = [...this.gallery.values()];
    this.galleryView.update({ items, shown: this.shown?.id ?? null, names: this.names,
      misreadOnly: $("room-gallery-misread").checked });
    this.matrix.update(tally(items.filter((item) => !item.hidden && !item.pending))); // what the class sees
    $("room-gallery-count").textContent = `${items.length} drawing${items.length === 1 ? "" : "s"}`;
    $("room-show-none").disabled = this.shown === null;
  }

  async exportGallery() {
    const status = $("room-gallery-status");
    try {
      const { blob, filename } = await room.exportGallery();
      download(blob, filename);
      setStatus(status, `Downloaded ${filename}: one PNG per drawing and a CSV of the predictions and tags.`);
    } catch (error) {
      setStatus(status, `The gallery could not be downloaded: ${error.message}`, true);
    }
  }

  request(message) {
    if (!room.send(message)) this.offline($("room-gallery-status"));
  }

  // ---- The drawing shown to everyone ----

  /** Put the shown drawing on the pad (keeping this tab's strokes to come back to), or take it off. */
  show(submission) {
    this.shown = submission ?? null;
    this.renderGallery();
    if (!this.shown) {
      if (this.onPad !== null) this.restore();
      this.caption();
      return;
    }
    if (this.onPad !== this.shown.id) {
      if (this.onPad === null) {
        this.before = { strokes: this.pad.strokes.map((s) => s.points), widths: this.pad.strokes.map((s) => s.width) };
      }
      this.onPad = this.shown.id;
      this.pad.showImage(decodePixels(this.shown.pixels), SIDE); // the page predicts it as for any change
    }
    this.caption();
  }

  restore() {
    const before = this.before;
    this.onPad = this.before = null;
    if (before) this.pad.load(before.strokes, before.widths);
    else this.pad.clear();
  }

  caption() {
    const el = $("room-shown");
    const submission = this.onPad === null ? null : this.shown;
    el.hidden = !submission;
    if (!submission) return;
    const who = room.role === "teacher" ? "Shown to everyone" : "Shown by your teacher";
    const author = submission.author ? ` by ${submission.author}` : "";
    el.textContent = `${who}: drawing #${submission.id}${author}, read as ${submission.prediction} ` +
      `(${meant(submission.tag)}). Draw to take the pad back.`;
    el.dataset.id = String(submission.id);
    el.dataset.prediction = String(submission.prediction);
  }

  // ---- Follow mode: the teacher's pad, live ----

  /** The page changed the pad or the explanation: a stroke takes the pad back from a shown drawing. */
  changed() {
    if (this.onPad !== null && !this.pad.image) {
      this.onPad = this.before = null;
      this.caption();
    }
    if (this.teachers.length) this.takeBack();
    this.sendable();
    room.changed();
  }

  /** A stroke the student starts on the teacher's drawing clears the teacher's strokes from the pad first. */
  takeBack() {
    const { strokes } = this.pad;
    const count = this.teachers.length;
    const ours = this.teachers.every((stroke, i) => strokes[i] === stroke);
    if (!ours || strokes.length <= count) {
      if (!ours) this.teachers = []; // cleared, undone or replaced: the pad is the student's again
      return;
    }
    this.teachers = [];
    strokes.splice(0, count);
    this.pad.redraw(); // calls changed() again, with nothing of the teacher's left
  }

  /** Only the student's own drawing goes to the gallery, not the one the teacher shows. */
  sendable() {
    const button = $("room-submit");
    button.disabled = Boolean(this.pad.image);
    button.textContent = button.disabled ? "Draw your own to send it" : "Send to the class";
  }

  read() {
    return {
      ...compactStrokes(this.pad.strokes, STROKES_BUDGET),
      brush: this.pad.brush,
      ...this.page.explanation(),
      shown: this.pad.image ? this.onPad : null,
    };
  }

  apply(state) {
    this.page.explain(state.explain === true, digitOrNull(state.target));
    this.page.backward(state.backward ?? null);
    this.page.inputGradient(state.inputGradient ?? null);
    if (state.shown !== null && state.shown !== undefined) {
      // The teacher's pad holds the shown drawing: so does this one, once the show event has come.
      if (this.shown?.id === state.shown && this.onPad !== state.shown) this.show(this.shown);
      return;
    }
    if (!Array.isArray(state.strokes) || !state.strokes.every(isPoints)) return;
    const widths = Array.isArray(state.widths) ? state.widths.map((w) => (Number.isFinite(w) && w > 0 ? w : undefined)) : [];
    this.teachers = [];
    this.pad.load(state.strokes, widths); // changed() then drops a shown drawing's caption
    this.teachers = [...this.pad.strokes];
  }

  // ---- Problems ----

  failed(error) {
    if (STUDENT_ERRORS.has(error.request)) setStatus($("room-submit-result"), error.message, true);
    else if (TEACHER_ERRORS.has(error.request)) setStatus($("room-gallery-status"), error.message, true);
  }

  offline(el) {
    setStatus(el, "Not connected to the room right now; it reconnects by itself, try again in a moment.", true);
  }
}

/** The room's part of /lenet: call start() once the page is wired, and changed() whenever the pad or the
 * explanation changes. */
export function connectRoom(page) {
  return new LenetRoom(page);
}
