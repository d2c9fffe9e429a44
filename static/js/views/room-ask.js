// The teacher's "Ask the room" dialog: the question, how students answer it (a digit, a number, or one of 2 to 6
// choices), suggestions that fit the page shown, and Ask. Checks what the server would refuse before sending.

const MAX_CHOICES = 6;

export class RoomAsk {
  /** el: the <dialog> (templates/_room.html). options: onSend({prompt, kind, choices}). */
  constructor(el, { onSend }) {
    this.el = el;
    const part = (name) => el.querySelector(`[data-testid=${name}]`);
    this.parts = {
      prompt: part("room-ask-prompt"), kind: part("room-ask-kind"), choices: part("room-ask-choices"),
      suggestions: part("room-ask-suggestions"), error: part("room-ask-error"),
    };
    this.parts.kind.addEventListener("change", () => this.showChoices());
    el.querySelector("form").addEventListener("submit", (event) => {
      if (event.submitter?.value !== "send") return; // Cancel closes the dialog
      const question = this.read();
      if (typeof question === "string") {
        event.preventDefault();
        this.error(question);
        return;
      }
      onSend(question);
    });
  }

  /** Open the dialog with the page's suggestions: [{prompt, kind, choices}]. */
  open(suggestions = []) {
    const { suggestions: box } = this.parts;
    box.hidden = suggestions.length === 0;
    box.querySelectorAll("button").forEach((button) => button.remove());
    for (const suggestion of suggestions) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "room-ask__suggestion";
      button.textContent = suggestion.prompt;
      button.addEventListener("click", () => this.fill(suggestion));
      box.append(button);
    }
    this.error(null);
    this.el.showModal();
    this.parts.prompt.focus();
  }

  fill({ prompt, kind, choices = [] }) {
    this.parts.prompt.value = prompt;
    this.parts.kind.value = kind;
    this.parts.choices.value = choices.join(", ");
    this.showChoices();
    this.parts.prompt.focus();
  }

  showChoices() {
    this.parts.choices.closest("label").hidden = this.parts.kind.value !== "choice";
  }

  /** The question typed, or the sentence saying what is missing. */
  read() {
    const prompt = this.parts.prompt.value.trim();
    const kind = this.parts.kind.value;
    if (!prompt) return "Type the question first.";
    if (kind !== "choice") return { prompt, kind, choices: [] };
    const choices = [...new Set(this.parts.choices.value.split(",").map((c) => c.trim()).filter(Boolean))];
    if (choices.length < 2 || choices.length > MAX_CHOICES) return `Give 2 to ${MAX_CHOICES} different choices, separated by commas.`;
    if (choices.some((choice) => choice.length > 40)) return "Each choice is at most 40 characters.";
    return { prompt, kind, choices };
  }

  error(sentence) {
    this.parts.error.hidden = !sentence;
    this.parts.error.textContent = sentence ?? "";
  }

  destroy() {
    if (this.el.open) this.el.close();
  }
}
