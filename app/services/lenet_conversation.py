"""One /ws/lenet connection: drawings answered by this connection's LeNetSession, lessons on its private copy."""

from __future__ import annotations

from app.models.shared import SharedModel
from app.services.input_gradient_frames import gradient_answer
from app.services.lenet import LeNetSession, NoSuchUnit, NothingDrawn, Unit
from app.settings import Settings
from app.wire.lenet import Draw, LenetMessage, Reset, Taught, Teach
from app.wire.limits import at_most, check_canvas
from app.wire.protocol import Problem, Reply


class LeNetConversation:
    """One /ws/lenet connection: each request answered by this connection's LeNetSession."""

    def __init__(self, shared: SharedModel, settings: Settings) -> None:
        self.unavailable = shared.error
        self.session = None if shared.model is None else LeNetSession(shared.model)
        self.settings = settings
        accuracy = shared.metadata.get("report", {}).get("test_accuracy")
        self.about = {
            "test_accuracy": accuracy,
            "teach": {"max_steps": settings.lenet_teach_max_steps, "max_lr": settings.lenet_teach_max_lr},
        }

    def handle(self, message: LenetMessage) -> list[Reply]:
        """The replies to one valid request."""
        if self.session is None:
            raise Problem("unavailable", self.unavailable or "LeNet-5 is not loaded")
        answer = gradient_answer(self.session, message, self.settings)  # the input-gradient panel's requests
        if answer is not None:
            return [answer]
        if isinstance(message, Draw | Teach):
            check_canvas(message.canvas, self.settings)
        if isinstance(message, Draw):
            unit = None if message.unit is None else Unit(**message.unit.model_dump())
            try:
                return [
                    self.session.draw(
                        message.canvas, message.preprocess, message.explain, message.target, message.seq, unit
                    )
                ]
            except NoSuchUnit as exc:
                raise Problem("bad_value", str(exc)) from None
        if isinstance(message, Teach):
            return [self.teach(self.session, message), self.session.describe(self.about)]
        if isinstance(message, Reset):
            self.session.reset()
        return [self.session.describe(self.about)]

    def teach(self, session: LeNetSession, message: Teach) -> Taught:
        """One lesson on this connection's private copy of the weights."""
        at_most("steps", message.steps, "lenet_teach_max_steps", self.settings)
        at_most("lr", message.lr, "lenet_teach_max_lr", self.settings)
        try:
            lesson = session.teach(message.canvas, message.preprocess, message.label, message.steps, message.lr)
        except NothingDrawn as exc:
            raise Problem("impossible", str(exc)) from None
        return Taught(
            label=lesson.label,
            steps=lesson.steps,
            lr=lesson.lr,
            before=lesson.before.tolist(),
            after=lesson.after.tolist(),
            loss_before=lesson.loss_before,
            loss_after=lesson.loss_after,
            moved=lesson.moved,
            taught_steps=session.taught_steps,
        )
