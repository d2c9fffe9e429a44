"""Messages of the /lenet page: its websocket (/ws/lenet) and POST /api/predict.

docs/protocol/lenet.md describes them with the binary frames the server answers with; the JavaScript side
mirrors the type names in static/js/lib/protocol.js (LENET).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, field_validator
from pydantic_core import PydanticCustomError

from app.models.lenet import CLASSES
from app.wire.boxes import number_box
from app.wire.protocol import Message

INK_LEVELS = 255
IMAGE_SIDE = 28

Preprocessing = Literal["mnist", "raw"]
Digit = Annotated[StrictInt, Field(ge=0, le=CLASSES - 1)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


def ink_canvas(value: object) -> np.ndarray:
    """A drawing's ink levels, 0 (paper) to 255 (full ink), as (H, W) uint8: a binary frame's canvas of 0..255
    codes is one already (app/wire/frames.py) and is taken as it is."""
    if isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.ndim == 2 and 0 not in value.shape:
        return value
    array = number_box(value, "H×W")
    if array.min() < 0 or array.max() > INK_LEVELS:
        raise PydanticCustomError(
            "bad_value", f"values are ink levels 0..{INK_LEVELS}, got {array.min():g}..{array.max():g}"
        )
    return np.rint(array).astype(np.uint8)


Canvas = Annotated[np.ndarray, BeforeValidator(ink_canvas)]


class DrawingMessage(Message):
    """Base of the requests that carry a drawing (as the binary frame's "canvas" array, or JSON rows)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    canvas: Canvas
    preprocess: Preprocessing = "mnist"


class UnitRef(Message):
    """A conv unit the page zooms into: its stage, map (channel), row and column, 0-based."""

    stage: Literal["conv1", "conv2"]
    channel: StrictInt = Field(ge=0)
    row: StrictInt = Field(ge=0)
    col: StrictInt = Field(ge=0)


class InputGradient(DrawingMessage):
    """Client → server (latest wins): saliency of `target` and FGSM at `epsilon` against `label` for the drawing as
    it is now; answered by a `gradient_faces` frame."""

    type: Literal["input_gradient"]
    epsilon: FiniteFloat = Field(0.1, ge=0, le=1)  # the one-shot FGSM step; pixels live in 0..1
    target: Digit | None = None  # the class whose score the saliency explains; None: the predicted class
    label: Digit | None = None  # the class whose loss FGSM raises; None: the predicted class
    seq: StrictInt = Field(0, ge=0, le=2**53)  # echoed in the answer


class MapRef(Message):
    """A conv map whose centre unit dreaming raises: its stage and map (channel), 0-based."""

    stage: Literal["conv1", "conv2"]
    channel: StrictInt = Field(ge=0)


class Dreaming(DrawingMessage):
    """Client → server: gradient ascent on the input for the score of `target` (or the centre unit of `map`), from
    blank paper or from the drawing; answered by a `dreamt` frame."""

    type: Literal["dream"]
    target: Digit = 0
    map: MapRef | None = None  # dream about this conv map instead of a class
    start: Literal["blank", "drawing"] = "blank"


class Draw(DrawingMessage):
    """Client → server (latest wins): the drawing as it is now; answered by a `prediction` frame."""

    type: Literal["draw"]
    explain: StrictBool = False  # also backpropagate a class score to the input and every stage
    target: Digit | None = None  # the class whose score is explained; None: the predicted class
    seq: StrictInt = Field(0, ge=0, le=2**53)  # echoed in the answer
    unit: UnitRef | None = None  # also answer this conv unit's computation (window, kernel, products, sum)
    final: StrictBool = False  # sent at pen-up: answered before the live updates of the address's other connections


class Teach(DrawingMessage):
    """Client → server: "this drawing is a `label`": SGD steps on this connection's private copy of the weights."""

    type: Literal["teach"]
    label: Digit
    steps: StrictInt = Field(ge=1)
    lr: FiniteFloat = Field(gt=0)


class Reset(Message):
    """Client → server: forget the lessons, use the shared weights again; answered by a `model` frame."""

    type: Literal["reset"]


class Describe(Message):
    """Client → server: send the `model` frame (stages, receptive fields, weights)."""

    type: Literal["describe"]


BackwardStage = Literal["fc3", "fc2", "fc1", "pool2", "conv2", "pool1", "conv1", "input"]  # in the order δ flows
Parameter = Literal["conv1.w", "conv1.b", "conv2.w", "conv2.b", "fc1.w", "fc1.b", "fc2.w", "fc2.b", "fc3.w", "fc3.b"]


class WeightRef(Message):
    """One parameter to drill into: its name and index as stored (conv w (F, C, K, K), dense w (in, out), b (out,))."""

    parameter: Parameter
    index: list[Annotated[StrictInt, Field(ge=0)]] = Field(min_length=1, max_length=4)


class BackwardPass(DrawingMessage):
    """Client → server: the backward pass of −log p(label) for the drawing, δ shown from fc3 down to `stage`, and
    one weight's gradient built window by window when asked; answered by a `backward` frame."""

    type: Literal["backward"]
    label: Digit | None = None  # the digit meant; None: the predicted one
    stage: BackwardStage = "fc3"
    weight: WeightRef | None = None
    seq: StrictInt = Field(0, ge=0, le=2**53)  # echoed in the answer


class TakeStep(DrawingMessage):
    """Client → server: one SGD step towards `label` on this connection's private copy of the weights; answered by
    `stepped` then a `model` frame."""

    type: Literal["take_step"]
    label: Digit
    lr: FiniteFloat = Field(gt=0)


LenetMessage = Draw | Teach | Reset | Describe | BackwardPass | TakeStep | InputGradient | Dreaming
LenetRequest = Annotated[LenetMessage, Field(discriminator="type")]


class Movement(Message):
    """How far one layer's parameters (weights and bias together) moved in a lesson."""

    layer: str
    change: float = Field(description="‖Δθ‖, the Euclidean length of the change")
    norm: float = Field(description="‖θ‖ before the lesson")
    relative: float = Field(description="‖Δθ‖ / ‖θ‖")
    largest: float = Field(description="max |Δθ| over the layer's parameters")


class Taught(Message):
    """Server → client: what a lesson did, before and after, on this connection's copy of the weights."""

    type: Literal["taught"] = "taught"
    label: int
    steps: int
    lr: float
    before: list[float] = Field(description="the 10 class probabilities before the lesson")
    after: list[float] = Field(description="the 10 class probabilities after it")
    loss_before: float
    loss_after: float
    moved: list[Movement]
    taught_steps: int = Field(description="SGD steps taken on this connection since the last reset")


class KernelMoved(Message):
    """How far one conv kernel (its weights and bias together) moved in a step."""

    layer: str
    kernel: int
    change: float = Field(description="‖Δ‖ of w[kernel] and b[kernel]")
    relative: float = Field(description="‖Δ‖ / ‖θ‖ before the step")


class Stepped(Message):
    """Server → client: what one SGD step on the drawing did: the loss before and after, the layers' and the conv
    kernels' moves (the kernel that moved most first)."""

    type: Literal["stepped"] = "stepped"
    label: int
    lr: float
    before: list[float] = Field(description="the 10 class probabilities before the step")
    after: list[float] = Field(description="the 10 class probabilities after it")
    loss_before: float
    loss_after: float
    moved: list[Movement]
    kernels: list[KernelMoved]
    taught_steps: int = Field(description="SGD steps taken on this connection since the last reset")


class PredictRequest(BaseModel):
    """A 28×28 image as LeNet reads it: 28 rows of 28 numbers in 0..1, ink high (1) on a background of 0."""

    model_config = ConfigDict(extra="forbid")

    image: list[list[float]] = Field(
        description="28 rows of 28 numbers in 0..1, ink high", examples=[[[0.0] * 28] * 28]
    )
    activations: bool = Field(False, description="also return every layer's activations (same as ?activations=true)")

    @field_validator("image", mode="before")
    @classmethod
    def mnist_sized(cls, value: object) -> object:
        """Exactly 28×28 finite numbers in 0..1."""
        array = number_box(value, "H×W")
        if array.shape != (IMAGE_SIDE, IMAGE_SIDE):
            raise PydanticCustomError("bad_shape", f"must be 28×28, got {array.shape[0]}×{array.shape[1]}")
        if array.min() < 0 or array.max() > 1:
            raise PydanticCustomError("bad_value", f"values must lie in 0..1, got {array.min():g}..{array.max():g}")
        return value


class Activations(BaseModel):
    """What every stage of LeNet-5 computed for the image, as in the /lenet page (after each ReLU)."""

    input: list[list[list[float]]] = Field(description="1×28×28, what the network sees")
    conv1: list[list[list[float]]] = Field(description="6×28×28 after ReLU")
    pool1: list[list[list[float]]] = Field(description="6×14×14")
    conv2: list[list[list[float]]] = Field(description="16×10×10 after ReLU")
    pool2: list[list[list[float]]] = Field(description="16×5×5")
    fc1: list[float] = Field(description="120 after ReLU")
    fc2: list[float] = Field(description="84 after ReLU")
    fc3: list[float] = Field(description="10 class scores before softmax")


class PredictResponse(BaseModel):
    """LeNet-5's answer: the digit, the ten class probabilities, and the activations when asked for."""

    prediction: int = Field(ge=0, le=CLASSES - 1, description="the most probable digit")
    probabilities: list[float] = Field(description="softmax of the class scores, for digits 0 to 9")
    activations: Activations | None = Field(None, description="present with ?activations=true")
