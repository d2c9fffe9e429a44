// The ten class probabilities as a bar chart: one row per digit with its bar and its percentage as text, the
// predicted digit marked. No probabilities (an empty pad) leaves every bar empty rather than guessing.

const DIGITS = 10;

function percent(p) {
  if (p >= 0.9995) return "100%";
  if (p < 0.0005) return p > 0 ? "<0.1%" : "0%";
  return `${(100 * p).toFixed(1)}%`;
}

export class ProbabilityBars {
  /** el: an empty <ol>; options.label names the chart for screen readers. */
  constructor(el, { label = "Probability of each digit" } = {}) {
    this.el = el;
    el.classList.add("probability-bars");
    el.setAttribute("aria-label", label);
    this.rows = Array.from({ length: DIGITS }, (_, digit) => {
      const row = document.createElement("li");
      row.className = "probability-bars__row";
      row.dataset.digit = String(digit);
      const name = document.createElement("span");
      name.className = "probability-bars__digit";
      name.textContent = String(digit);
      const track = document.createElement("span");
      track.className = "probability-bars__track";
      const fill = document.createElement("span");
      fill.className = "probability-bars__fill";
      track.append(fill);
      const value = document.createElement("span");
      value.className = "probability-bars__value number";
      row.append(name, track, value);
      el.append(row);
      return { row, fill, value };
    });
    this.update(null);
  }

  /** data: {probabilities: 10 numbers, prediction} or null for "nothing drawn". */
  update(data) {
    this.rows.forEach(({ row, fill, value }, digit) => {
      const p = data ? data.probabilities[digit] : 0;
      fill.style.width = `${100 * p}%`;
      value.textContent = data ? percent(p) : "–";
      row.dataset.probability = data ? String(p) : "";
      row.classList.toggle("is-predicted", data !== null && digit === data.prediction);
    });
  }

  destroy() {
    this.el.replaceChildren();
  }
}
