// Which way the walkthrough goes: the Forward / Backward buttons, the stage's heading, and, backward, the choice
// of the gradient arriving at the last output (all ones, or 1 at a clicked cell: the controller hears the click).

export class ConvDirection {
  /** el: the stage's panel. options: onMode("forward" | "backward"), onGradOnes(). */
  constructor(el, options) {
    this.el = el;
    this.buttons = [...el.querySelectorAll("[data-mode]")];
    this.controls = el.querySelector("#conv-backward-controls");
    this.heading = el.querySelector("#conv-stage-heading");
    for (const button of this.buttons) button.addEventListener("click", () => options.onMode(button.dataset.mode));
    el.querySelector("#conv-grad-ones").addEventListener("click", () => options.onGradOnes());
  }

  /** data: mode. */
  update({ mode }) {
    for (const button of this.buttons) button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
    this.controls.hidden = mode !== "backward";
    this.heading.textContent = mode === "backward" ? "The gradient flows back" : "The window slides";
  }

  destroy() {}
}
