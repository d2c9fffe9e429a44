"""Loss values by hand, the seed's squared-error formula, and softmax stability (no torch needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.nn.losses import LOSSES, softmax, softmax_cross_entropy, squared_error


def test_squared_error_of_one_example_is_seeds_formula():
    # seed: l = (y - y_hat)^2 and dl/dy_hat = 2 (y - y_hat) * (-1)
    y_hat, y = np.array([[0.7]]), np.array([[1.0]])
    loss, dy_hat = squared_error(y_hat, y)
    assert loss == pytest.approx((1.0 - 0.7) ** 2, rel=1e-12)
    np.testing.assert_allclose(dy_hat, [[2 * (1.0 - 0.7) * (-1)]], rtol=1e-12)


def test_squared_error_sums_outputs_and_averages_batch():
    y_hat = np.array([[1.0, 2.0], [0.0, 0.0]])
    y = np.array([[0.0, 0.0], [3.0, 1.0]])
    loss, dy_hat = squared_error(y_hat, y)
    assert loss == pytest.approx(((1 + 4) + (9 + 1)) / 2, rel=1e-12)
    np.testing.assert_allclose(dy_hat, 2 * (y_hat - y) / 2, rtol=1e-12)


def test_squared_error_zero_when_prediction_is_exact():
    y = np.array([[0.25, -1.0]])
    loss, dy_hat = squared_error(y.copy(), y)
    assert loss == 0.0
    np.testing.assert_array_equal(dy_hat, np.zeros_like(y))


@pytest.mark.parametrize(
    "loss_fn, target",
    [
        (squared_error, np.array([[0.0, 1.0, 0.0]], dtype=np.float32)),
        (softmax_cross_entropy, np.array([1])),
    ],
    ids=["squared_error", "softmax_cross_entropy"],
)
def test_loss_returns_a_python_float_and_gradient_in_input_dtype(loss_fn, target):
    y_hat = np.array([[0.1, 0.5, -0.2]], dtype=np.float32)
    loss, grad = loss_fn(y_hat, target)
    assert isinstance(loss, float)
    assert grad.dtype == np.float32
    assert grad.shape == y_hat.shape


def test_softmax_rows_sum_to_one(rng):
    probs = softmax(rng.standard_normal((5, 7)) * 4)
    assert probs.shape == (5, 7)
    assert np.all(probs > 0)
    np.testing.assert_allclose(probs.sum(axis=1), np.ones(5), rtol=1e-12)


def test_softmax_is_stable_for_huge_logits():
    probs = softmax(np.array([[1000.0, 1000.0, 0.0], [-1000.0, 0.0, -1000.0], [1000.0, -1000.0, 990.0]]))
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs[0], [0.5, 0.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(probs[1], [0.0, 1.0, 0.0], atol=1e-12)
    z = 1 + math.exp(-10)
    np.testing.assert_allclose(probs[2], [1 / z, 0.0, math.exp(-10) / z], rtol=1e-12, atol=1e-300)


def test_softmax_is_invariant_to_adding_a_constant_per_row(rng):
    logits = rng.standard_normal((3, 4))
    shifted = logits + np.array([[5.0], [-300.0], [700.0]])
    np.testing.assert_allclose(softmax(shifted), softmax(logits), rtol=1e-10)


def test_softmax_float32_stays_float32_and_finite():
    probs = softmax(np.array([[1000.0, 0.0]], dtype=np.float32))
    assert probs.dtype == np.float32
    assert np.all(np.isfinite(probs))


def test_softmax_cross_entropy_of_uniform_logits_is_log_m():
    n, m = 3, 10
    labels = np.array([0, 4, 9])
    loss, dlogits = softmax_cross_entropy(np.zeros((n, m)), labels)
    assert loss == pytest.approx(math.log(m), rel=1e-12)
    expected = np.full((n, m), 1 / m)
    expected[np.arange(n), labels] -= 1
    np.testing.assert_allclose(dlogits, expected / n, rtol=1e-12)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0], [1000.0, 0.0]])
    loss, dlogits = softmax_cross_entropy(logits, np.array([1, 0]))
    assert math.isfinite(loss)
    assert loss == pytest.approx((1000.0 + 0.0) / 2, rel=1e-12)  # wrong label costs 1000, right one ~0
    assert np.all(np.isfinite(dlogits))
    np.testing.assert_allclose(dlogits, [[0.5, -0.5], [0.0, 0.0]], atol=1e-12)


def test_softmax_cross_entropy_gradient_rows_sum_to_zero(rng):
    _, dlogits = softmax_cross_entropy(rng.standard_normal((4, 6)), rng.integers(0, 6, size=4))
    np.testing.assert_allclose(dlogits.sum(axis=1), np.zeros(4), atol=1e-15)


def test_loss_registry_holds_the_two_losses():
    assert len(LOSSES) == 2
    assert all(isinstance(key, str) for key in LOSSES)
    values = list(LOSSES.values())
    flat = [getattr(v, "fn", getattr(v, "function", v)) for v in values]
    assert squared_error in flat and softmax_cross_entropy in flat
