// The walkthrough's player: First, Back, Play/Pause, Step, Last, the speed, "hide cells not reached yet", the step
// count, the sentence saying what the step did (read out by screen readers), and the page's keys: Space plays or
// pauses; arrows and Page Up/Down step; Home and End go to the first and last step. It reports what was asked.

export class ConvPlayer {
  /**
   * el: the player's controls. options: announce (the element for the sentence), onToggle(), onStep(delta),
   * onFirst(), onLast(), onSpeed(value), onHide(checked).
   */
  constructor(el, options) {
    this.el = el;
    this.options = options;
    const $ = (id) => el.querySelector(`#${id}`);
    this.play = $("conv-play");
    this.speed = $("conv-speed");
    this.hide = $("conv-hide");
    this.count = $("conv-step-count");
    this.total = 0;
    this.play.addEventListener("click", () => options.onToggle());
    $("conv-next").addEventListener("click", () => options.onStep(1));
    $("conv-prev").addEventListener("click", () => options.onStep(-1));
    $("conv-first").addEventListener("click", () => options.onFirst());
    $("conv-last").addEventListener("click", () => options.onLast());
    this.speed.addEventListener("input", () => options.onSpeed(Number(this.speed.value)));
    this.hide.addEventListener("change", () => options.onHide(this.hide.checked));
    this.onKey = (event) => this.key(event);
    document.addEventListener("keydown", this.onKey);
  }

  /** data (each part optional): playing, speed, hide, step with total (the count), announce (the sentence). */
  update(data) {
    if (data.playing !== undefined) {
      this.play.textContent = data.playing ? "Pause" : "Play";
      this.play.setAttribute("aria-pressed", String(data.playing));
    }
    if (data.speed !== undefined) this.speed.value = data.speed;
    if (data.hide !== undefined) this.hide.checked = Boolean(data.hide);
    if (data.total !== undefined) {
      this.total = data.total;
      this.count.textContent = data.total ? `Step ${data.step + 1} of ${data.total}` : "";
    }
    if (data.announce !== undefined) this.options.announce.textContent = data.announce;
  }

  key(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target.closest?.("input, select, textarea, [contenteditable]")) return;
    if (event.key === " " || event.key === "Spacebar") {
      if (target.closest?.("button, a, summary, td")) return;
      event.preventDefault();
      return this.options.onToggle();
    }
    const moves = { ArrowRight: 1, ArrowDown: 1, PageDown: 1, ArrowLeft: -1, ArrowUp: -1, PageUp: -1 };
    if (moves[event.key]) {
      event.preventDefault();
      return this.options.onStep(moves[event.key]);
    }
    if (event.key === "Home") {
      event.preventDefault();
      this.options.onFirst();
    } else if (event.key === "End" && this.total) {
      event.preventDefault();
      this.options.onLast();
    }
  }

  destroy() {
    document.removeEventListener("keydown", this.onKey);
  }
}
