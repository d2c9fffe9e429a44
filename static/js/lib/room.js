// The classroom room this tab belongs to, without the DOM: membership kept per tab (sessionStorage), the
// /ws/room socket, and follow mode. A teacher's tab reports what its page shows (page, query, anchor and the
// live state its page shares); a following student's tab goes to the same page and applies that state.
// Pages share live state with `room.share({read, apply})` and call `room.changed()` when it changes; views
// listen with `room.on(type, handler)` for the server's events (docs/protocol/room.md).
// An adapter may name `live` query parameters (the conv page's step, say) that its apply() sets in place: a
// teacher's change of those alone never reloads a following student's page. A page the class should not be sent
// to (the teacher's dashboard, the home page) sets `room.shareable = false` before start(). `present` (the
// presentation mode of one screen) is never sent to the room.

import { ROOM } from "./protocol.js";
import { Socket } from "./socket.js";
import { URL_CHANGED } from "./url-state.js";

const STORAGE_KEY = "backprop-lab.room";
const SEND_EVERY_MS = 100; // the teacher's view at most 10 times a second
const PERSONAL = ["present"]; // query parameters of one screen alone, never sent to nor followed from the room
const RETRY_JOIN_MS = 5000; // a join refused for a while (see joinsAgain) is sent again after this long
const PASSING = new Set(["too_many_attempts", "unavailable"]); // throttled; the rooms' store (Redis) is away

/** The membership this tab keeps: {code, key (teacher only), member, name, following}, or null. */
export function loadMembership() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null");
    return stored && typeof stored.code === "string" ? stored : null;
  } catch {
    return null;
  }
}

export function saveMembership(membership) {
  try {
    if (membership) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(membership));
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage is off: membership lasts as long as this page
  }
}

/** Whether a refused join is only for a while (this address is throttled, or the server's rooms' store does not
 * answer), so the tab keeps its membership and joins again by itself. */
export function joinsAgain(error) {
  return error.request === ROOM.join && PASSING.has(error.code);
}

/** A query string without the parameters named in `drop` ("" when none is left). */
export function withoutParams(query, drop) {
  const params = new URLSearchParams(query);
  if (!drop.some((name) => params.has(name))) return query;
  for (const name of drop) params.delete(name);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/**
 * Two page addresses are the same view when path, query parameters (in any order, but those in `ignore` and the
 * personal ones) and anchor agree.
 */
export function sameAddress(a, b, ignore = []) {
  const skip = new Set([...ignore, ...PERSONAL]);
  const params = (query) => [...new URLSearchParams(query)].filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${k}=${v}`).sort().join("&");
  return a.page === b.page && params(a.query) === params(b.query) && (a.anchor ?? "") === (b.anchor ?? "");
}

class Room {
  constructor() {
    this.membership = loadMembership();
    this.socket = null;
    this.role = null; // "teacher" | "student" once joined
    this.view = null; // the teacher's last view (students)
    this.joined = null; // the last joined message, for a page whose handlers came after it
    this.adapter = null; // {read, apply} of the page's live state
    this.handlers = new Map();
    this.timer = null;
    this.lastSent = 0;
    this.shareable = true; // false: this page's address is not sent to the room (see the top of this file)
    this.retry = null; // the timer of a throttled join's next try
    this.private = false; // a teacher's own screen (not the projected one): set by the page before start()
  }

  get active() {
    return this.membership !== null;
  }

  get following() {
    return this.role === "student" && this.membership?.following !== false;
  }

  /** Join (or rejoin after a reload) the room of this tab's membership; nothing when there is none. */
  start() {
    if (!this.membership || this.socket) return;
    this.socket = new Socket("/ws/room", {
      onStatus: (status) => {
        this.emit("status", status);
        clearTimeout(this.retry);
        if (status === "ready") this.join();
      },
      onMessage: (message) => this.receive(message),
      onError: (error) => this.failed(error),
    });
    window.addEventListener(URL_CHANGED, () => this.changed());
    window.addEventListener("hashchange", () => this.changed());
  }

  /** Enter a room: as its teacher with key, else as a student; the page then starts the socket. */
  enter({ code, key = null, name = "" }) {
    this.membership = { code, key, name, member: null, following: true };
    saveMembership(this.membership);
  }

  /** Leave the room for good on this tab. */
  leave() {
    clearTimeout(this.retry);
    saveMembership(null);
    this.membership = null;
    this.socket?.close();
    this.socket = null;
    this.role = null;
    this.joined = null;
    this.emit("left", null);
  }

  join() {
    const { code, key, member, name } = this.membership;
    const message = { type: ROOM.join, code };
    if (key) message.key = key;
    if (key && this.private) message.private = true;
    if (member) message.member = member;
    if (name) message.name = name;
    this.socket.send(message);
  }

  receive(message) {
    if (message.type === ROOM.joined) {
      this.joined = message;
      this.role = message.role;
      this.membership = { ...this.membership, code: message.code, member: message.member };
      saveMembership(this.membership);
      this.view = message.view;
      if (this.role === "teacher") this.sendView();
    }
    if (message.type === ROOM.view) this.view = message;
    this.emit(message.type, message);
    if ((message.type === ROOM.joined || message.type === ROOM.view) && this.view && this.following) this.follow();
    if (message.type === ROOM.ended) this.leave();
  }

  failed(error) {
    // A join throttled for this address (a class behind one address joins a few at a time) or unanswered while the
    // rooms' store is away is tried again in a moment; a code that no longer opens a room (or a key that is not
    // the teacher's) ends the membership.
    if (joinsAgain(error)) {
      this.emit("refused", error);
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.socket && this.join(), RETRY_JOIN_MS);
      return;
    }
    if (error.request === ROOM.join) {
      this.emit("refused", error);
      this.leave();
      return;
    }
    this.emit("error", error);
  }

  /** Students: stop following to explore, or follow again (back to the teacher's view at once). */
  setFollowing(on) {
    if (!this.membership) return;
    this.membership = { ...this.membership, following: on, arrived: null };
    saveMembership(this.membership);
    this.emit("following", on);
    if (on && this.view) this.follow();
  }

  /**
   * Go where the teacher is: another address loads it; the same one applies the live state in place. A page that
   * rewrites its own address once loaded (filling in defaults, say) is not loaded again for the same view: the
   * membership remembers where the last follow went (`arrived`).
   */
  follow() {
    const here = { page: location.pathname, query: location.search, anchor: location.hash };
    const live = this.adapter?.live ?? [];
    const arrived = this.membership.arrived;
    const landed = arrived && arrived.page === here.page && sameAddress(arrived, this.view, live);
    if (!sameAddress(here, this.view, live) && !landed) {
      const { page, query, anchor } = this.view;
      this.membership = { ...this.membership, arrived: { page, query, anchor } };
      saveMembership(this.membership);
      location.assign(`${page}${query}${anchor ?? ""}`);
      return;
    }
    this.adapter?.apply(this.view.state ?? {}, this.view);
  }

  /**
   * A page's live state that follows the teacher: {read, apply, live}: read() on the teacher's tab, apply(state,
   * view) on students', live: the query parameters apply() sets in place (optional).
   */
  share(adapter) {
    this.adapter = adapter;
    this.changed();
    if (this.following && this.view && sameAddress(
      { page: location.pathname, query: location.search, anchor: location.hash }, this.view, adapter.live ?? [])) {
      adapter.apply(this.view.state ?? {}, this.view);
    }
  }

  /** The teacher's page changed what it shows: tell the room (at most every SEND_EVERY_MS). */
  changed() {
    if (this.role !== "teacher" || this.timer) return;
    const wait = Math.max(0, this.lastSent + SEND_EVERY_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.sendView();
    }, wait);
  }

  sendView() {
    if (!this.shareable) return;
    this.lastSent = performance.now();
    this.send({
      type: ROOM.view,
      page: location.pathname,
      query: withoutParams(location.search, PERSONAL),
      anchor: location.hash,
      state: this.adapter?.read() ?? {},
    });
  }

  /** The teacher's gallery export, {blob, filename}; throws with the server's sentence when it is refused. */
  async exportGallery() {
    const { code, key } = this.membership ?? {};
    const response = await fetch(`/api/rooms/${encodeURIComponent(code)}/export.zip`, { headers: { "X-Teacher-Key": key ?? "" } });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.message ?? `HTTP ${response.status}`);
    }
    return { blob: await response.blob(), filename: `room-${code}-gallery.zip` };
  }

  /** Send a request to the room (JSON object or binary frame); false when not connected. */
  send(message) {
    return this.socket?.send(message) ?? false;
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
    return () => this.handlers.get(type).delete(handler);
  }

  emit(type, detail) {
    for (const handler of this.handlers.get(type) ?? []) handler(detail);
  }
}

/** The one room of this tab: every module that imports it shares it. */
export const room = new Room();
