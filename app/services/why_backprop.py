"""Why backpropagation: the full gradient of a chain of dense sigmoid layers by forward mode and by reverse mode,
with every derivative term each one computes counted (and named) as it is computed.

The chain: `width` inputs x, `depth` hidden layers of `width` sigmoid nodes z, one sigmoid output ŷ, no biases,
and the loss l = (y − ŷ)². Weights and nodes are numbered as on the slides, layer by layer, weights row-major in
the engine's (in, out) layout: w₁ links x₁ → z₁, w₂ x₁ → z₂, w₃ x₂ → z₁, w₄ x₂ → z₂, then w₅ z₁ → z₃ … The slide's
network is width 2, depth 3: weights w₁…w₁₄, nodes z₁…z₆ and ŷ.

- Forward mode carries ∂z/∂w for one weight at a time (a tangent pass per weight) from the weight's layer up to
  ŷ: the node the weight feeds, then every node of every later layer. Terms that are structurally zero (a node
  of the weight's own layer that the weight does not feed) are never computed, so never counted.
- Reverse mode goes once from ∂l/∂ŷ down: at each layer ∂l/∂w for its weights and ∂l/∂z for the nodes below,
  each the product of a term carried over from the layer above and a local derivative.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from app.nn.activations import sigmoid
from app.settings import Settings
from app.wire.limits import at_most
from app.wire.protocol import Reply
from app.wire.xor import (
    LayerCount,
    SeriesPoint,
    SlideLayer,
    SlideTerm,
    TermStatus,
    WhyCountsReply,
    WhyRequest,
    WhySlideReply,
    WhyTiming,
)

SLIDE_WIDTH, SLIDE_DEPTH = 2, 3
LOSS_LABEL = "last layer"
SEED = 0

Pair = tuple[str, str]  # (of, wrt): the term ∂of/∂wrt, with slide names ("yhat" for ŷ, "l" for the loss)


def _slide_forward_listing() -> dict[str, list[Pair]]:
    """The forward-path terms exactly as the slide "Why backpropagation?" lists them, layer by layer."""
    return {
        "layer 1": [("z1", "w1"), ("z2", "w2"), ("z1", "w3"), ("z2", "w4")],
        "layer 2": [("z3", "w5"), ("z3", "w7"), ("z4", "w6"), ("z4", "w8")]
        + [(z, f"w{j}") for z in ("z3", "z4") for j in range(1, 5)],
        "layer 3": [("z5", "w9"), ("z5", "w11"), ("z6", "w10"), ("z6", "w12")]
        + [(z, f"w{j}") for z in ("z5", "z6") for j in range(1, 13)],
        "layer 4": [("yhat", "w13"), ("yhat", "w14")] + [("yhat", f"w{j}") for j in range(1, 13)],
        LOSS_LABEL: [("l", f"w{j}") for j in range(1, 15)],
    }


SLIDE_FORWARD = _slide_forward_listing()


@dataclass(frozen=True)
class Chain:
    """A chain network's weights, one (in, out) matrix per layer, with the slides' names for its parts."""

    weights: tuple[np.ndarray, ...]

    @property
    def width(self) -> int:
        return self.weights[0].shape[0]

    @property
    def depth(self) -> int:
        """Hidden layers (the output layer not counted)."""
        return len(self.weights) - 1

    @property
    def size(self) -> int:
        """Number of weights."""
        return sum(w.size for w in self.weights)

    def first_weight(self, layer: int) -> int:
        """Index (from 1) of the first weight of layer (from 1)."""
        return 1 + sum(w.size for w in self.weights[: layer - 1])

    def weight_name(self, layer: int, i: int, k: int) -> str:
        """Slide name of the weight from node i of layer − 1 to node k of layer."""
        return f"w{self.first_weight(layer) + i * self.weights[layer - 1].shape[1] + k}"

    def node_name(self, layer: int, k: int) -> str:
        """Slide name of node k of layer: x (layer 0), z (hidden layers), yhat (the output)."""
        if layer == 0:
            return f"x{k + 1}"
        if layer == len(self.weights):
            return "yhat"
        return f"z{(layer - 1) * self.width + k + 1}"


def chain(width: int, depth: int, rng: np.random.Generator) -> Chain:
    """A chain of depth hidden layers of width sigmoid nodes and one output, weights drawn from N(0, 1)."""
    sizes = [width] * (depth + 1) + [1]
    return Chain(tuple(rng.standard_normal((n_in, n_out)) for n_in, n_out in itertools.pairwise(sizes)))


def layer_label(layer: int) -> str:
    """How the slides name a layer's group of terms."""
    return f"layer {layer}"


@dataclass
class Tally:
    """The derivative terms one mode computed: a count per layer and, when names is on, the terms themselves."""

    names: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    terms: dict[str, list[Pair]] = field(default_factory=dict)
    carried_counts: dict[str, int] = field(default_factory=dict)
    carried: dict[str, list[Pair]] = field(default_factory=dict)

    def add(self, label: str, count: int, pairs: Callable[[], list[Pair]]) -> None:
        """Record count terms computed at label; pairs() names them (called only when names is on)."""
        self.counts[label] = self.counts.get(label, 0) + count
        if self.names:
            self.terms.setdefault(label, []).extend(pairs())

    def carry(self, label: str, count: int, pairs: Callable[[], list[Pair]]) -> None:
        """Record the count terms label takes over from the layer above (reverse mode's parentheses)."""
        self.carried_counts[label] = count
        if self.names:
            self.carried[label] = pairs()

    @property
    def total(self) -> int:
        """Terms computed in all layers together (carried ones are not computed again)."""
        return sum(self.counts.values())


class NoTally(Tally):
    """Counting off, for timing runs: records nothing."""

    def add(self, label: str, count: int, pairs: Callable[[], list[Pair]]) -> None:
        """Record nothing."""

    def carry(self, label: str, count: int, pairs: Callable[[], list[Pair]]) -> None:
        """Record nothing."""


NO_TALLY = NoTally()


def forward_values(net: Chain, x: np.ndarray) -> list[np.ndarray]:
    """Every layer's output: [x, z of layer 1, …, ŷ] (ŷ as a 1-vector)."""
    values = [x]
    for w in net.weights:
        values.append(sigmoid(values[-1] @ w))
    return values


def forward_mode(net: Chain, x: np.ndarray, y: float, tally: Tally = NO_TALLY) -> np.ndarray:
    """∂l/∂w for every weight (in slide order) by one tangent pass per weight, from its layer up to ŷ."""
    values = forward_values(net, x)
    slopes = [z * (1 - z) for z in values]  # σ'(a) = z(1 − z), layer by layer
    dl_dyhat = 2 * (y - values[-1][0]) * -1
    top = len(net.weights)
    grad = []
    for layer, w in enumerate(net.weights, start=1):
        for i, k in np.ndindex(w.shape):
            name = net.weight_name(layer, i, k)
            tangent = np.zeros(w.shape[1])
            tangent[k] = slopes[layer][k] * values[layer - 1][i]  # only node k sees this weight
            tally.add(layer_label(layer), 1, lambda: [(net.node_name(layer, k), name)])
            for above in range(layer + 1, top + 1):
                tangent = slopes[above] * (tangent @ net.weights[above - 1])  # every node of the layer above
                nodes = range(tangent.size)
                tally.add(layer_label(above), tangent.size, lambda: [(net.node_name(above, j), name) for j in nodes])
            grad.append(dl_dyhat * tangent[0])
            tally.add(LOSS_LABEL, 1, lambda: [("l", name)])
    return np.array(grad)


def reverse_mode(net: Chain, x: np.ndarray, y: float, tally: Tally = NO_TALLY) -> np.ndarray:
    """∂l/∂w for every weight (in slide order) by one backward pass from ∂l/∂ŷ down to layer 1."""
    values = forward_values(net, x)
    carried = np.array([2 * (y - values[-1][0]) * -1])  # ∂l/∂ŷ
    tally.add(LOSS_LABEL, 1, lambda: [("l", "yhat")])
    grads = []
    for layer in range(len(net.weights), 0, -1):
        w, label = net.weights[layer - 1], layer_label(layer)
        tally.carry(label, w.shape[1], lambda: [("l", net.node_name(layer, k)) for k in range(w.shape[1])])
        local = carried * values[layer] * (1 - values[layer])  # ∂l/∂z · z(1 − z) for each node of the layer
        grads.append(np.outer(values[layer - 1], local).ravel())  # ∂l/∂w = ∂l/∂z · z(1 − z) · input
        tally.add(label, w.size, lambda: [("l", net.weight_name(layer, i, k)) for i, k in np.ndindex(w.shape)])
        if layer > 1:
            carried = w @ local  # ∂l/∂z for the nodes below, passed down
            tally.add(label, w.shape[0], lambda: [("l", net.node_name(layer - 1, i)) for i in range(w.shape[0])])
    return np.concatenate(grads[::-1])


def sample(width: int, depth: int, seed: int = SEED) -> tuple[Chain, np.ndarray, float]:
    """A reproducible chain with an input x in (0, 1)^width and a target y in (0, 1)."""
    rng = np.random.default_rng(seed)
    net = chain(width, depth, rng)
    return net, rng.uniform(0, 1, width), float(rng.uniform(0, 1))


@dataclass
class Counts:
    """Both modes' tallies for one chain, and the largest difference between their gradients."""

    net: Chain
    forward: Tally
    reverse: Tally
    gap: float


def count(width: int, depth: int, names: bool = False) -> Counts:
    """Run both modes on a sample chain with counting on."""
    net, x, y = sample(width, depth)
    forward, reverse = Tally(names), Tally(names)
    gap = float(np.max(np.abs(forward_mode(net, x, y, forward) - reverse_mode(net, x, y, reverse))))
    return Counts(net, forward, reverse, gap)


def _labels(net: Chain) -> list[str]:
    """Layer labels from the input side up, then the loss."""
    return [layer_label(layer) for layer in range(1, len(net.weights) + 1)] + [LOSS_LABEL]


def _forward_order(net: Chain, label: str, pairs: list[Pair]) -> list[Pair]:
    """The slide's order within a layer: the layer's own weights first, then earlier ones, node by node."""
    own = {
        net.weight_name(layer, i, k)
        for layer in range(1, len(net.weights) + 1)
        if layer_label(layer) == label
        for i, k in np.ndindex(net.weights[layer - 1].shape)
    }
    return sorted(pairs, key=lambda p: (p[1] not in own, _number(p[0]), _number(p[1])))


def _number(name: str) -> int:
    """The index in a slide name (z12 → 12), 0 for names without one (yhat, l)."""
    digits = name.lstrip("abcdefghijklmnopqrstuvwxyz")
    return int(digits) if digits else 0


def series(width: int, max_depth: int) -> list[SeriesPoint]:
    """Total terms of both modes for depths 1…max_depth at width, each counted by running the instrumented code."""
    points = []
    for depth in range(1, max_depth + 1):
        counted = count(width, depth)
        points.append(
            SeriesPoint(
                depth=depth,
                weights=counted.net.size,
                forward=counted.forward.total,
                reverse=counted.reverse.total,
            )
        )
    return points


def counts_reply(width: int, depth: int, max_depth: int, max_listed: int) -> WhyCountsReply:
    """Counts per layer for one chain (term lists when it has at most max_listed terms), with the depth series."""
    probe = count(width, depth)
    listed = probe.forward.total + probe.reverse.total <= max_listed
    counted = count(width, depth, names=True) if listed else probe
    forward, reverse, net = counted.forward, counted.reverse, counted.net
    layers = [
        LayerCount(
            label=label,
            forward=forward.counts.get(label, 0),
            reverse=reverse.counts.get(label, 0),
            carried=reverse.carried_counts.get(label, 0),
            forward_terms=_forward_order(net, label, forward.terms.get(label, [])) if listed else None,
            reverse_terms=reverse.terms.get(label, []) if listed else None,
            carried_terms=reverse.carried.get(label, []) if listed else None,
        )
        for label in _labels(net)
    ]
    return WhyCountsReply(
        width=width,
        depth=depth,
        weights=net.size,
        nodes=width * depth + 1,
        layers=layers,
        forward_total=forward.total,
        reverse_total=reverse.total,
        gradient_gap=counted.gap,
        series=series(width, max_depth),
    )


def slide_listing(computed: dict[str, list[Pair]]) -> list[SlideLayer]:
    """The slide's forward listing with each term marked computed, repeated (listed twice) or structurally zero."""
    layers = []
    for label, terms in SLIDE_FORWARD.items():
        done = set(computed.get(label, []))
        seen: set[Pair] = set()
        marked = []
        for pair in terms:
            status: TermStatus = "repeated" if pair in seen else "computed" if pair in done else "zero"
            seen.add(pair)
            marked.append(SlideTerm(of=pair[0], wrt=pair[1], status=status))
        layers.append(SlideLayer(label=label, terms=marked, slide_count=len(terms), counted=len(done)))
    return layers


def slide_reply(max_depth: int, max_listed: int) -> WhySlideReply:
    """The slide's chain network (width 2, depth 3): its listing checked against the instrumented count."""
    counts = counts_reply(SLIDE_WIDTH, SLIDE_DEPTH, max_depth, max_listed)
    computed = {layer.label: list(layer.forward_terms or []) for layer in counts.layers}
    return WhySlideReply(forward=slide_listing(computed), counts=counts)


def time_modes(net: Chain, x: np.ndarray, y: float, repeats: int) -> tuple[float, float]:
    """Median wall time in seconds of the full gradient by forward mode and by reverse mode (counting off)."""
    forward, reverse = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        forward_mode(net, x, y)
        middle = time.perf_counter()
        reverse_mode(net, x, y)
        reverse.append(time.perf_counter() - middle)
        forward.append(middle - start)
    return statistics.median(forward), statistics.median(reverse)


def timings(width: int, depth: int, repeats: int) -> Iterator[WhyTiming]:
    """Time both modes for depths 1…depth at width, one message per depth as it is measured."""
    for d in range(1, depth + 1):
        net, x, y = sample(width, d)
        forward_s, reverse_s = time_modes(net, x, y, repeats)
        yield WhyTiming(
            width=width,
            depth=d,
            weights=net.size,
            forward_ms=forward_s * 1e3,
            reverse_ms=reverse_s * 1e3,
            repeats=repeats,
            last=d == depth,
        )


class WhyConversation:
    """One connection to /ws/why-backprop: counts answered at once, timings streamed depth by depth."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def handle(self, message: WhyRequest) -> list[Reply] | Iterator[Reply]:
        """The slide's listing, the counts for a size, or a stream of timings."""
        settings = self.settings
        if message.type == "why_slide":
            return [slide_reply(settings.why_max_depth, settings.why_max_listed_terms)]
        at_most("width", message.width, "why_max_width", settings)
        at_most("depth", message.depth, "why_max_depth", settings)
        if message.type == "why_counts":
            return [counts_reply(message.width, message.depth, settings.why_max_depth, settings.why_max_listed_terms)]
        return timings(message.width, message.depth, settings.why_timing_repeats)
