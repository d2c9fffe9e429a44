// The class gallery: every drawing sent to the room as a tile — the 28×28 image LeNet read (black ink on white,
// readable on a projector), its prediction and confidence from the server, what the student meant when they said,
// a mark when LeNet misread it, the author when names are shown — a button to show it to everyone, one to hide it
// from the class (restorable; a hidden or waiting drawing reaches only the teacher's private screen, marked, with
// Restore or Approve), and one to remove it, or every drawing of its author, after a confirmation (the server
// takes them off every screen).

import { SIDE, decodePixels, misread } from "../lib/gallery.js";

/** Paint 28×28 ink bytes on a canvas as black ink on white paper. */
export function paintInk(canvas, pixels) {
  canvas.width = canvas.height = SIDE;
  const context = canvas.getContext("2d");
  const image = context.createImageData(SIDE, SIDE);
  for (let i = 0; i < pixels.length; i++) {
    const paper = 255 - pixels[i];
    image.data.set([paper, paper, paper, 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class ClassGallery {
  /**
   * el: an empty list element (<ol>). options: onShow(id) when the teacher picks a drawing for everyone,
   * onRemove(id, all) when the teacher confirms removing it (all: every drawing of its author), onHide(id, hidden)
   * to hide it from the class or restore it, onApprove(id) to let a waiting drawing appear, onSnapshot(id) to add it
   * to the snapshots of a discussion.
   */
  constructor(el, {
    onShow = () => {}, onRemove = () => {}, onHide = () => {}, onApprove = () => {}, onSnapshot = () => {},
  } = {}) {
    this.el = el;
    this.el.classList.add("class-gallery");
    this.onShow = onShow;
    this.onRemove = onRemove;
    this.onHide = onHide;
    this.onApprove = onApprove;
    this.onSnapshot = onSnapshot;
    this.tiles = new Map(); // id -> {node, signature}
    this.empty = element("li", "class-gallery__empty", "No drawing yet: students send theirs with “Send to the class”.");
    this.el.append(this.empty);
    this.listener = (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      if (button.dataset.show) this.onShow(Number(button.dataset.show));
      else if (button.dataset.hide) this.onHide(Number(button.dataset.hide), button.dataset.hidden === "true");
      else if (button.dataset.approve) this.onApprove(Number(button.dataset.approve));
      else if (button.dataset.snapshot) this.onSnapshot(Number(button.dataset.snapshot));
      else if (button.dataset.removeAsk) this.confirming(button.closest("li"), true);
      else if (button.dataset.removeKeep) this.confirming(button.closest("li"), false);
      else if (button.dataset.remove) this.onRemove(Number(button.dataset.remove), button.dataset.all === "true");
    };
    this.el.addEventListener("click", this.listener);
  }

  /**
   * data: {items: submissions (id, tag, prediction, confidence, pixels, author, hidden, pending), shown: the id
   * everyone sees or
   * null, names: whether authors are shown, misreadOnly: hide the drawings LeNet read as meant or untagged}.
   * Tiles are kept by id (newest first), so an update never moves the keyboard focus.
   */
  update({ items, shown = null, names = false, misreadOnly = false }) {
    const ids = new Set(items.map((item) => item.id));
    for (const [id, { node }] of this.tiles) {
      if (ids.has(id)) continue;
      node.remove(); // removed by the teacher
      this.tiles.delete(id);
    }
    for (const item of items) this.upsert(item, names);
    for (const [id, { node, item }] of this.tiles) {
      const isShown = id === shown;
      node.classList.toggle("is-shown", isShown);
      node.hidden = misreadOnly && !misread(item);
      const button = node.querySelector("button[data-show]");
      button.setAttribute("aria-pressed", String(isShown));
      button.textContent = isShown ? "Shown to everyone" : "Show to everyone";
    }
    this.empty.hidden = this.tiles.size > 0;
    this.el.dataset.count = String(this.tiles.size);
  }

  upsert(item, names) {
    const signature = JSON.stringify([item.tag, item.prediction, item.confidence, names && item.author,
      Boolean(item.hidden), Boolean(item.pending)]);
    const known = this.tiles.get(item.id);
    if (known && known.signature === signature) return;
    const node = known?.node ?? this.place(item.id);
    this.fill(node, item, names);
    this.tiles.set(item.id, { node, signature, item });
  }

  /** A new tile, before the first tile of an older drawing. */
  place(id) {
    const node = element("li", "class-gallery__tile");
    node.dataset.testid = "room-gallery-item";
    node.dataset.id = String(id);
    const older = [...this.tiles.keys()].filter((other) => other < id).sort((a, b) => b - a)[0];
    this.el.insertBefore(node, older === undefined ? null : this.tiles.get(older).node);
    return node;
  }

  fill(node, item, names) {
    const canvas = element("canvas", "class-gallery__image");
    canvas.setAttribute("role", "img");
    paintInk(canvas, decodePixels(item.pixels));
    const confidence = `${Math.round(100 * item.confidence)}%`;
    canvas.setAttribute("aria-label", `Drawing ${item.id}, read as ${item.prediction} with ${confidence}`);
    const read = element("p", "class-gallery__read");
    read.append(element("span", "class-gallery__digit", String(item.prediction)),
      element("span", "class-gallery__confidence", confidence));
    read.dataset.prediction = String(item.prediction);
    const meant = element("p", "class-gallery__meant");
    if (item.tag === null) meant.textContent = "not tagged";
    else meant.textContent = misread(item) ? `meant ${item.tag} ✗` : `meant ${item.tag} ✓`;
    const meta = element("p", "class-gallery__meta", `#${item.id}${names && item.author ? ` · ${item.author}` : ""}`);
    const button = element("button", "class-gallery__show", "Show to everyone");
    button.type = "button";
    button.dataset.show = String(item.id);
    button.dataset.testid = `room-show-${item.id}`;
    button.setAttribute("aria-label", `Show drawing ${item.id} to everyone`);
    node.dataset.prediction = String(item.prediction);
    node.dataset.tag = item.tag === null ? "" : String(item.tag);
    node.classList.toggle("is-misread", misread(item));
    const kept = Boolean(item.hidden || item.pending); // the class does not see it: only this private screen does
    node.classList.toggle("is-kept", kept);
    node.dataset.hidden = String(Boolean(item.hidden));
    node.dataset.pending = String(Boolean(item.pending));
    button.disabled = kept;
    if (item.hidden) meta.append(" · hidden from the class");
    else if (item.pending) meta.append(" · waits for your approval");
    node.replaceChildren(canvas, read, meant, meta, button, ...this.moderation(item), this.removal(item.id));
  }

  /** The tile's "+ Snapshot" and Hide or Restore buttons, and Approve while the drawing waits for approval. */
  moderation(item) {
    const hide = element("button", "class-gallery__hide", item.hidden ? "Restore" : "Hide");
    hide.type = "button";
    Object.assign(hide.dataset, { hide: String(item.id), hidden: String(!item.hidden) });
    hide.dataset.testid = `room-hide-${item.id}`;
    const doing = item.hidden ? "Restore" : "Hide";
    hide.setAttribute("aria-label", `${doing} drawing ${item.id} ${item.hidden ? "to" : "from"} the class`);
    const snapshot = element("button", "class-gallery__snapshot", "+ Snapshot");
    snapshot.type = "button";
    snapshot.disabled = Boolean(item.hidden || item.pending);
    Object.assign(snapshot.dataset, { snapshot: String(item.id), testid: `room-snapshot-add-${item.id}` });
    snapshot.setAttribute("aria-label", `Add drawing ${item.id} to the snapshots`);
    if (!item.pending) return [snapshot, hide];
    const approve = element("button", "class-gallery__approve primary", "Approve");
    approve.type = "button";
    Object.assign(approve.dataset, { approve: String(item.id), testid: `room-approve-${item.id}` });
    approve.setAttribute("aria-label", `Approve drawing ${item.id}: the class sees it`);
    return [approve, hide];
  }

  /** The tile's "Remove…" button and the confirmation it opens: this drawing, or every one of its author. */
  removal(id) {
    const box = element("div", "class-gallery__remove");
    const ask = element("button", "class-gallery__remove-ask", "Remove…");
    ask.type = "button";
    ask.dataset.removeAsk = "true";
    ask.dataset.testid = `room-remove-${id}`;
    ask.setAttribute("aria-label", `Remove drawing ${id}…`);
    const confirm = element("div", "class-gallery__remove-confirm");
    confirm.hidden = true;
    confirm.setAttribute("role", "group");
    confirm.setAttribute("aria-label", `Remove drawing ${id}`);
    const choice = (text, all, testid) => {
      const button = element("button", all === null ? "" : "class-gallery__danger", text);
      button.type = "button";
      if (all === null) button.dataset.removeKeep = "true";
      else Object.assign(button.dataset, { remove: String(id), all: String(all) });
      button.dataset.testid = testid;
      return button;
    };
    confirm.append(choice("This drawing", false, `room-remove-one-${id}`),
      choice("All by this student", true, `room-remove-all-${id}`), choice("Keep", null, `room-remove-keep-${id}`));
    box.append(ask, confirm);
    return box;
  }

  /** Open or close a tile's confirmation of a removal, the focus on its first choice (or back on "Remove…"). */
  confirming(node, open) {
    const ask = node.querySelector("[data-remove-ask]");
    const confirm = node.querySelector(".class-gallery__remove-confirm");
    ask.hidden = open;
    confirm.hidden = !open;
    (open ? confirm.querySelector("button") : ask).focus();
  }

  destroy() {
    this.el.removeEventListener("click", this.listener);
    this.el.replaceChildren();
    this.tiles.clear();
  }
}
