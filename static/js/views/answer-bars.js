// How a room answered a question, as columns: one per possible answer (the ten digits, the choices, or the numbers
// given, most frequent first), its count as text above a bar whose height is its share; the total above them all.
// After the reveal the correct answer's column is marked, and a student's own answer too.

const MAX_NUMBERS = 8; // a number question shows its most frequent answers; the rest are counted together

/** The answers to show, in order: [value, count] pairs. */
function columns(kind, choices, counts) {
  if (kind === "digit") return Array.from({ length: 10 }, (_, d) => [String(d), counts[String(d)] ?? 0]);
  if (kind === "choice") return choices.map((choice) => [choice, counts[choice] ?? 0]);
  const given = Object.entries(counts).sort((a, b) => b[1] - a[1] || Number(a[0]) - Number(b[0]));
  if (given.length <= MAX_NUMBERS) return given;
  const rest = given.slice(MAX_NUMBERS - 1).reduce((sum, [, count]) => sum + count, 0);
  return [...given.slice(0, MAX_NUMBERS - 1), ["other", rest]];
}

export class AnswerBars {
  /** el: an empty element; options.label names the chart for screen readers. */
  constructor(el, { label = "Answers of the room" } = {}) {
    this.el = el;
    el.classList.add("answer-bars");
    this.total = document.createElement("p");
    this.total.className = "answer-bars__total";
    this.total.dataset.testid = `${el.dataset.testid ?? "answers"}-total`;
    this.list = document.createElement("ol");
    this.list.className = "answer-bars__columns";
    this.list.setAttribute("aria-label", label);
    el.replaceChildren(this.total, this.list);
  }

  /** data: {kind, choices, counts: {value: count}, total, answer (the correct one, optional), mine (optional)}. */
  update({ kind, choices = [], counts = {}, total = 0, answer = null, mine = null }) {
    const shown = columns(kind, choices, counts);
    const most = Math.max(1, ...shown.map(([, count]) => count));
    this.total.textContent = total === 1 ? "1 answer" : `${total} answers`;
    this.list.replaceChildren(...shown.map(([value, count]) => {
      const item = document.createElement("li");
      item.className = "answer-bars__column";
      item.dataset.value = value;
      item.classList.toggle("is-correct", answer !== null && value === answer);
      item.classList.toggle("is-mine", mine !== null && value === mine);
      const number = document.createElement("span");
      number.className = "answer-bars__count number";
      number.textContent = String(count);
      const track = document.createElement("span");
      track.className = "answer-bars__track";
      const bar = document.createElement("span");
      bar.className = "answer-bars__bar";
      bar.style.height = `${(100 * count) / most}%`;
      track.append(bar);
      const name = document.createElement("span");
      name.className = "answer-bars__value";
      name.textContent = value === answer ? `✓ ${value}` : value;
      item.setAttribute("aria-label", `${value}: ${count}${value === answer ? ", the correct answer" : ""}`);
      item.append(number, track, name);
      return item;
    }));
  }

  destroy() {
    this.el.replaceChildren();
  }
}
