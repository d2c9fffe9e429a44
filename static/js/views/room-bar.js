// The room bar at the top of every page while this tab is in a classroom room: the join code; for the teacher the
// students connected, "Ask the room" and the dashboard link; for a student whether this screen follows the teacher,
// with the toggle to explore alone or follow again; Leave for both. Below it, a notice (a refused code, an ended
// room) that stays until closed, even once the tab has left the room. On a phone the bar is one line: its buttons
// and a put-away question come out with the expand button (room.css folds the region by its data-folded).

const CONNECTION = { connecting: "Connecting…", closed: "Connection lost, reconnecting…" };

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export class RoomBar {
  /** el: the room region (templates/_room.html). options: onAsk(), onFollow(on), onLeave(), onExpand(open). */
  constructor(el, { onAsk, onFollow, onLeave, onExpand = () => {} }) {
    this.el = el;
    const part = (name) => el.querySelector(`[data-testid=${name}]`);
    this.parts = {
      bar: part("room-bar"), code: part("room-bar-code"), state: part("room-bar-state"), toggle: part("room-follow-toggle"),
      notice: part("room-notice"), noticeText: part("room-notice-text"), expand: part("room-expand"),
    };
    this.data = {
      role: null, code: null, students: 0, following: true, status: "connecting", notice: null, paused: false,
    };
    part("room-ask").addEventListener("click", () => onAsk());
    this.parts.toggle.addEventListener("click", () => onFollow(!this.data.following));
    part("room-leave").addEventListener("click", () => onLeave());
    part("room-notice-close").addEventListener("click", () => this.update({ notice: null }));
    this.parts.expand.addEventListener("click", () => {
      const open = !this.expanded;
      this.expand(open);
      onExpand(open);
    });
  }

  get expanded() {
    return this.el.dataset.folded === "false";
  }

  /** Unfold the region (a phone's bar shows its buttons) or fold it back to one line. */
  expand(open) {
    this.el.dataset.folded = String(!open);
    this.parts.expand.setAttribute("aria-expanded", String(open));
    this.parts.expand.textContent = open ? "▴" : "▾";
  }

  /** data (each part optional): role ("teacher" | "student" | null: not in a room), code, students, following,
   * status (the socket's), notice (a sentence, or null), paused (the teacher paused the class: said on the
   * teacher's one line, which a phone shows without unfolding). */
  update(data) {
    Object.assign(this.data, data);
    const { role, code, students, following, status, notice, paused } = this.data;
    const { bar, state, toggle } = this.parts;
    bar.hidden = !code;
    bar.dataset.role = role ?? "";
    this.parts.code.textContent = code ?? "";
    for (const el of bar.querySelectorAll("[data-role]")) el.hidden = el.dataset.role !== role;
    if (CONNECTION[status]) state.textContent = CONNECTION[status];
    else if (role === "teacher") {
      state.textContent = `${paused ? "Paused · " : ""}${plural(students, "student")} connected`;
    }
    else state.textContent = following ? "Following your teacher" : "Exploring on your own";
    state.dataset.state = status === "ready" ? (role === "student" && !following ? "exploring" : "ready") : status;
    toggle.textContent = following ? "Explore on my own" : "Follow the teacher again";
    toggle.title = following
      ? "Stop following: this screen stays where you take it"
      : "Back to what your teacher shows, and follow it again";
    toggle.classList.toggle("primary", !following);
    this.parts.notice.hidden = !notice;
    this.parts.noticeText.textContent = notice ?? "";
    this.el.hidden = !code && !notice;
  }

  destroy() {
    this.update({ role: null, code: null, notice: null });
  }
}
