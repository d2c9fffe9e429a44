"""Bodies of POST /api/backprop: one image and the digit it should be in; the loss, ∂l/∂scores, every parameter's
gradient and δ at every stage of the /lenet page out. Scripts outside the repository compare this contract with
other frameworks: keep its fields and shapes stable. docs/protocol/lenet.md describes it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.models.lenet import CLASSES
from app.wire.lenet import Digit, PredictRequest

Maps = list[list[list[float]]]
Kernels = list[list[list[list[float]]]]
Matrix = list[list[float]]


class BackpropRequest(BaseModel):
    """A 28×28 image as LeNet reads it and the digit it should be: the loss is −log p(label)."""

    model_config = ConfigDict(extra="forbid")

    image: list[list[float]] = Field(
        description="28 rows of 28 numbers in 0..1, ink high", examples=[[[0.0] * 28] * 28]
    )
    label: Digit = Field(description="the digit the image should be (0..9)")

    @field_validator("image", mode="before")
    @classmethod
    def mnist_sized(cls, value: object) -> object:
        """Exactly 28×28 finite numbers in 0..1, as POST /api/predict reads them."""
        return PredictRequest.mnist_sized(value)


class ParameterGradients(BaseModel):
    """∂l/∂ every parameter, with the shapes of the shipped weights file (app/models/lenet5.npz)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    conv1_w: Kernels = Field(alias="conv1.w", description="6×1×5×5 (F, C, K, K)")
    conv1_b: list[float] = Field(alias="conv1.b", description="6")
    conv2_w: Kernels = Field(alias="conv2.w", description="16×6×5×5 (F, C, K, K)")
    conv2_b: list[float] = Field(alias="conv2.b", description="16")
    fc1_w: Matrix = Field(alias="fc1.w", description="400×120 (in × out, as stored: out = in @ w + b)")
    fc1_b: list[float] = Field(alias="fc1.b", description="120")
    fc2_w: Matrix = Field(alias="fc2.w", description="120×84 (in × out)")
    fc2_b: list[float] = Field(alias="fc2.b", description="84")
    fc3_w: Matrix = Field(alias="fc3.w", description="84×10 (in × out)")
    fc3_b: list[float] = Field(alias="fc3.b", description="10")


class StageDeltas(BaseModel):
    """δ = ∂l/∂(each stage's values), the stages of the /lenet page (values after each ReLU)."""

    input: Maps = Field(description="1×28×28: ∂l/∂pixel")
    conv1: Maps = Field(description="6×28×28, ∂l/∂(conv1 after ReLU): non-zero only at pool1's winners")
    pool1: Maps = Field(description="6×14×14")
    conv2: Maps = Field(description="16×10×10, ∂l/∂(conv2 after ReLU): non-zero only at pool2's winners")
    pool2: Maps = Field(description="16×5×5")
    fc1: list[float] = Field(description="120, ∂l/∂(fc1 after ReLU)")
    fc2: list[float] = Field(description="84, ∂l/∂(fc2 after ReLU)")
    fc3: list[float] = Field(description="10, ∂l/∂scores = p − onehot(label)")


class BackpropResponse(BaseModel):
    """The cross-entropy loss of the label on the shipped weights and its gradients (computed in float64)."""

    model_config = ConfigDict(serialize_by_alias=True)

    loss: float = Field(description="l = −log p(label)")
    prediction: int = Field(ge=0, le=CLASSES - 1, description="the most probable digit")
    probabilities: list[float] = Field(description="softmax of the class scores, for digits 0 to 9")
    grad_scores: list[float] = Field(description="∂l/∂scores = p − onehot(label), 10 numbers")
    gradients: ParameterGradients
    deltas: StageDeltas
