"""Messages of the conv page (/ws/conv): a walkthrough request, preset assets, and the limits they are held to.

docs/protocol/conv.md describes them; static/js/lib/protocol.js (CONV) mirrors the type names.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, TypeAdapter

from app.nn.arithmetic import PADDING_MODES
from app.server.protocol import Message
from app.server.settings import Settings
from app.server.ws import Problem
from app.services.conv_walkthrough import ConvSetup, Stage2, Stage2Kind
from app.services.limits import at_most, within

Number = Annotated[float, Field(allow_inf_nan=False)]
PaddingMode = Literal[PADDING_MODES]  # "valid", "same", "full": resolved by the engine's padding_for
AssetName = Literal["mnist_digit", "lenet_conv1"]


class Stage2Spec(Message):
    """The stage after the convolution: none, max or average pooling, or a box-filter convolution."""

    kind: Stage2Kind = "none"
    k: int = 2
    s: int = 2
    p: int = 0


class GradSpec(Message):
    """The gradient arriving at the last output: all ones, or 1 at one cell [map, row, column]."""

    kind: Literal["ones", "cell"] = "ones"
    cell: Annotated[list[int], Field(min_length=3, max_length=3)] | None = None


class ConvPlanRequest(Message):
    """Client → server (latest wins): the convolution to walk through."""

    type: Literal["conv_plan"]
    input: list[list[list[Number]]]  # (C, H, W)
    kernels: list[list[list[list[Number]]]]  # (F, C, K, K)
    bias: list[Number]  # (F,)
    stride: int = 1
    padding: int | PaddingMode = 0
    dilation: int = 1
    stage2: Stage2Spec = Stage2Spec()
    grad: GradSpec = GradSpec()


class ConvAssetRequest(Message):
    """Client → server: a preset the page cannot make itself (a shipped MNIST digit, LeNet's conv1 kernels)."""

    type: Literal["conv_asset"]
    name: AssetName
    index: int = Field(0, ge=0, le=9)


class ConvAsset(Message):
    """Server → client: the asset's values (digit (1, 28, 28) in [0, 1]; kernels (F, 1, 5, 5) with their bias)."""

    type: Literal["conv_asset"] = "conv_asset"
    name: AssetName
    index: int
    values: list
    bias: list[float] | None = None
    source: str


CONV_MESSAGES = TypeAdapter(Annotated[ConvPlanRequest | ConvAssetRequest, Field(discriminator="type")])
LATEST_WINS = frozenset({"conv_plan"})


LIMITS = (
    "max_size", "max_channels", "max_filters", "max_kernel", "max_stride", "max_padding", "max_value", "max_terms",
)


def welcome_limits(settings: Settings) -> dict[str, int]:
    """The conv page's bounds (the conv_max_* settings), for the welcome message."""
    return {name: int(getattr(settings, f"conv_{name}")) for name in LIMITS}


def box(values: list, name: str, dims: str) -> np.ndarray:
    """A nested list as a float32 array, or bad_shape when its rows differ in length or it is empty."""
    try:
        array = np.array(values, dtype=np.float32)
    except ValueError:
        raise Problem("bad_shape", f"{name} must be a {dims} box of numbers: every row the same length") from None
    if array.ndim != len(dims.split("×")) or array.size == 0:
        raise Problem("bad_shape", f"{name} must be a non-empty {dims} box of numbers, got shape {array.shape}")
    return array


def check_geometry_limits(message: ConvPlanRequest, k: int, settings: Settings) -> None:
    """Kernel sizes, strides, dilation and padding within the limits (the engine judges what is possible)."""
    st = message.stage2
    at_most("kernel size", k, "conv_max_kernel", settings)
    at_most("stride", message.stride, "conv_max_stride", settings)
    at_most("dilation", message.dilation, "conv_max_stride", settings)
    if isinstance(message.padding, int):
        at_most("padding", message.padding, "conv_max_padding", settings)
    if st.kind != "none":
        at_most("stage 2 kernel size", st.k, "conv_max_kernel", settings)
        at_most("stage 2 stride", st.s, "conv_max_stride", settings)
        at_most("stage 2 padding", st.p, "conv_max_padding", settings)


def setup_from_message(message: ConvPlanRequest, settings: Settings) -> ConvSetup:
    """The service's ConvSetup for a validated request, or a Problem saying which shape or limit is wrong."""
    x = box(message.input, "input", "C×H×W")
    w = box(message.kernels, "kernels", "F×C×K×K")
    b = box(message.bias, "bias", "F")
    c, h, wd = x.shape
    f, kc, k, kw = w.shape
    at_most("channel count", c, "conv_max_channels", settings)
    at_most("input size", max(h, wd), "conv_max_size", settings)
    at_most("filter count", f, "conv_max_filters", settings)
    if k != kw:
        raise Problem("bad_shape", f"kernels must be square (K×K), got {k}×{kw}")
    if kc != c:
        raise Problem("bad_shape", f"the input has {c} channels but each kernel has {kc}; they must match")
    if b.shape != (f,):
        raise Problem("bad_shape", f"bias must hold one number per kernel ({f}), got {b.size}")
    for name, array in (("every input value", x), ("every weight", w), ("every bias", b)):
        within(name, float(np.abs(array).max()), "conv_max_value", settings)
    check_geometry_limits(message, k, settings)
    cell = tuple(message.grad.cell) if message.grad.kind == "cell" and message.grad.cell else None
    st = message.stage2
    stage2 = Stage2(st.kind, st.k, st.s, st.p)
    return ConvSetup(x, w, b, message.stride, message.padding, message.dilation, stage2, cell)
