"""Messages of the conv page (/ws/conv): a walkthrough request, preset assets, and the limits the welcome names.

docs/protocol/conv.md describes them; static/js/lib/protocol.js (CONV) mirrors the type names.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BeforeValidator, ConfigDict, Field, TypeAdapter
from pydantic.dataclasses import dataclass

from app.nn.arithmetic import PaddingMode
from app.settings import Settings
from app.wire.boxes import box_of
from app.wire.protocol import Message

AssetName = Literal["mnist_digit", "lenet_conv1"]
Stage2Kind = Literal["none", "max", "avg", "conv"]


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class Stage2:
    """The stage after the convolution: none, max or average pooling, or a box-filter convolution; k, s, p."""

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

    model_config = ConfigDict(arbitrary_types_allowed=True)

    type: Literal["conv_plan"]
    input: Annotated[np.ndarray, BeforeValidator(box_of("C×H×W"))]
    kernels: Annotated[np.ndarray, BeforeValidator(box_of("F×C×K×K"))]
    bias: Annotated[np.ndarray, BeforeValidator(box_of("F"))]
    stride: int = 1
    padding: int | PaddingMode = 0
    dilation: int = 1
    stage2: Stage2 = Stage2()
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


ConvRequest = ConvPlanRequest | ConvAssetRequest
CONV_MESSAGES: TypeAdapter[ConvRequest] = TypeAdapter(Annotated[ConvRequest, Field(discriminator="type")])
LATEST_WINS = frozenset({"conv_plan"})


LIMITS = (
    "max_size",
    "max_channels",
    "max_filters",
    "max_kernel",
    "max_stride",
    "max_padding",
    "max_value",
    "max_terms",
)


def welcome_limits(settings: Settings) -> dict[str, int]:
    """The conv page's bounds (the conv_max_* settings), for the welcome message."""
    return {name: int(getattr(settings, f"conv_{name}")) for name in LIMITS}
