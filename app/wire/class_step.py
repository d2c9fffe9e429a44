"""The class step's messages and answers: the teacher's `batch` and `batch_reset` on the room websocket, the body of
POST /api/rooms/{code}/batch, and the class step every screen of the room gets (docs/protocol/room.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt

from app.wire.lenet import FiniteFloat
from app.wire.protocol import Message

# Above 0; the largest a room allows is the setting room_batch_max_lr, checked where the step runs.
LearningRate = Annotated[FiniteFloat, Field(gt=0)]
StepMode = Literal["batch", "each"]
MAX_SELECTION = 10_000  # ids in a teacher's selection (a gallery keeps at most room_max_submissions drawings)
Selection = Annotated[list[Annotated[StrictInt, Field(ge=1, le=2**31)]], Field(max_length=MAX_SELECTION)]


class Batch(Message):
    """Teacher: one class step of the room's LeNet-5 on the class's tagged drawings (or those of them in `ids`) with
    learning rate `lr`:
    `batch`, one step on the mean gradient; `each`, one plain SGD step per drawing in order, to compare."""

    type: Literal["batch"]
    lr: LearningRate = 0.05
    mode: StepMode = "batch"
    ids: Selection | None = None  # the teacher's selection of tagged drawings; None: every tagged one


class BatchReset(Message):
    """Teacher: the room's LeNet-5 goes back to the shared weights."""

    type: Literal["batch_reset"]


class BatchBody(BaseModel):
    """POST /api/rooms/{code}/batch: the learning rate (and the mode) of the class step."""

    lr: LearningRate = Field(description="the learning rate η of the SGD step, above 0 and at most room_batch_max_lr")
    mode: StepMode = Field("batch", description="batch: one step on the mean gradient; each: one step per drawing")
    ids: Selection | None = Field(
        None, description="only these drawings (the teacher's selection); none: every tagged one"
    )


class DrawingStep(BaseModel):
    """One drawing of the batch: its tag, loss before and after, and ‖∂l/∂(all parameters)‖ before the step."""

    id: int
    label: int = Field(description="the digit the student meant (the tag), the step's target")
    loss_before: float
    loss_after: float
    grad_norm: float = Field(description="‖∂loss/∂(all parameters)‖ of this drawing on the weights before the step")
    layer_norms: dict[str, float] = Field(description="that norm over each layer's weights and bias")
    share: float = Field(description="⟨gᵢ, ḡ⟩ / (N‖ḡ‖²): its part of the mean gradient; the shares sum to 1")
    prediction_before: int
    prediction_after: int
    p_before: float = Field(description="p(label) before the step")
    p_after: float = Field(description="p(label) after the step")
    author: str = Field("", description="the student's name, when the teacher shows names")


class ClassStepResult(BaseModel):
    """A class step: what it ran on, the batch's mean loss before and after, each drawing, and what moved."""

    step: int = Field(description="class steps since the room's LeNet-5 was the shared one")
    mode: StepMode
    submissions: list[int] = Field(description="the ids of the drawings in the batch, oldest first")
    lr: float
    loss_before: float = Field(description="the batch's mean loss on the weights before the step")
    loss_after: float
    per_submission: list[DrawingStep]
    mean_grad_norm: dict[str, float] = Field(description="‖ḡ‖ over each layer's weights and bias")
    moved: dict[str, dict[str, float]] = Field(description="per layer: ‖Δw‖ (norm) and ‖Δw‖/‖w‖ (relative)")
    conv1: dict[str, list] = Field(description="conv1's six 5×5 kernels: before, delta and after")
    strip: list[dict] = Field(description="the largest shares first: id, share, layer_norms, 28×28 pixels (base64)")
