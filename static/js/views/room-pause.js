// "Eyes up": the teacher pauses the class. The teacher's side is the bar's Pause button (room-pause) with a small
// dialog for the message, and Resume while paused; a student's screen dims under the teacher's message and its
// page takes no input (the page is made inert, and the server refuses a student's changes meanwhile).

export class RoomPause {
  /**
   * els: {button: the bar's room-pause, dialog: room-pause-dialog, overlay: room-paused, blocked: elements a
   * student cannot use while paused}. options: onPause(message or null), onResume().
   */
  constructor({ button, dialog, overlay, blocked }, { onPause, onResume }) {
    this.els = { button, dialog, overlay, blocked };
    this.input = dialog.querySelector("[data-testid=room-pause-message]");
    this.text = overlay.querySelector("[data-testid=room-paused-message]");
    this.data = { role: null, paused: null };
    button.addEventListener("click", () => {
      if (this.data.paused) onResume();
      else dialog.showModal();
    });
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "send") onPause(this.input.value.trim() || null);
    });
  }

  /** data (each part optional): role ("teacher" | "student" | null), paused ({message} or null). */
  update(data) {
    Object.assign(this.data, data);
    const { role, paused } = this.data;
    const { button, overlay, blocked } = this.els;
    button.setAttribute("aria-pressed", String(Boolean(paused)));
    button.textContent = paused ? "Resume the class" : "Pause the class";
    button.classList.toggle("primary", Boolean(paused));
    const dimmed = role === "student" && Boolean(paused);
    overlay.hidden = !dimmed;
    this.text.textContent = paused?.message ?? "";
    for (const el of blocked) el.inert = dimmed;
    document.documentElement.classList.toggle("room-is-paused", dimmed);
  }

  destroy() {
    this.update({ role: null, paused: null });
  }
}
