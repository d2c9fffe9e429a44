"""Messages of the kernels page (/ws/kernels): points, a feature map φ, a kernel SVM, and the 2-2-1 network beside.

Static bounds (choices, whole numbers, signs) live here; the limits a server operator can change (points, degree,
C, γ, coef0) are settings, checked by the conversation with a `bad_value` error naming the variable. Every request
is answered by one kernels_state binary frame; the network's training follows as kernels_net frames
(docs/protocol/kernels.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from app.kernels.datasets import DatasetName
from app.kernels.features import FeatureName
from app.wire.protocol import Message
from app.wire.xor import MAX_SEED

KernelName = Literal["linear", "poly", "rbf"]
Point = tuple[float, float]
MAX_NOISE = 1.0  # the largest standard deviation of a set's jitter: beyond it every set is a cloud


class KernelsDataset(Message):
    """Client → server (latest wins): replace the points with a named set of size points, noise and seed."""

    type: Literal["kernels_dataset"]
    name: DatasetName
    size: int = Field(ge=2)
    noise: float = Field(ge=0, le=MAX_NOISE)
    seed: int = Field(ge=0, le=MAX_SEED)


class KernelsAdd(Message):
    """Client → server: add a point of class label at (x1, x2), inside the set's box."""

    type: Literal["kernels_add"]
    x1: float
    x2: float
    label: Literal[0, 1]


class KernelsRemove(Message):
    """Client → server: remove the point at index (the last point of a class stays: the SVM needs both)."""

    type: Literal["kernels_remove"]
    index: int = Field(ge=0)


class KernelsFeature(Message):
    """Client → server (latest wins): the feature map φ that lifts the points; degree is the polynomial map's."""

    type: Literal["kernels_feature"]
    feature: FeatureName
    degree: int = Field(ge=1)


class KernelsSvm(Message):
    """Client → server (latest wins): the kernel SVM's kernel and parameters, and the soft margin C of both SVMs."""

    type: Literal["kernels_svm"]
    kernel: KernelName
    C: float = Field(gt=0)
    gamma: float = Field(gt=0)
    degree: int = Field(ge=1)
    coef0: float


class KernelsTrain(Message):
    """Client → server: train the 2-2-1 network again on the points, from initial weights drawn from seed."""

    type: Literal["kernels_train"]
    seed: int = Field(ge=0, le=MAX_SEED)


class FeatureState(Message):
    """The linear classifier in φ-space, f(x) = w·φ(x) + b, and its 3-D view."""

    feature: FeatureName
    degree: int
    names: list[str]  # each coordinate of φ(x), e.g. "x₁x₂"
    w: list[float]  # one weight per coordinate of φ
    b: float
    axes: tuple[str, str, str]  # the 3-D view's coordinates (r(x): the rest of w·φ(x) beyond x₁ and x₂)
    normal: tuple[float, float, float]  # the plane normal·p + b = 0 in the view's coordinates
    view_lo: tuple[float, float, float]  # the view's box, in which the plane is drawn
    view_hi: tuple[float, float, float]
    support: int  # support vectors of the linear SVM in φ-space
    errors: int  # points on the wrong side of the plane
    converged: bool


class SvmState(Message):
    """The kernel SVM: its parameters, bias, support vectors, dual objective and training errors."""

    kernel: KernelName
    C: float
    gamma: float
    degree: int
    coef0: float
    b: float
    support: list[int]  # indices of the points with αᵢ > 0
    dual_objective: float
    errors: int  # points on the wrong side of f = 0
    iterations: int
    converged: bool


class KernelsStateHeader(Message):
    """Server → client, binary frame "kernels_state": the points, φ's plane and the kernel SVM.

    Arrays: "points" (n, 2), "labels" (n,), "lifted" (n, 3) in the view's coordinates, "plane" (k, 3) the plane
    clipped to the view's box, "feature_surface" and "svm_surface" (size×size, f over the plane), "decision" (n,)
    the SVM's f(xᵢ), "alpha" (n,), "gram" (n, n, u8) the kernel matrix, and contour segments (m, 2, 2):
    "feature_boundary", "svm_boundary", "svm_margin_plus", "svm_margin_minus".
    """

    type: Literal["kernels_state"] = "kernels_state"
    dataset: DatasetName
    box: Point  # the plane's x₁ and x₂ range
    size: int
    scale: Point  # colour scale of f: its ends saturate beyond the margin
    count: int
    classes: tuple[int, int]  # points of label 0 and label 1
    feature: FeatureState
    svm: SvmState
    gram_range: Point  # [lo, hi] of K(xᵢ, xⱼ)


class KernelsNetHeader(Message):
    """Server → client, binary frame "kernels_net": the 2-2-1 network learning the same points.

    Arrays: "surface" (size×size, ŷ over the plane), "boundary" (m, 2, 2) the segments of ŷ = 0.5 there,
    "hidden" (n, 2) each point's (z₁, z₂), "hidden_surface"
    (hidden_size², ŷ over the hidden square).
    """

    type: Literal["kernels_net"] = "kernels_net"
    seed: int
    lr: float
    step: int
    steps: int  # the run's length: training stops there
    running: bool
    loss: float  # mean over the points of (y − ŷ)²
    errors: int  # points on the wrong side of ŷ = 0.5
    box: Point
    size: int
    hidden_box: Point
    hidden_size: int
    hidden_line: list[Point] | None  # where ŷ = 0.5 in the hidden space, w₅z₁ + w₆z₂ + b₃ = 0


KernelsRequest = KernelsDataset | KernelsAdd | KernelsRemove | KernelsFeature | KernelsSvm | KernelsTrain
KERNELS_REQUESTS: TypeAdapter[KernelsRequest] = TypeAdapter(Annotated[KernelsRequest, Field(discriminator="type")])
KERNELS_LATEST_WINS = frozenset({"kernels_dataset", "kernels_feature", "kernels_svm"})
