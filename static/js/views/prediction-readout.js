// The network's answer in one big digit with its probability, or "Draw a digit" when the pad is empty: an
// empty pad never shows a guess. An answer left over from before the connection dropped is marked stale.

export class PredictionReadout {
  /** el: a container; the digit goes in its [data-role=digit] child and the sentence in [data-role=detail]. */
  constructor(el) {
    this.el = el;
    this.digit = el.querySelector("[data-role=digit]");
    this.detail = el.querySelector("[data-role=detail]");
    this.update(null);
  }

  /** data: {prediction, probability, taught} or null when nothing is drawn. */
  update(data) {
    this.el.dataset.empty = String(data === null);
    delete this.el.dataset.stale;
    if (data === null) {
      this.digit.textContent = "Draw a digit";
      this.digit.dataset.value = "";
      this.detail.textContent = "The pad is empty, so there is nothing to classify.";
      return;
    }
    this.digit.textContent = String(data.prediction);
    this.digit.dataset.value = String(data.prediction);
    const weights = data.taught ? " (your taught copy of the weights)" : "";
    this.detail.textContent = `with probability ${(100 * data.probability).toFixed(1)}%${weights}`;
  }

  /** Mark the answer on screen as out of date: the connection dropped, so it may not match the drawing. */
  stale() {
    if (this.el.dataset.empty === "true") return;
    this.el.dataset.stale = "true";
    this.detail.textContent = "Connection lost: this answer is for an earlier drawing and may be out of date.";
  }

  destroy() {
    this.digit.textContent = "";
    this.detail.textContent = "";
  }
}
