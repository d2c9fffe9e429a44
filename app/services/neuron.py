"""The artificial neuron h(x) = g(b + Σ wᵢxᵢ) over the input plane, for the /neuron page.

The pre-activation a(x) = b + w₁x₁ + w₂x₂ is the engine's Dense layer (under the slide's names w₁, w₂, b); g comes
from the engine's ACTIVATIONS registry, which also gives its range. The line a(x) = 0 is where g makes its
transition (the slide's "riff"): the weights turn it, the bias only moves it along (w₁, w₂).
"""

from __future__ import annotations

import math

import numpy as np

from app.models.xor import INPUTS, NEURON_NAMES, SlideModel, targets
from app.nn import ACTIVATIONS, Dense, Sequential
from app.nn.activations import ActivationName
from app.services.plane import INPUT_BOX, grid_points, line_in_box
from app.settings import Settings
from app.wire.frames import pack_frame
from app.wire.limits import within
from app.wire.xor import NeuronPoint, NeuronRequest, NeuronSurfaceHeader


def preactivation(w1: float, w2: float, b: float) -> SlideModel:
    """The neuron's a(x) = b + w₁x₁ + w₂x₂ as the engine's Dense(2, 1) layer, in float64."""
    layer = Dense(2, 1, rng=np.random.default_rng(0), dtype=np.float64, name="neuron")
    model = SlideModel(Sequential([layer]), NEURON_NAMES)
    model.assign({"w1": w1, "w2": w2, "b": b})
    return model


def finite_or_none(value: float) -> float | None:
    """JSON has no infinity: an unbounded end of a range is None."""
    return value if math.isfinite(value) else None


def colour_scale(g: ActivationName, h: np.ndarray) -> tuple[float, float]:
    """The colour scale's [lo, hi]: g's range, with the grid's own extreme where g is unbounded."""
    lo, hi = ACTIVATIONS[g].range
    lo = lo if math.isfinite(lo) else float(h.min())
    hi = hi if math.isfinite(hi) else float(h.max())
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def neuron_surface(w1: float, w2: float, b: float, g: ActivationName, size: int) -> bytes:
    """A neuron_surface frame: h over a size×size grid of the input plane, its line a = 0 and the XOR corners."""
    model = preactivation(w1, w2, b)
    activation = ACTIVATIONS[g]
    a = model.model.forward(grid_points(size, INPUT_BOX))[:, 0]
    h = activation.forward(a)
    corners_a = model.model.forward(INPUTS)[:, 0]
    corners_h = activation.forward(corners_a)
    norm = math.hypot(w1, w2)
    header = NeuronSurfaceHeader(
        w1=w1,
        w2=w2,
        b=b,
        g=g,
        range=(finite_or_none(activation.range[0]), finite_or_none(activation.range[1])),
        scale=colour_scale(g, h),
        level=float(activation.forward(np.zeros(1))[0]),
        box=INPUT_BOX,
        size=size,
        line=line_in_box(w1, w2, b, INPUT_BOX),
        angle_deg=math.degrees(math.atan2(w2, w1)) if norm else None,
        offset=-b / norm if norm else None,
        points=[
            NeuronPoint(x1=float(x[0]), x2=float(x[1]), y=float(y), a=float(pa), h=float(ph))
            for x, y, pa, ph in zip(INPUTS, targets("xor")[:, 0], corners_a, corners_h, strict=True)
        ],
    )
    return pack_frame(header.model_dump(), {"h": h.reshape(size, size)})


class NeuronConversation:
    """One connection to /ws/neuron: each slider position answered with the neuron's output over the plane."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def handle(self, message: NeuronRequest) -> list[bytes]:
        """The neuron_surface frame for the weights, bias and activation asked for."""
        for name in ("w1", "w2", "b"):
            within(name, getattr(message, name), "neuron_max_param", self.settings)
        return [neuron_surface(message.w1, message.w2, message.b, message.g, self.settings.surface_grid)]
