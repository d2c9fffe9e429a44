"""One /ws/lenet connection: drawings answered by this connection's LeNetSession, lessons on its private copy, and
the Backward mode's steps (app/services/lenet_backward.py)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from app.models.shared import SharedModel
from app.services.input_gradient_frames import gradient_answer
from app.services.lenet import LeNetSession, NoSuchUnit, NothingDrawn, Unit, prepare
from app.services.lenet_backward import NoSuchWeight, backward, drill, kernel_moves
from app.services.lenet_backward_frame import backward_frame
from app.services.lenet_together import PlainDrawing, draw_together
from app.settings import Settings
from app.wire.lenet import (
    BackwardPass,
    Draw,
    KernelMoved,
    LenetMessage,
    Reset,
    Stepped,
    TakeStep,
    Taught,
    Teach,
)
from app.wire.limits import at_most, check_canvas
from app.wire.protocol import Problem, Reply

QUICK_PIXELS = 200 * 200  # the page's pad is 140×140


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

    @staticmethod
    def quick(message: LenetMessage) -> bool:
        """Whether a request is a plain drawing the size of the page's pad or smaller (no explanation, no zoomed
        unit): well under a millisecond, so the websocket loop answers it without a thread (app/server/ws.py)."""
        return (
            isinstance(message, Draw)
            and not message.explain
            and message.unit is None
            and message.canvas.size <= QUICK_PIXELS
        )

    @staticmethod
    def handle_together(requests: Sequence[tuple[LeNetConversation, LenetMessage]]) -> list[list[Reply] | Exception]:
        """The replies to quick requests of many connections, or the exception one raised (a Problem to answer):
        their drawings are answered together (app/services/lenet_together.py); any other request alone."""
        results: list[list[Reply] | Exception] = []
        drawings: list[tuple[int, PlainDrawing]] = []
        for conversation, message in requests:
            try:
                if conversation.session is None or not isinstance(message, Draw) or not conversation.quick(message):
                    results.append(conversation.handle(message))
                    continue
                check_canvas(message.canvas, conversation.settings)
            except Exception as exc:  # this request's own problem (or bug): answered alone, the others go on
                results.append(exc)
                continue
            drawing = PlainDrawing(
                conversation.session, message.canvas, message.preprocess, message.seq, message.target
            )
            drawings.append((len(results), drawing))
            results.append([])
        frames = draw_together([drawing for _, drawing in drawings])
        for (index, _), frame in zip(drawings, frames, strict=True):
            results[index] = [frame]
        return results

    @staticmethod
    def hurry(message: LenetMessage) -> bool:
        """Whether a request is the drawing sent when the pen was lifted, which the student now waits for."""
        return isinstance(message, Draw) and message.final

    def handle(self, message: LenetMessage) -> list[Reply]:
        """The replies to one valid request."""
        if self.session is None:
            raise Problem("unavailable", self.unavailable or "LeNet-5 is not loaded")
        answer = gradient_answer(self.session, message, self.settings)  # the input-gradient panel's requests
        if answer is not None:
            return [answer]
        if isinstance(message, Draw | Teach | BackwardPass | TakeStep):
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
        if isinstance(message, BackwardPass):
            return [self.backward(self.session, message)]
        if isinstance(message, TakeStep):
            return [self.step(self.session, message), self.session.describe(self.about)]
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

    def backward(self, session: LeNetSession, message: BackwardPass) -> bytes:
        """The `backward` frame: this connection's weights backpropagating −log p(label) down to message.stage,
        and the drill-down into message.weight when asked."""
        started = time.perf_counter()
        prepared = prepare(message.canvas, message.preprocess)
        result = None if prepared.image is None else backward(session.model, prepared.image, message.label)
        drilled = None
        if result is not None and message.weight is not None:
            try:
                drilled = drill(result, message.weight.parameter, tuple(message.weight.index))
            except NoSuchWeight as exc:
                raise Problem("bad_value", str(exc)) from None
        header = {"seq": message.seq, **session.state, "server_ms": round((time.perf_counter() - started) * 1e3, 3)}
        return backward_frame(prepared, result, message.stage, drilled, header)

    def step(self, session: LeNetSession, message: TakeStep) -> Stepped:
        """One SGD step on this connection's private copy, with how far each conv kernel moved and the loss before
        and after in float64 (a sure network's loss of 1e-7 moves by less than float32 can tell)."""
        at_most("lr", message.lr, "lenet_teach_max_lr", self.settings)
        image = prepare(message.canvas, message.preprocess).image
        if image is None:
            raise Problem("impossible", "draw a digit before taking a step towards it")
        start = {name: value.copy() for name, value in session.model.params().items()}
        loss_before = backward(session.model, image, message.label).loss
        lesson = session.teach(message.canvas, message.preprocess, message.label, 1, message.lr)
        loss_after = backward(session.model, image, message.label).loss
        kernels = kernel_moves(start, session.model.params())
        return Stepped(
            label=lesson.label,
            lr=lesson.lr,
            before=lesson.before.tolist(),
            after=lesson.after.tolist(),
            loss_before=loss_before,
            loss_after=loss_after,
            moved=lesson.moved,
            kernels=[
                KernelMoved(layer=k.layer, kernel=k.kernel, change=k.change, relative=k.relative) for k in kernels
            ],
            taught_steps=session.taught_steps,
        )
