// The network's answer in one big digit with its probability, or "Draw a digit" when the pad is empty: an
// empty pad never shows a guess.

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

  destroy() {
    this.digit.textContent = "";
    this.detail.textContent = "";
  }
}
