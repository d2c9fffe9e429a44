"""Why backpropagation (app.services.why_backprop): instrumented forward and reverse mode on chain networks."""

from __future__ import annotations

import numpy as np
import pytest

from app.nn import Dense, Sequential, Sigmoid, squared_error
from app.services.why_backprop import (
    SLIDE_DEPTH,
    SLIDE_WIDTH,
    count,
    counts_reply,
    forward_mode,
    reverse_mode,
    sample,
    slide_reply,
    timings,
)

LABELS = ["layer 1", "layer 2", "layer 3", "layer 4", "last layer"]
# The backward path exactly as the slide "Why backpropagation?" lists it: computed terms, then (carried) ones.
SLIDE_BACKWARD = {
    "last layer": ([("l", "yhat")], []),
    "layer 4": ([("l", "w13"), ("l", "w14"), ("l", "z5"), ("l", "z6")], [("l", "yhat")]),
    "layer 3": ([("l", f"w{j}") for j in range(9, 13)] + [("l", "z3"), ("l", "z4")], [("l", "z5"), ("l", "z6")]),
    "layer 2": ([("l", f"w{j}") for j in range(5, 9)] + [("l", "z1"), ("l", "z2")], [("l", "z3"), ("l", "z4")]),
    "layer 1": ([("l", f"w{j}") for j in range(1, 5)], [("l", "z1"), ("l", "z2")]),
}


def engine_gradient(weights: tuple[np.ndarray, ...], x: np.ndarray, y: float) -> np.ndarray:
    """∂l/∂w of the same chain built from app/nn (Dense without bias, Sigmoid), flattened in slide order."""
    layers = []
    for i, w in enumerate(weights):
        dense = Dense(*w.shape, bias=False, dtype=np.float64, name=f"dense{i}")
        dense.params["w"][...] = w
        layers += [dense, Sigmoid(f"sigma{i}")]
    model = Sequential(layers)
    _, dout = squared_error(model.forward(x[None, :]), np.array([[y]]))
    model.backward(dout)
    return np.concatenate([model.grads()[f"dense{i}.w"].ravel() for i in range(len(weights))])


def test_slide_network_instrumented_forward_counts_are_4_12_20_14_14() -> None:
    counted = count(SLIDE_WIDTH, SLIDE_DEPTH, names=True)
    assert counted.net.size == 14
    assert counted.forward.counts == dict(zip(LABELS, [4, 12, 20, 14, 14], strict=True))
    assert counted.forward.total == 64


def test_slide_network_backward_list_is_the_slides() -> None:
    counted = count(SLIDE_WIDTH, SLIDE_DEPTH, names=True)
    for label, (computed, carried) in SLIDE_BACKWARD.items():
        assert counted.reverse.terms[label] == computed
        assert counted.reverse.carried.get(label, []) == carried
    assert counted.reverse.counts == {"last layer": 1, "layer 4": 4, "layer 3": 6, "layer 2": 6, "layer 1": 4}
    assert counted.reverse.total == 21


def test_slide_listing_is_28_in_layer_3_because_of_four_repeats_and_four_zeros() -> None:
    listing = {layer.label: layer for layer in slide_reply(max_depth=4, max_listed=600).forward}
    assert [listing[label].slide_count for label in LABELS] == [4, 12, 28, 14, 14]
    assert [listing[label].counted for label in LABELS] == [4, 12, 20, 14, 14]
    odd = {(t.of, t.wrt): t.status for t in listing["layer 3"].terms if t.status != "computed"}
    assert odd == {
        ("z5", "w9"): "repeated",
        ("z5", "w11"): "repeated",
        ("z6", "w10"): "repeated",
        ("z6", "w12"): "repeated",
        ("z5", "w10"): "zero",
        ("z5", "w12"): "zero",
        ("z6", "w9"): "zero",
        ("z6", "w11"): "zero",
    }
    for label in ("layer 1", "layer 2", "layer 4", "last layer"):
        assert all(t.status == "computed" for t in listing[label].terms)


def test_consecutive_hidden_layers_differ_by_8_terms_on_the_slide_network() -> None:
    counts = count(SLIDE_WIDTH, SLIDE_DEPTH).forward.counts
    assert counts["layer 2"] - counts["layer 1"] == counts["layer 3"] - counts["layer 2"] == 8


def test_weights_are_numbered_like_the_xor_slides() -> None:
    net, _, _ = sample(2, 3)
    assert [net.weight_name(1, i, k) for i, k in [(0, 0), (0, 1), (1, 0), (1, 1)]] == ["w1", "w2", "w3", "w4"]
    assert net.weight_name(2, 0, 1) == "w6" and net.weight_name(4, 1, 0) == "w14"
    assert [net.node_name(3, k) for k in range(2)] == ["z5", "z6"] and net.node_name(4, 0) == "yhat"


@pytest.mark.parametrize("width, depth", [(2, 3), (1, 1), (3, 2), (4, 5), (2, 8)])
def test_forward_and_reverse_mode_agree_with_app_nn(width: int, depth: int) -> None:
    net, x, y = sample(width, depth, seed=width * 10 + depth)
    expected = engine_gradient(net.weights, x, y)
    np.testing.assert_allclose(forward_mode(net, x, y), expected, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(reverse_mode(net, x, y), expected, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("width, depth", [(1, 1), (2, 3), (3, 4), (5, 2), (8, 12)])
def test_counts_grow_linearly_backward_and_quadratically_forward(width: int, depth: int) -> None:
    counted = count(width, depth)
    weights = counted.net.size
    assert weights == width * width * (depth + 1) - width * width + width
    # backward: one term per weight, per hidden node (∂l/∂z) and ∂l/∂ŷ
    assert counted.reverse.total == weights + width * depth + 1
    # forward: each layer's own weights, plus every node's term for every earlier weight, plus ∂l/∂w
    earlier = [width * width * (layer - 1) for layer in range(1, depth + 2)]
    nodes = [width] * depth + [1]
    own = [width * width] * depth + [width]
    assert counted.forward.total == sum(o + n * e for o, n, e in zip(own, nodes, earlier, strict=True)) + weights


def test_counts_reply_lists_terms_only_for_small_networks() -> None:
    small = counts_reply(2, 3, max_depth=3, max_listed=600)
    assert small.layers[0].forward_terms == [("z1", "w1"), ("z1", "w3"), ("z2", "w2"), ("z2", "w4")]
    assert [layer.carried for layer in small.layers] == [2, 2, 2, 1, 0]
    assert [(p.depth, p.weights) for p in small.series] == [(1, 6), (2, 10), (3, 14)]
    assert small.gradient_gap < 1e-15
    big = counts_reply(6, 6, max_depth=6, max_listed=600)
    assert big.layers[0].forward_terms is None and big.layers[0].forward == 36
    assert big.forward_total > big.reverse_total


def test_timings_stream_one_message_per_depth() -> None:
    messages = list(timings(2, 4, repeats=2))
    assert [m.depth for m in messages] == [1, 2, 3, 4]
    assert [m.last for m in messages] == [False, False, False, True]
    assert [m.weights for m in messages] == [6, 10, 14, 18]
    assert all(m.forward_ms > 0 and m.reverse_ms > 0 for m in messages)
