"""Every backward pass against central finite differences, in float64.

For a layer y = f(x; params) and a random upstream gradient g, the scalar L = sum(f(x) * g) has
dL/dx = backward(g) and dL/dparam = layer.grads[param]; both are checked against
app.nn.gradcheck.numerical_gradient (which is itself checked against an independent loop below).
"""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.nn.activations import ACTIVATIONS, ActivationName
from app.nn.arithmetic import effective_kernel
from app.nn.gradcheck import check_gradients, numerical_gradient, relative_error
from app.nn.layers import AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sigmoid, Tanh
from app.nn.losses import softmax_cross_entropy, squared_error
from app.nn.sequential import Sequential

TOL = 1e-6
GRAD_SETTINGS = settings(max_examples=30, deadline=None)


def spread_away_from_zero(x: np.ndarray, margin: float = 0.05) -> np.ndarray:
    """Push every value at least `margin` away from 0 (ReLU's kink), keeping its sign."""
    return np.where(x >= 0, x + margin, x - margin)


def distinct_values(rng: np.random.Generator, shape, spacing: float = 1e-2) -> np.ndarray:
    """Values pairwise at least `spacing` apart (no near-ties for max-pool), in random order."""
    n = int(np.prod(shape))
    return (rng.permutation(n).astype(np.float64) * spacing - n * spacing / 2).reshape(shape)


def check_layer(layer, x: np.ndarray, rng: np.random.Generator, tol: float = TOL) -> dict[str, float]:
    """Analytic vs numerical gradient of sum(layer.forward(x) * g) for the input and every param."""
    out = layer.forward(x)
    g = rng.standard_normal(out.shape)
    dx = layer.backward(g)
    assert dx.shape == x.shape
    assert set(layer.grads) == set(layer.params)
    analytic = {"input": dx.copy(), **{k: v.copy() for k, v in layer.grads.items()}}

    def loss() -> float:
        return float(np.sum(layer.forward(x) * g))

    errors = {"input": relative_error(analytic["input"], numerical_gradient(loss, x))}
    for key, value in layer.params.items():
        assert analytic[key].shape == value.shape
        errors[key] = relative_error(analytic[key], numerical_gradient(loss, value))
    assert all(err < tol for err in errors.values()), errors
    return errors


# ---------------------------------------------------------------- the checker checks


def test_numerical_gradient_agrees_with_an_independent_finite_difference_loop(rng):
    """One Conv2D case, done by hand with copies (no in-place tricks), to check the checker."""
    layer = Conv2D(2, 3, 3, stride=2, padding=1, dilation=1, rng=rng, dtype=np.float64)
    x = rng.standard_normal((2, 2, 5, 6))
    g = rng.standard_normal(layer.forward(x).shape)
    eps = 1e-6

    def f(xv: np.ndarray) -> float:
        return float(np.sum(layer.forward(xv) * g))

    by_hand = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        by_hand[idx] = (f(plus) - f(minus)) / (2 * eps)

    x_before = x.copy()
    checker = numerical_gradient(lambda: f(x), x)
    np.testing.assert_array_equal(x, x_before)  # perturbed in place, then restored
    np.testing.assert_allclose(checker, by_hand, rtol=1e-7, atol=1e-9)

    layer.forward(x)
    analytic = layer.backward(g)
    assert np.linalg.norm(analytic - by_hand) / np.linalg.norm(by_hand) < TOL


def test_numerical_gradient_of_known_function_and_restores_input():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    original = x.copy()
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * original**2, rtol=1e-8)
    np.testing.assert_array_equal(x, original)


@pytest.mark.parametrize(
    "make",
    [
        lambda: np.arange(6.0).reshape(2, 3).T,
        lambda: np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        lambda: np.arange(24.0).reshape(4, 6)[::2, 1::2],
    ],
    ids=["transposed", "fortran_order", "strided_2d"],
)
def test_numerical_gradient_perturbs_non_contiguous_arrays_in_place(make):
    """Spec: numerical_gradient perturbs x in place. Transposed/sliced params (e.g. a Dense weight viewed as
    w.T) are not C-contiguous; the perturbation must still reach the array f reads."""
    x = make()
    original = x.copy()
    grad = numerical_gradient(lambda: float(np.sum(x**2)), x)
    np.testing.assert_allclose(grad, 2 * original, rtol=1e-7, atol=1e-7)
    np.testing.assert_array_equal(x, original)


def test_relative_error_values():
    a = np.array([3.0, 4.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(a, np.zeros(2)) == pytest.approx(1.0)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0  # denominator floor, no division by zero
    assert relative_error(a, a + np.array([0.0, 1e-3])) == pytest.approx(1e-3 / (5 + np.hypot(3, 4.001)))


# ---------------------------------------------------------------- layers


@given(
    n=st.integers(1, 2),
    c=st.integers(1, 3),
    f=st.integers(1, 3),
    h=st.integers(1, 7),
    w=st.integers(1, 7),
    k=st.integers(1, 3),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    d=st.integers(1, 2),
    bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
@GRAD_SETTINGS
def test_conv2d_backward_matches_finite_differences(n, c, f, h, w, k, s, p, d, bias, seed):
    keff = effective_kernel(k, d)
    assume(keff <= h + 2 * p and keff <= w + 2 * p)
    rng = np.random.default_rng(seed)
    layer = Conv2D(c, f, k, stride=s, padding=p, dilation=d, bias=bias, rng=rng, dtype=np.float64)
    assert ("b" in layer.params) == bias
    check_layer(layer, rng.standard_normal((n, c, h, w)), rng)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_conv2d_backward_bias_gradient_is_sum_of_upstream(rng, bias):
    layer = Conv2D(2, 3, 3, padding=1, bias=bias, rng=rng, dtype=np.float64)
    x = rng.standard_normal((2, 2, 4, 4))
    g = rng.standard_normal(layer.forward(x).shape)
    layer.backward(g)
    if bias:
        np.testing.assert_allclose(layer.grads["b"], g.sum(axis=(0, 2, 3)), rtol=1e-12)
    else:
        assert "b" not in layer.grads


@given(
    n=st.integers(1, 2),
    c=st.integers(1, 2),
    h=st.integers(1, 7),
    w=st.integers(1, 7),
    k=st.integers(1, 3),
    s=st.one_of(st.none(), st.integers(1, 3)),
    data=st.data(),
    seed=st.integers(0, 2**16),
)
@GRAD_SETTINGS
def test_maxpool2d_backward_matches_finite_differences(n, c, h, w, k, s, data, seed):
    p = data.draw(st.integers(0, k // 2), label="p")
    assume(k <= h + 2 * p and k <= w + 2 * p)
    rng = np.random.default_rng(seed)
    layer = MaxPool2D(k, stride=s, padding=p)
    assert layer.params == {}
    check_layer(layer, distinct_values(rng, (n, c, h, w)), rng)


def test_maxpool2d_overlapping_windows_accumulate_gradient_at_shared_max():
    # kernel 2 stride 1 on a 2x3 input: 5 wins the left window, 9 the right one
    x = np.array([0.0, 5.0, 1.0, 2.0, 3.0, 9.0]).reshape(1, 1, 2, 3)
    layer = MaxPool2D(2, stride=1)
    out = layer.forward(x)
    np.testing.assert_array_equal(out, [[[[5.0, 9.0]]]])
    dx = layer.backward(np.array([[[[1.0, 10.0]]]]))
    np.testing.assert_array_equal(dx, [[[[0.0, 1.0, 0.0], [0.0, 0.0, 10.0]]]])
    # one value that is the max of both windows receives both upstream gradients
    x = np.array([0.0, 9.0, 1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 2, 3)
    layer.forward(x)
    dx = layer.backward(np.array([[[[1.0, 10.0]]]]))
    np.testing.assert_array_equal(dx, [[[[0.0, 11.0, 0.0], [0.0, 0.0, 0.0]]]])


@given(
    n=st.integers(1, 2),
    c=st.integers(1, 2),
    h=st.integers(1, 7),
    w=st.integers(1, 7),
    k=st.integers(1, 3),
    s=st.one_of(st.none(), st.integers(1, 3)),
    data=st.data(),
    seed=st.integers(0, 2**16),
)
@GRAD_SETTINGS
def test_avgpool2d_backward_matches_finite_differences(n, c, h, w, k, s, data, seed):
    p = data.draw(st.integers(0, k // 2), label="p")
    assume(k <= h + 2 * p and k <= w + 2 * p)
    rng = np.random.default_rng(seed)
    layer = AvgPool2D(k, stride=s, padding=p)
    assert layer.params == {}
    check_layer(layer, rng.standard_normal((n, c, h, w)), rng)


def test_avgpool2d_padding_counts_as_zero_cells():
    layer = AvgPool2D(3, stride=1, padding=1)
    out = layer.forward(np.ones((1, 1, 2, 2)))
    # each 3x3 window sees 4 ones and 5 zero padding cells
    np.testing.assert_allclose(out, np.full((1, 1, 2, 2), 4 / 9))


@given(n=st.integers(1, 4), d_in=st.integers(1, 6), m=st.integers(1, 5), bias=st.booleans(), seed=st.integers(0, 2**16))
@GRAD_SETTINGS
def test_dense_backward_matches_finite_differences(n, d_in, m, bias, seed):
    rng = np.random.default_rng(seed)
    layer = Dense(d_in, m, bias=bias, rng=rng, dtype=np.float64)
    assert layer.params["w"].shape == (d_in, m)
    assert ("b" in layer.params) == bias
    x = rng.standard_normal((n, d_in))
    out = layer.forward(x)
    expected = x @ layer.params["w"] + (layer.params["b"] if bias else 0.0)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    check_layer(layer, x, rng)


@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4)),
    seed=st.integers(0, 2**16),
)
@GRAD_SETTINGS
def test_flatten_backward_matches_finite_differences(shape, seed):
    rng = np.random.default_rng(seed)
    layer = Flatten()
    x = rng.standard_normal(shape)
    out = layer.forward(x)
    assert out.shape == (shape[0], int(np.prod(shape[1:])))
    np.testing.assert_array_equal(out, x.reshape(shape[0], -1))
    check_layer(layer, x, rng)


activation_layers = pytest.mark.parametrize("make", [ReLU, Sigmoid, Tanh], ids=["relu", "sigmoid", "tanh"])


@activation_layers
@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4)),
    seed=st.integers(0, 2**16),
)
@GRAD_SETTINGS
def test_activation_layer_backward_matches_finite_differences(make, shape, seed):
    rng = np.random.default_rng(seed)
    layer = make()
    assert layer.params == {}
    # 2D and 4D inputs both go through; ReLU's kink at 0 is avoided; |x| mostly < 5 so tanh' is not so small
    # that finite-difference round-off (~1e-9) dominates it
    x = spread_away_from_zero(rng.standard_normal(shape) * 1.5)
    check_layer(layer, x, rng)
    check_layer(layer, x.reshape(shape[0], -1), rng)


@activation_layers
def test_activation_layer_forward_values(make, rng):
    x = spread_away_from_zero(rng.standard_normal((3, 5)))
    reference = {ReLU: lambda a: np.maximum(a, 0), Sigmoid: lambda a: 1 / (1 + np.exp(-a)), Tanh: np.tanh}[make]
    np.testing.assert_allclose(make().forward(x), reference(x), rtol=1e-12)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "step", "identity"])
def test_activation_registry_derivative_matches_finite_differences(name, rng):
    act = ACTIVATIONS[name]
    a = spread_away_from_zero(rng.standard_normal(50) * 3)  # relu/step kinks at 0 avoided
    h = act.forward(a)
    eps = 1e-6
    numeric = (act.forward(a + eps) - act.forward(a - eps)) / (2 * eps)
    np.testing.assert_allclose(act.derivative(a, h), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "step", "identity"])
def test_activation_registry_outputs_lie_in_declared_range(name, rng):
    act = ACTIVATIONS[name]
    assert act.name == name
    lo, hi = act.range
    h = act.forward(np.concatenate([rng.standard_normal(100) * 10, [-50.0, 0.0, 50.0]]))
    assert np.all(h >= lo) and np.all(h <= hi)


def test_activation_registry_has_the_five_activations():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "step", "identity"}


def test_activation_names_the_messages_accept_are_the_registry_keys():
    assert get_args(ActivationName) == tuple(ACTIVATIONS)


def test_activation_registry_sigmoid_derivative_is_seeds_y_times_one_minus_y():
    act = ACTIVATIONS["sigmoid"]
    a = np.array([-2.0, 0.0, 0.7])
    y = act.forward(a)
    np.testing.assert_allclose(act.derivative(a, y), y * (1 - y), rtol=1e-12)


# ---------------------------------------------------------------- losses


@given(n=st.integers(1, 4), m=st.integers(1, 5), seed=st.integers(0, 2**16))
@GRAD_SETTINGS
def test_squared_error_gradient_matches_finite_differences(n, m, seed):
    rng = np.random.default_rng(seed)
    y_hat, y = rng.standard_normal((n, m)), rng.standard_normal((n, m))
    loss, dy_hat = squared_error(y_hat, y)
    assert dy_hat.shape == y_hat.shape
    numeric = numerical_gradient(lambda: float(squared_error(y_hat, y)[0]), y_hat)
    assert relative_error(dy_hat, numeric) < TOL


# Logits at most 4 apart: with a confident right prediction the true gradient can be ~1e-8, below what
# central differences can resolve (round-off of the loss ~1e-16 / eps = 1e-10), so the check would be noise.
@given(n=st.integers(1, 4), m=st.integers(2, 6), scale=st.sampled_from([0.1, 1.0, 2.0]), seed=st.integers(0, 2**16))
@GRAD_SETTINGS
def test_softmax_cross_entropy_gradient_matches_finite_differences(n, m, scale, seed):
    rng = np.random.default_rng(seed)
    logits = rng.uniform(-1.0, 1.0, size=(n, m)) * scale
    labels = rng.integers(0, m, size=n)
    loss, dlogits = softmax_cross_entropy(logits, labels)
    assert dlogits.shape == logits.shape
    numeric = numerical_gradient(lambda: float(softmax_cross_entropy(logits, labels)[0]), logits)
    assert relative_error(dlogits, numeric) < TOL


# ---------------------------------------------------------------- whole model


def small_cnn(rng: np.random.Generator) -> Sequential:
    return Sequential(
        [
            Conv2D(1, 3, 3, padding=1, rng=rng, dtype=np.float64, name="conv1"),
            ReLU(name="relu1"),
            MaxPool2D(2, name="pool1"),
            Flatten(name="flatten"),
            Dense(3 * 3 * 3, 4, rng=rng, dtype=np.float64, name="fc"),
        ]
    )


def test_check_gradients_on_small_sequential_all_below_1e6_with_cross_entropy(rng):
    model = small_cnn(rng)
    x = rng.standard_normal((2, 1, 6, 6))
    y = np.array([1, 3])
    errors = check_gradients(model, softmax_cross_entropy, x, y)
    assert set(errors) == set(model.params()) | {"input"}
    assert set(errors) >= {"conv1.w", "conv1.b", "fc.w", "fc.b", "input"}
    assert all(err < TOL for err in errors.values()), errors


def test_check_gradients_on_small_sequential_all_below_1e6_with_squared_error(rng):
    model = small_cnn(rng)
    x = rng.standard_normal((3, 1, 6, 6))
    y = rng.standard_normal((3, 4))
    errors = check_gradients(model, squared_error, x, y)
    assert set(errors) == set(model.params()) | {"input"}
    assert all(err < TOL for err in errors.values()), errors


def test_check_gradients_detects_a_wrong_backward(rng):
    """A gradient checker that always says 'fine' is worthless: break a layer and see it noticed."""

    class WrongReLU(ReLU):
        def backward(self, dout, *args, **kwargs):
            return 2.0 * super().backward(dout, *args, **kwargs)

    model = Sequential(
        [
            Dense(4, 5, rng=rng, dtype=np.float64, name="fc1"),
            WrongReLU(name="bad"),
            Dense(5, 3, rng=rng, dtype=np.float64, name="fc2"),
        ]
    )
    errors = check_gradients(model, softmax_cross_entropy, rng.standard_normal((2, 4)), np.array([0, 2]))
    assert errors["fc1.w"] > 1e-2
    assert errors["input"] > 1e-2
    assert errors["fc2.w"] < TOL  # above the broken layer, gradients are still right
