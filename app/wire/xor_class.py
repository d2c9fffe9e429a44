"""XOR across the class: a student's `xor_class_run` on the room websocket, her 2-2-1 network's run on /xor (its
seed, learning rate and loss curve, subsampled), which the teacher's screens overlay (docs/protocol/room.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from app.wire.lenet import FiniteFloat
from app.wire.protocol import Message

MAX_CURVE = 200  # points of a run's loss curve as a student sends it (the page subsamples its run to them)
MAX_STEP = 10_000_000  # a step number no run reaches (xor_max_run_steps is far lower)
Step = Annotated[StrictInt, Field(ge=0, le=MAX_STEP)]
MAX_COMPARED = 4  # runs the teacher shows the class side by side
RunId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{10}$")]  # xor_runs.run_id
Loss = Annotated[FiniteFloat, Field(ge=0, le=1)]  # a mean of four (y − ŷ)² with y, ŷ in [0, 1]


class XorClassRun(Message):
    """Student: her 2-2-1 network's run on /xor, to the room (the latest of each student wins): the seed, the
    learning rate, and the loss curve as (step, mean loss) points, steps increasing; the last is the final loss."""

    type: Literal["xor_class_run"]
    seed: Annotated[StrictInt, Field(ge=0, le=2**32 - 1)]
    lr: Annotated[FiniteFloat, Field(gt=0, le=1000)]
    points: list[tuple[Step, Loss]] = Field(min_length=1, max_length=MAX_CURVE)

    @model_validator(mode="after")
    def steps_increase(self) -> XorClassRun:
        """The curve's steps go up from point to point."""
        steps = [step for step, _ in self.points]
        if any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
            raise PydanticCustomError("bad_value", "the curve's steps must increase from point to point")
        return self


class XorCompare(Message):
    """Teacher: show everyone these students' runs side by side (a stuck one beside a solved one), in this order;
    none (an empty list) takes the comparison away."""

    type: Literal["xor_compare"]
    ids: list[RunId] = Field(default_factory=list, max_length=MAX_COMPARED)
