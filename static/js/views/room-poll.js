// The teacher's side of a question asked to the room: the prompt, how many have answered and the distribution of
// their answers, Reveal (with the correct answer, optional) and Dismiss. Hidden while no question is asked.

export class RoomPoll {
  /**
   * el: the poll panel (templates/_room.html). options: bars(el) → a view drawing the answers (AnswerBars),
   * onReveal(answer or null), onDismiss().
   */
  constructor(el, { bars, onReveal, onDismiss }) {
    this.el = el;
    const part = (name) => el.querySelector(`[data-testid=${name}]`);
    this.parts = {
      prompt: part("room-poll-prompt"), count: part("room-poll-count"), answer: part("room-reveal-answer"),
      reveal: part("room-reveal"), choices: el.querySelector("datalist"), secret: part("room-poll-hidden"),
    };
    this.bars = bars(part("room-answers"));
    this.data = { question: null, answers: null, students: 0, private: false };
    this.closed = null; // the id of a question put away
    this.parts.reveal.addEventListener("click", () => onReveal(this.parts.answer.value.trim() || null));
    this.parts.answer.addEventListener("keydown", (event) => {
      if (event.key === "Enter") onReveal(this.parts.answer.value.trim() || null);
    });
    part("room-dismiss").addEventListener("click", () => onDismiss());
  }

  /** data (each part optional): question (the room's, or null), answers ({question, counts, total}: a projected
   * screen gets no counts before the reveal), students, private (the teacher's own screen, not the projected one). */
  update(data) {
    const asked = data.question && data.question.id !== this.data.question?.id;
    Object.assign(this.data, data);
    const { question, students } = this.data;
    this.el.hidden = !question || this.closed === question.id;
    if (!question) return;
    if (asked) {
      this.parts.answer.value = "";
      const values = question.kind === "digit" ? [..."0123456789"] : question.choices;
      this.parts.choices.replaceChildren(...values.map((value) => Object.assign(document.createElement("option"), { value })));
    }
    const revealed = !question.open;
    const answers = revealed ? question : this.data.answers?.question === question.id ? this.data.answers : null;
    const total = answers?.total ?? 0;
    this.parts.prompt.textContent = `Q${question.id}. ${question.prompt}`;
    this.parts.count.textContent = revealed
      ? `Revealed${question.answer !== null && question.answer !== undefined ? `: ${question.answer}` : ""} · ${total} answered`
      : `${total} of ${students} student${students === 1 ? "" : "s"} answered`;
    this.bars.update({ kind: question.kind, choices: question.choices, counts: answers?.counts ?? {}, total,
      answer: revealed ? question.answer ?? null : null });
    const secret = !revealed && !this.data.private; // the distribution waits for the reveal on this screen
    this.parts.secret.hidden = !secret;
    this.bars.el.hidden = secret;
    this.parts.reveal.hidden = revealed;
    this.parts.answer.closest("label").hidden = revealed;
    this.el.dataset.state = revealed ? "revealed" : "open";
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
