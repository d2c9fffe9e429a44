"""One /ws/conv connection: walkthrough plans streamed as binary frames, and the presets' assets."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from app.models.shared import SharedModel
from app.services.conv_walkthrough import (
    ConvSetup,
    Plan,
    build_plan,
    chunk_count,
    mnist_digit,
    plan_chunks,
    plan_terms,
)
from app.settings import Settings
from app.wire.conv import ConvAsset, ConvAssetRequest, ConvPlanRequest
from app.wire.frames import pack_frame
from app.wire.limits import at_most, within
from app.wire.protocol import Problem, Reply


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
    """The walkthrough's ConvSetup for a validated request, or a Problem saying which shape or limit is wrong."""
    x, w, b = message.input, message.kernels, message.bias
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
    chosen = message.grad.cell if message.grad.kind == "cell" else None
    cell = (chosen[0], chosen[1], chosen[2]) if chosen else None  # GradSpec holds exactly 3
    x, w, b = (array.astype(np.float32) for array in (x, w, b))
    return ConvSetup(x, w, b, message.stride, message.padding, message.dilation, message.stage2, cell)


class ConvConversation:
    """One connection: plans (streamed as binary frames, numbered so stale chunks can be told apart) and assets."""

    def __init__(self, settings: Settings, lenet: SharedModel) -> None:
        self.settings, self.lenet = settings, lenet
        self.plans = 0

    def handle(self, message: ConvPlanRequest | ConvAssetRequest) -> list[Reply] | Iterator[Reply]:
        """A plan as a stream of frames, or an asset as one JSON message."""
        if isinstance(message, ConvAssetRequest):
            return [self.asset(message)]
        setup = setup_from_message(message, self.settings)
        try:
            at_most("padding", setup.padding_cells(), "conv_max_padding", self.settings)
            self.check_size(plan_terms(setup))
            plan = build_plan(setup)
        except ValueError as exc:
            raise Problem("impossible", str(exc)) from None
        self.plans += 1
        return self.frames(plan, self.plans)

    def check_size(self, terms: int) -> None:
        """bad_value when a walkthrough would hold more products than the limit."""
        limit = self.settings.conv_max_terms
        if terms > limit:
            raise Problem(
                "bad_value",
                f"this walkthrough would hold {terms:,} products (F·C·k²·OH·OW), over this server's limit of "
                f"{limit:,} ({Settings.env_var('conv_max_terms')}); use a smaller input, fewer kernels or a larger "
                "stride",
            )

    def frames(self, plan: Plan, number: int) -> Iterator[bytes]:
        """The plan's header frame, then its per-window arrays in chunks of output rows."""
        windows = self.settings.conv_chunk_windows
        header = {"type": "conv_plan", "plan": number, "chunks": chunk_count(plan, windows), **plan.header}
        yield pack_frame(header, plan.arrays)
        for part, arrays in plan_chunks(plan, windows):
            yield pack_frame({"type": "conv_windows", "plan": number, **part}, arrays)

    def asset(self, message: ConvAssetRequest) -> ConvAsset:
        """A shipped MNIST test digit, or the trained LeNet-5's conv1 kernels (unavailable without weights)."""
        if message.name == "mnist_digit":
            image, test_index = mnist_digit(message.index)
            values = np.round(image[None], 3).tolist()
            source = f"MNIST test image {test_index} (a {message.index}), shipped with backprop-lab"
            return ConvAsset(name=message.name, index=message.index, values=values, source=source)
        if self.lenet.model is None:
            raise Problem("unavailable", self.lenet.error or "LeNet-5 is not loaded")
        conv1 = self.lenet.model.layer("conv1").params
        source = "the six 5×5 kernels of the trained LeNet-5's conv1 layer"
        return ConvAsset(
            name=message.name, index=message.index, values=conv1["w"].tolist(), bias=conv1["b"].tolist(), source=source
        )
