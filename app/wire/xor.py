"""Messages of the three pages built on the recitation's small networks: /neuron, /xor and /why-backprop.

Each page has its own websocket (/ws/neuron, /ws/xor, /ws/why-backprop) and its own request union below.
Static bounds (choices, indices) live here; the limits a server operator can change (largest learning rate,
steps per frame, network sizes) are settings, checked by the conversations with a `bad_value` error.
Replies that carry grids are binary frames whose headers are the *Header models below (see docs/protocol/xor.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from app.nn.activations import ActivationName
from app.wire.protocol import Message

MAX_SEED = 2**32 - 1

ModelName = Literal["network", "neuron"]  # the 2-2-1 network, or the single neuron of "how many layers?"
TaskName = Literal["xor", "and", "or"]
Mode = Literal["batch", "example"]  # full-batch gradient descent, or one example at a time in turn
Point = tuple[float, float]
TermStatus = Literal["computed", "repeated", "zero"]  # how the instrumented count saw a term the slide lists


# ---- /ws/neuron ----


class NeuronRequest(Message):
    """Client → server (latest wins): the neuron's weights, bias and activation; answered by a neuron_surface frame."""

    type: Literal["neuron"]
    w1: float
    w2: float
    b: float
    g: ActivationName


class NeuronPoint(Message):
    """One XOR corner: its inputs, its XOR target, the pre-activation a = b + w₁x₁ + w₂x₂ and the output h = g(a)."""

    x1: float
    x2: float
    y: float
    a: float
    h: float


class NeuronSurfaceHeader(Message):
    """Server → client, binary frame "neuron_surface": h over the input plane (array "h", size×size) and its line."""

    type: Literal["neuron_surface"] = "neuron_surface"
    w1: float
    w2: float
    b: float
    g: ActivationName
    range: tuple[float | None, float | None]  # the range of g; None where it is unbounded
    scale: Point  # the colour scale's [lo, hi]: g's range, or the grid's where g is unbounded
    level: float  # h on the line a = 0, i.e. g(0)
    box: Point  # the plane's x₁ and x₂ range
    size: int
    line: list[Point] | None  # the ends of a = 0 inside the box, or None
    angle_deg: float | None  # direction of the normal (w₁, w₂): the line's turn, untouched by b
    offset: float | None  # signed distance of the line from the origin, −b / ‖w‖: what b moves
    points: list[NeuronPoint]


NEURON_REQUESTS: TypeAdapter[NeuronRequest] = TypeAdapter(Annotated[NeuronRequest, Field(discriminator="type")])


# ---- /ws/xor ----


class XorReset(Message):
    """Client → server: new initial weights from seed (and the task to learn); answered by one xor_state frame."""

    type: Literal["xor_reset"]
    model: ModelName
    seed: int = Field(ge=0, le=MAX_SEED)
    task: TaskName


class XorConfig(Message):
    """Client → server (latest wins): how to train from now on, keeping the weights; answered by an xor_state frame."""

    type: Literal["xor_config"]
    model: ModelName
    lr: float = Field(gt=0)
    mode: Mode
    steps_per_frame: int = Field(ge=1)


class XorRun(Message):
    """Client → server: train until paused, streaming an xor_state frame every steps_per_frame steps."""

    type: Literal["xor_run"]
    model: ModelName


class XorPause(Message):
    """Client → server: stop training; answered by one xor_state frame."""

    type: Literal["xor_pause"]
    model: ModelName


class XorStep(Message):
    """Client → server: one SGD step (one example in example mode); answered by one xor_state frame."""

    type: Literal["xor_step"]
    model: ModelName


class XorDerive(Message):
    """Client → server: the backpropagation derivation of the 2-2-1 network for one of the four examples."""

    type: Literal["xor_derive"]
    example: int = Field(ge=0, le=3)


class XorPoint(Message):
    """One of the four points: inputs, target, prediction, its loss (y − ŷ)² and, for the network, (z₁, z₂)."""

    x1: float
    x2: float
    y: float
    yhat: float
    loss: float
    z1: float | None = None
    z2: float | None = None


class XorStateHeader(Message):
    """Server → client, binary frame "xor_state": one model's training state.

    Arrays: "surface" (size×size, ŷ over the input plane), "losses" (the mean loss after each step since the
    previous frame) and, for the network, "hidden_surface" (hidden_size², ŷ over the hidden square).
    """

    type: Literal["xor_state"] = "xor_state"
    model: ModelName
    task: TaskName
    seed: int
    lr: float
    mode: Mode
    steps_per_frame: int
    step: int  # SGD steps taken since the reset
    running: bool
    stopped: str | None  # why a run ended by itself, e.g. the step limit
    loss: float  # mean over the four points of (y − ŷ)² at the current weights
    params: dict[str, float]  # by slide name: w1…w6, b1…b3 (network) or w1, w2, b (neuron)
    grads: dict[str, float] | None  # gradient of the last step's loss by slide name; None before any step
    example: int | None  # the example the last step learned from (example mode)
    solved: bool  # every point on the right side of ŷ = 0.5
    stuck: bool  # not solved and the loss no longer falls: a local minimum (the single neuron on XOR: 0.25)
    points: list[XorPoint]
    box: Point
    size: int
    line: list[Point] | None  # neuron: where ŷ = 0.5 in the input plane
    hidden_box: Point | None
    hidden_size: int | None
    hidden_line: list[Point] | None  # network: where ŷ = 0.5 in the hidden space, w₅z₁ + w₆z₂ + b₃ = 0


class Term(Message):
    """A partial derivative ∂of/∂wrt with its current value; names are the slides' (yhat for ŷ)."""

    of: str
    wrt: str
    value: float


class Factor(Message):
    """One factor of a local derivative, as a small expression of slide names ("1 - yhat") and its value."""

    expr: str
    value: float


class SigmoidPrime(Message):
    """The slide's σ′ line for a step through a sigmoid: σ′(a) = σ(a)(1 − σ(a)) at that neuron's a."""

    out: str  # the neuron's output: "yhat", "z1" or "z2"
    arg: str  # its pre-activation a written in slide names, e.g. "w5 z1 + w6 z2 + b3"
    a: float  # a's value, from the engine's trace (the Dense layer's output)
    sigma: float  # σ(a): the sigmoid layer's traced output (= the value of out)
    derivative: float  # σ′(a) from the engine's activation registry


class DerivationStep(Message):
    """One equation of the slides' derivation: target = carried · local, local = product of factors."""

    id: str
    layer: Literal["loss", "layer 2", "layer 1"]
    target: Term  # what this step finds, e.g. ∂l/∂w5; its value is app/nn's gradient
    carried: Term | None  # the factor carried over from an earlier step, e.g. ∂l/∂ŷ (None for ∂l/∂ŷ itself)
    local: Term  # the factor this step computes, e.g. ∂ŷ/∂w5 (the target itself for ∂l/∂ŷ)
    factors: list[Factor]  # local written out as the slide writes it: ŷ · (1 − ŷ) · z1
    sigmoid: SigmoidPrime | None  # the σ′ the local factor comes from (None for ∂l/∂ŷ)
    product: float  # carried · local (or the factors' product), computed from the traced values
    highlight: list[str]  # diagram parts the step uses: edges w1…b3, nodes x1, x2, z1, z2, yhat


class GradientCheckRow(Message):
    """One parameter: app/nn's gradient next to its finite-difference estimate, and their relative error."""

    name: str
    engine_name: str
    analytic: float
    numeric: float
    relative_error: float


class XorDerivation(Message):
    """Server → client: the derivation for one example at the network's current weights, then the gradient check."""

    type: Literal["xor_derivation"] = "xor_derivation"
    example: int
    step: int  # the network's training step the derivation was made at
    values: dict[str, float]  # every symbol's current number: x1, x2, y, z1, z2, yhat, l, w1…b3
    steps: list[DerivationStep]  # in the slides' order; every step after the first goes through a sigmoid
    check: list[GradientCheckRow]
    eps: float  # the finite differences' step: central differences at eps and eps/2, Richardson-extrapolated


XorRequest = XorReset | XorConfig | XorRun | XorPause | XorStep | XorDerive
XOR_REQUESTS: TypeAdapter[XorRequest] = TypeAdapter(Annotated[XorRequest, Field(discriminator="type")])
XOR_LATEST_WINS = frozenset({"xor_config", "xor_derive"})


# ---- /ws/why-backprop ----


class WhySlide(Message):
    """Client → server: the slide's 2-2-2-2-1 chain network, listed and counted; answered by why_slide."""

    type: Literal["why_slide"]


class WhyCounts(Message):
    """Client → server (latest wins): count the terms for a chain of depth hidden layers of width nodes."""

    type: Literal["why_counts"]
    width: int = Field(ge=1)
    depth: int = Field(ge=1)


class WhyTime(Message):
    """Client → server (latest wins): time both modes for depths 1…depth at this width, streamed one depth a time."""

    type: Literal["why_time"]
    width: int = Field(ge=1)
    depth: int = Field(ge=1)


class SlideTerm(Message):
    """A term the slide lists, and what the instrumented counter says of it."""

    of: str
    wrt: str
    status: TermStatus  # zero: structurally zero, the node does not see the weight


class SlideLayer(Message):
    """One layer of the slide's forward listing: its terms, the slide's count and the consistent count."""

    label: str
    terms: list[SlideTerm]
    slide_count: int
    counted: int  # what the instrumented forward mode computes for this layer


class LayerCount(Message):
    """One layer's derivative terms in both modes; term lists are present when the network is small enough."""

    label: str
    forward: int
    reverse: int
    carried: int  # terms reverse mode takes over from the layer above (in parentheses on the slide)
    forward_terms: list[tuple[str, str]] | None  # (of, wrt) pairs, e.g. ("z3", "w1")
    reverse_terms: list[tuple[str, str]] | None
    carried_terms: list[tuple[str, str]] | None


class SeriesPoint(Message):
    """Total terms of both modes for one depth at the chosen width."""

    depth: int
    weights: int
    forward: int
    reverse: int


class WhyCountsReply(Message):
    """Server → client: the counts for one network, and the series over depth 1…max at its width."""

    type: Literal["why_counts"] = "why_counts"
    width: int
    depth: int
    weights: int
    nodes: int
    layers: list[LayerCount]
    forward_total: int
    reverse_total: int
    gradient_gap: float  # largest |forward-mode − reverse-mode| over the gradient (they agree: ~1e-17)
    series: list[SeriesPoint]


class WhySlideReply(Message):
    """Server → client: the slide's chain network (width 2, depth 3): its listing checked, and its counts."""

    type: Literal["why_slide"] = "why_slide"
    forward: list[SlideLayer]
    counts: WhyCountsReply


class WhyTiming(Message):
    """Server → client (streamed): wall time of the full gradient both ways for one depth."""

    type: Literal["why_timing"] = "why_timing"
    width: int
    depth: int
    weights: int
    forward_ms: float  # forward mode: one tangent pass per weight
    reverse_ms: float  # reverse mode: one forward pass and one backward pass
    repeats: int  # the times are the median of this many runs
    last: bool  # the final depth of this request


WhyRequest = WhySlide | WhyCounts | WhyTime
WHY_REQUESTS: TypeAdapter[WhyRequest] = TypeAdapter(Annotated[WhyRequest, Field(discriminator="type")])
WHY_LATEST_WINS = frozenset({"why_counts", "why_time"})
