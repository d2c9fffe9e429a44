// A student's side of a question the teacher asks: the prompt and the controls to answer it (digit buttons, a
// number field, or one button per choice); the answer as the room counted it; after the reveal, the correct answer
// and how the class answered. Hidden while no question is asked.

export class RoomQuestion {
  /** el: the question panel (templates/_room.html). options: bars(el) → a view of the answers, onAnswer(value). */
  constructor(el, { bars, onAnswer }) {
    this.el = el;
    const part = (name) => el.querySelector(`[data-testid=${name}]`);
    this.parts = {
      prompt: part("room-question-prompt"), status: part("room-question-status"), number: part("room-answer-number"),
      choices: el.querySelector("[data-kind=choice]"), results: part("room-question-answers"),
    };
    this.bars = bars(this.parts.results);
    this.data = { question: null, answered: null, error: null };
    this.closed = null; // the id of a question put away
    this.onAnswer = onAnswer;
    el.querySelector("[data-kind=digit]").addEventListener("click", (event) => this.pick(event));
    this.parts.choices.addEventListener("click", (event) => this.pick(event));
    el.querySelector("[data-kind=number]").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = this.parts.number.value.trim();
      if (value) onAnswer(value);
      else this.update({ error: "Type a number first." });
    });
  }

  pick(event) {
    const button = event.target.closest("button[data-value]");
    if (button && !button.disabled) this.onAnswer(button.dataset.value);
  }

  /** data (each part optional): question (or null), answered (this student's counted answer, or null), error. */
  update(data) {
    const fresh = "question" in data && data.question?.id !== this.data.question?.id;
    Object.assign(this.data, fresh ? { answered: null, error: null } : {}, data);
    const { question, answered, error } = this.data;
    this.el.hidden = !question || this.closed === question.id;
    if (!question) return;
    if (fresh) this.layout(question);
    const revealed = !question.open;
    this.parts.prompt.textContent = question.prompt;
    // After the reveal the answer controls go (the sentence says what this student answered, the bars the class).
    for (const group of this.el.querySelectorAll("[data-kind]")) group.hidden = revealed || group.dataset.kind !== question.kind;
    for (const button of this.el.querySelectorAll("[data-kind] button[data-value]")) {
      button.setAttribute("aria-pressed", String(button.dataset.value === answered));
    }
    this.parts.status.textContent = this.sentence(question, answered, error);
    this.el.dataset.state = revealed ? "revealed" : answered !== null ? "answered" : "open";
    this.parts.results.hidden = !revealed;
    if (revealed) {
      this.bars.update({ kind: question.kind, choices: question.choices, counts: question.counts ?? {},
        total: question.total ?? 0, answer: question.answer ?? null, mine: answered });
    }
  }

  /** The controls of a new question: the choice buttons, an empty number field. */
  layout(question) {
    this.parts.number.value = "";
    this.parts.choices.replaceChildren(...question.choices.map((choice, i) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.value = choice;
      button.dataset.testid = `room-answer-choice-${i}`;
      button.textContent = choice;
      return button;
    }));
  }

  sentence(question, answered, error) {
    if (error) return error;
    if (question.open) {
      return answered === null ? "Answer on your screen; your teacher sees how the class answers (not who)."
        : `Your answer: ${answered}. You can change it until your teacher reveals.`;
    }
    const yours = answered === null ? "You did not answer." : `You answered ${answered}.`;
    if (question.answer === null || question.answer === undefined) return `Answers are closed. ${yours}`;
    const right = answered === question.answer ? " Right!" : "";
    return `The answer: ${question.answer}. ${yours}${right}`;
  }

  /** Put the question away (a phone, after the reveal) until reopen() or the next question. */
  close() {
    this.closed = this.data.question?.id ?? null;
    this.el.hidden = true;
  }

  reopen() {
    this.closed = null;
    this.el.hidden = !this.data.question;
  }

  destroy() {
    this.bars.destroy();
    this.el.hidden = true;
  }
}
