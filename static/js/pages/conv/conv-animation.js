// The walkthrough's clock, without the DOM: while playing, each step shows its window, then its products, then
// its sum (the phase); at high speeds the phases are skipped and several steps go by per tick. Only timing here.

const FAST_MS = 60; // below this many milliseconds per phase, a tick shows whole steps

/** Milliseconds per phase at speed 1…10. */
function phaseMs(speed) {
  return 1200 * 0.55 ** (speed - 1);
}

export class Animation {
  /**
   * position: the settings' state, whose step the clock moves and whose speed it reads. total() → how many steps;
   * show(): show the step in this.phase; end(): the last step has been shown (the controller stops).
   */
  constructor(position, { total, show, end }) {
    this.position = position;
    this.total = total;
    this.show = show;
    this.end = end;
    this.playing = false;
    this.phase = "sum"; // "window" | "products" | "sum"
    this.timer = null;
  }

  /** Start from the window of the current step (the first after the last; the caller shows it); false: no steps. */
  start() {
    const total = this.total();
    if (!total) return false;
    if (this.position.step >= total - 1) this.position.step = 0;
    this.playing = true;
    this.phase = "window";
    this.schedule();
    return true;
  }

  /** Stop and show whole sums again; false when it was not playing. */
  stop() {
    if (!this.playing) return false;
    this.playing = false;
    clearTimeout(this.timer);
    this.phase = "sum";
    return true;
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), Math.max(16, phaseMs(this.position.speed)));
  }

  tick() {
    if (!this.playing) return;
    const ms = phaseMs(this.position.speed);
    const fast = ms < FAST_MS;
    if (!fast && this.phase !== "sum") {
      this.phase = this.phase === "window" ? "products" : "sum";
      this.show();
      return this.schedule();
    }
    const stride = fast ? Math.max(1, Math.round(FAST_MS / ms / 3)) : 1;
    const total = this.total();
    if (this.position.step >= total - 1) return this.end();
    this.position.step = Math.min(total - 1, this.position.step + stride);
    this.phase = fast ? "sum" : "window";
    this.show();
    this.schedule();
  }
}
