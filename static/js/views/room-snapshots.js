// Snapshots for a discussion: the drawing the teacher shows everyone now (28×28, large), its place in the sequence,
// the teacher's caption and, only when the teacher shows names, its author. The teacher also gets the sequence to
// arrange (captions, order, names, remove) and Show / Previous / Next / Stop. Drawings are picked from the LeNet
// page's gallery; the server keeps the list and sends each snapshot to every screen.

import { decodePixels } from "../lib/gallery.js";
import { paintInk } from "./class-gallery.js";

function button(text, testid, action, label = text) {
  const el = document.createElement("button");
  el.type = "button";
  el.textContent = text;
  el.dataset.testid = testid;
  el.dataset.action = action;
  el.setAttribute("aria-label", label);
  return el;
}

export class RoomSnapshots {
  /**
   * el: the snapshot panel (templates/_room.html). options: onList({items, names}) to send the teacher's new
   * sequence, onShow(index or null) to show a snapshot to everyone or none.
   */
  constructor(el, { onList, onShow }) {
    this.el = el;
    const part = (name) => el.querySelector(`[data-testid=${name}]`);
    this.parts = {
      shown: part("room-snapshot-shown"), image: part("room-snapshot-image"), position: part("room-snapshot-position"),
      caption: part("room-snapshot-caption"), author: part("room-snapshot-author"),
      teacher: part("room-snapshot-teacher"), list: part("room-snapshot-list"), names: part("room-snapshot-names"),
    };
    this.data = { role: null, snapshot: null, snapshots: { items: [], names: false } };
    this.onList = onList;
    part("room-snapshot-names").addEventListener("change", (event) => this.send({ names: event.target.checked }));
    el.addEventListener("click", (event) => {
      const action = event.target.closest("button[data-action]")?.dataset.action;
      if (!action) return;
      const at = this.data.snapshot?.index ?? null;
      const count = this.data.snapshots.items.length;
      if (action === "start") onShow(0);
      else if (action === "next" && at !== null && at + 1 < count) onShow(at + 1);
      else if (action === "prev" && at !== null && at > 0) onShow(at - 1);
      else if (action === "stop") onShow(null);
      else if (action.startsWith("up:")) this.move(Number(action.slice(3)));
      else if (action.startsWith("drop:")) this.drop(Number(action.slice(5)));
    });
    this.parts.list.addEventListener("change", (event) => {
      const index = Number(event.target.dataset.index);
      if (!Number.isInteger(index)) return;
      const caption = event.target.value.trim();
      const items = this.data.snapshots.items.map((item, i) => (i === index ? { ...item, caption } : item));
      this.send({ items });
    });
  }

  /** Send the sequence with these parts changed. */
  send(changes) {
    this.onList({ ...this.data.snapshots, ...changes });
  }

  /** Add a drawing at the end of the sequence (from the gallery); a drawing already in it stays where it is. */
  add(id) {
    const { items } = this.data.snapshots;
    if (!items.some((item) => item.id === id)) this.send({ items: [...items, { id, caption: "" }] });
  }

  move(index) {
    const items = [...this.data.snapshots.items];
    if (index <= 0) return;
    [items[index - 1], items[index]] = [items[index], items[index - 1]];
    this.send({ items });
  }

  drop(index) {
    this.send({ items: this.data.snapshots.items.filter((_, i) => i !== index) });
  }

  /** data (each part optional): role, snapshot ({index, count, caption, submission} shown to everyone, or null),
   * snapshots (the teacher's sequence: {items: [{id, caption}], names}). */
  update(data) {
    Object.assign(this.data, data);
    const { role, snapshot, snapshots } = this.data;
    const teacher = role === "teacher";
    this.parts.shown.hidden = !snapshot;
    if (snapshot) {
      paintInk(this.parts.image, decodePixels(snapshot.submission.pixels));
      this.parts.image.setAttribute("aria-label", `Drawing ${snapshot.index + 1} of the snapshots`);
      this.parts.position.textContent = `Snapshot ${snapshot.index + 1} of ${snapshot.count}`;
      this.parts.caption.textContent = snapshot.caption;
      this.parts.caption.hidden = !snapshot.caption;
      this.parts.author.textContent = snapshot.submission.author ? `by ${snapshot.submission.author}` : "";
      this.parts.author.hidden = !snapshot.submission.author;
    }
    this.parts.teacher.hidden = !teacher || snapshots.items.length === 0;
    this.el.hidden = !snapshot && this.parts.teacher.hidden;
    this.el.dataset.index = snapshot ? String(snapshot.index) : "";
    if (teacher) this.renderList();
  }

  renderList() {
    const { snapshots, snapshot } = this.data;
    this.parts.names.checked = snapshots.names;
    const focused = document.activeElement?.dataset?.index;
    this.parts.list.replaceChildren(...snapshots.items.map((item, index) => {
      const li = document.createElement("li");
      li.dataset.testid = `room-snapshot-item-${index}`;
      li.classList.toggle("is-shown", snapshot?.index === index);
      const label = document.createElement("label");
      label.append(`#${item.id} `);
      const caption = document.createElement("input");
      Object.assign(caption, { type: "text", maxLength: 200, value: item.caption, placeholder: "caption" });
      caption.dataset.index = String(index);
      caption.dataset.testid = `room-snapshot-caption-${index}`;
      label.append(caption);
      li.append(label, button("↑", `room-snapshot-up-${index}`, `up:${index}`, `Move snapshot ${index + 1} up`),
        button("×", `room-snapshot-drop-${index}`, `drop:${index}`, `Take snapshot ${index + 1} out`));
      return li;
    }));
    if (focused !== undefined) this.parts.list.querySelector(`input[data-index="${focused}"]`)?.focus();
  }

  destroy() {
    this.update({ role: null, snapshot: null, snapshots: { items: [], names: false } });
  }
}
