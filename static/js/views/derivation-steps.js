// The slides' backpropagation derivation, one equation at a time, typeset in MathML with every symbol's current
// number: ∂l/∂ŷ first, then layer 2, then layer 1. The factor carried over from an earlier step is boxed, as on
// the slides, and a step through a sigmoid starts from the slide's σ′ line, σ′(a) = σ(a)(1 − σ(a)). Previous/Next buttons and the arrow keys (Home/End too) walk the steps; later steps stay hidden
// so the class can predict them. Every number comes from the server's xor_derivation message.

import { formatValue } from "../lib/format.js";
import { expression, mi, math, mn, mo, mrow, parens, partial, partialText, symbolText, times } from "../lib/math.js";

const LAYER_TITLES = { loss: "The loss", "layer 2": "Layer 2 (the output neuron)", "layer 1": "Layer 1 (the hidden neurons)" };

/** An expression with every slide name replaced by its current number. */
function substituted(text, values) {
  const tokens = text.split(" ");
  const parts = tokens.map((token) => {
    if (token === "-") return mo("−");
    if (token === "+") return mo("+");
    if (/^-?\d/.test(token)) return mn(Number(token));
    const node = mn(values[token]);
    node.dataset.symbol = token;
    return node;
  });
  const negative = tokens.length === 1 && values[text] < 0; // "· (−0.536)", not "· −0.536"
  return tokens.length > 1 || text.startsWith("-") || negative ? parens(...parts) : parts[0];
}

/** One equation on its own line, left-aligned (block MathML would be centred). */
function line(children, className = "derivation__line") {
  const div = document.createElement("div");
  div.className = className;
  div.append(math(children, "inline"));
  return div;
}

/** A line that goes on with "= …" under the previous one. */
function continued(children) {
  return line([mo("="), ...children], "derivation__line derivation__line--continued");
}

/** σ′ (or σ) applied to its argument, as the slide writes it: σ′(w₅z₁ + w₆z₂ + b₃). */
function sigma(name, argument) {
  const arg = argument.tagName === "mrow" && argument.firstChild?.textContent === "(" ? argument : parens(argument);
  return mrow(mi(name), arg);
}

/** The local derivative through the sigmoid: ∂ŷ/∂w₅ = σ′(w₅z₁ + w₆z₂ + b₃) · z₁, with the factor after σ′. */
function sigmaLine(local, prime, factors) {
  const after = factors.slice(2).map((f) => expression(f.expr));
  return line([partial(local.of, local.wrt), mo("="), times([sigma("σ′", expression(prime.arg)), ...after])]);
}

/** The slide's σ′(a) = σ(a)(1 − σ(a)), then the same with the engine's numbers at this neuron's a. */
function primeLines(prime) {
  const a = () => mi("a");
  const slide = line([sigma("σ′", a()), mo("="), sigma("σ", a()), parens(mn(1), mo("−"), sigma("σ", a()))], "derivation__line derivation__line--sigma");
  const numbers = line([
    sigma("σ′", tagged(mn(prime.a), "sigma-a")), mo("="),
    times([tagged(mn(prime.sigma), "sigma"), parens(mn(1), mo("−"), mn(prime.sigma))]), mo("="),
    tagged(mn(prime.derivative), "sigma-prime"),
  ], "derivation__line derivation__line--sigma");
  return [slide, numbers];
}

/** Where σ's argument and output are written with the slide's names: a = w₅z₁ + w₆z₂ + b₃, σ(a) = ŷ. */
function primeNote(prime) {
  const a = prime.arg.split(" ").map((t) => (t === "+" ? " + " : symbolText(t))).join("");
  return `a = ${a} = ${formatValue(prime.a)}, σ(a) = ${symbolText(prime.out)}. `;
}

function tagged(node, term) {
  node.dataset.term = term;
  return node;
}

function boxed(node) {
  const box = mrow(node);
  box.classList.add("carried");
  return box;
}

function signed(value) {
  const node = tagged(mn(value), "carried");
  return value < 0 ? parens(node) : node;
}

export class DerivationSteps {
  /** options: onStep(step, index) when the shown step changes (to highlight the diagram). */
  constructor(el, { onStep = () => {} } = {}) {
    this.el = el;
    this.onStep = onStep;
    this.index = 0;
    this.steps = [];
    el.classList.add("derivation");
    el.tabIndex = 0;
    el.setAttribute("aria-label", "Derivation steps: use the left and right arrow keys to move");
    const nav = document.createElement("div");
    nav.className = "controls derivation__nav";
    this.prev = this.button("← Previous", "derivation-prev", () => this.show(this.index - 1));
    this.next = this.button("Next →", "derivation-next", () => this.show(this.index + 1));
    this.status = document.createElement("p");
    this.status.className = "derivation__status";
    this.status.setAttribute("aria-live", "polite");
    this.status.dataset.testid = "derivation-status";
    nav.append(this.prev, this.next, this.status);
    this.list = document.createElement("ol");
    this.list.className = "derivation__list";
    el.append(nav, this.list);
    this.keys = (event) => this.key(event);
    el.addEventListener("keydown", this.keys);
  }

  button(text, testid, action) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = text;
    button.dataset.testid = testid;
    button.addEventListener("click", action);
    return button;
  }

  key(event) {
    const moves = { ArrowRight: this.index + 1, ArrowDown: this.index + 1, ArrowLeft: this.index - 1, ArrowUp: this.index - 1, Home: 0, End: this.steps.length - 1 };
    if (!(event.key in moves) || event.target.closest("button, input, select")) return;
    event.preventDefault();
    this.show(moves[event.key]);
  }

  /** data: the xor_derivation message. Keeps the current step when the same derivation is refreshed. */
  update(data) {
    this.data = data;
    this.steps = data.steps;
    this.list.replaceChildren(...this.steps.map((step, i) => this.render(step, i)));
    this.show(Math.min(this.index, this.steps.length - 1), false);
  }

  render(step, i) {
    const item = document.createElement("li");
    item.className = "derivation__step";
    item.dataset.stepId = step.id;
    if (i === 0 || this.steps[i - 1].layer !== step.layer) {
      const heading = document.createElement("h4");
      heading.textContent = LAYER_TITLES[step.layer];
      item.append(heading);
    }
    const values = this.data.values;
    const { target, carried, local, factors } = step;
    const lines = [];
    if (carried) {
      lines.push(line([partial(target.of, target.wrt), mo("="), times([boxed(partial(carried.of, carried.wrt)), partial(local.of, local.wrt)])]));
    }
    // the local term, one equality a line so the steps fit a phone; through a sigmoid, from the slide's σ′ line
    const written = times(factors.map((f) => expression(f.expr)));
    if (step.sigmoid) {
      lines.push(...primeLines(step.sigmoid), sigmaLine(local, step.sigmoid, factors), continued([written]));
    } else {
      lines.push(line([partial(local.of, local.wrt), mo("="), written]));
    }
    lines.push(continued([times(factors.map((f) => substituted(f.expr, values)))]));
    lines.push(continued([tagged(mn(local.value), carried ? "local" : "target")]));
    if (carried) {
      lines.push(line([
        partial(target.of, target.wrt), mo("="), times([boxed(signed(carried.value)), tagged(mn(local.value), "local")]),
        mo("="), tagged(mn(target.value), "target"),
      ]));
    }
    item.append(...lines);
    const note = document.createElement("p");
    note.className = "derivation__note";
    const symbols = [...new Set(factors.flatMap((f) => f.expr.split(" ")).filter((t) => /^[a-z]/.test(t)))];
    const where = symbols.map((s) => `${symbolText(s)} = ${formatValue(values[s])}`).join(", ");
    note.textContent = (carried ? `Boxed: carried over from the step that found ${partialText(carried.of, carried.wrt)}. ` : "")
      + (where || step.sigmoid ? "Here " : "") + (step.sigmoid ? primeNote(step.sigmoid) : "") + (where ? `${where}.` : "");
    item.append(note);
    return item;
  }

  /** Show steps up to index; scroll (when the user moved, not when a derivation arrives) keeps it in view. */
  show(index, scroll = true) {
    if (!this.steps.length) return;
    this.index = Math.max(0, Math.min(this.steps.length - 1, index));
    [...this.list.children].forEach((item, i) => {
      item.hidden = i > this.index;
      item.classList.toggle("is-current", i === this.index);
      if (i === this.index) {
        item.setAttribute("aria-current", "step");
        item.dataset.testid = "derivation-current";
      } else {
        item.removeAttribute("aria-current");
        delete item.dataset.testid;
      }
    });
    const step = this.steps[this.index];
    this.status.textContent = `Step ${this.index + 1} of ${this.steps.length}: ${partialText(step.target.of, step.target.wrt)} = ${formatValue(step.target.value)}`;
    this.prev.disabled = this.index === 0;
    this.next.disabled = this.index === this.steps.length - 1;
    if (scroll) this.list.children[this.index].scrollIntoView({ block: "nearest" });
    this.onStep(step, this.index);
  }

  destroy() {
    this.el.removeEventListener("keydown", this.keys);
    this.el.replaceChildren();
  }
}
