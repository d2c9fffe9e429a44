"""Optimizer steps checked by hand (no torch needed; tests/nn/test_torch_oracle.py compares with torch.optim)."""

from __future__ import annotations

import numpy as np
import pytest

from app.nn.optim import SGD, Adam


def test_sgd_one_step_by_hand():
    params = {"w": np.array([1.0, 2.0])}
    SGD(0.1).step(params, {"w": np.array([0.5, -1.0])})
    np.testing.assert_allclose(params["w"], [0.95, 2.1], rtol=1e-15)


def test_sgd_updates_the_same_array_in_place():
    w = np.array([1.0, 2.0])
    params = {"w": w}
    SGD(0.1).step(params, {"w": np.ones(2)})
    assert params["w"] is w
    np.testing.assert_allclose(w, [0.9, 1.9])


def test_sgd_momentum_two_steps_by_hand():
    # torch semantics: buf_1 = g_1; buf_t = m * buf_{t-1} + g_t; p -= lr * buf
    params = {"w": np.array([1.0])}
    opt = SGD(0.1, momentum=0.9)
    opt.step(params, {"w": np.array([1.0])})
    np.testing.assert_allclose(params["w"], [0.9])
    opt.step(params, {"w": np.array([2.0])})  # buf = 0.9 * 1 + 2 = 2.9
    np.testing.assert_allclose(params["w"], [0.9 - 0.29])


def test_sgd_weight_decay_adds_l2_term_to_gradient():
    params = {"w": np.array([2.0, -4.0])}
    SGD(0.5, weight_decay=0.1).step(params, {"w": np.array([0.0, 1.0])})
    # g' = g + wd * p = [0.2, 0.6]
    np.testing.assert_allclose(params["w"], [2.0 - 0.1, -4.0 - 0.3])


def test_adam_first_step_moves_each_weight_by_about_lr_against_its_gradient_sign():
    params = {"w": np.array([1.0, 1.0, 1.0])}
    g = np.array([0.3, -2.0, 1e-3])
    Adam(lr=0.01).step(params, {"w": g})
    # bias-corrected m_hat = g, v_hat = g^2  =>  step = lr * g / (|g| + eps)
    np.testing.assert_allclose(params["w"], 1.0 - 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adam_two_steps_by_hand_with_weight_decay():
    lr, (b1, b2), eps, wd = 0.1, (0.9, 0.999), 1e-8, 0.05
    p = np.array([0.5, -1.5])
    params = {"w": p.copy()}
    opt = Adam(lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    m = v = np.zeros(2)
    for t, g in enumerate([np.array([0.2, -0.4]), np.array([-0.1, 0.3])], start=1):
        opt.step(params, {"w": g.copy()})
        ge = g + wd * p
        m = b1 * m + (1 - b1) * ge
        v = b2 * v + (1 - b2) * ge**2
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(params["w"], p, rtol=1e-12, err_msg=f"step {t}")


def test_adam_defaults():
    opt = Adam()
    params = {"w": np.array([0.0])}
    opt.step(params, {"w": np.array([5.0])})
    np.testing.assert_allclose(params["w"], [-1e-3], rtol=1e-6)


@pytest.mark.parametrize(
    "make",
    [lambda: SGD(0.1, momentum=0.9, weight_decay=0.01), lambda: Adam(lr=0.01, weight_decay=0.01)],
    ids=["sgd", "adam"],
)
def test_optimizer_state_is_kept_per_key(make):
    """Stepping two keys with one optimizer equals stepping each key with its own optimizer."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(3), rng.standard_normal((2, 2))
    together = {"a": a.copy(), "b": b.copy()}
    alone_a, alone_b = {"a": a.copy()}, {"b": b.copy()}
    opt, opt_a, opt_b = make(), make(), make()
    for _ in range(4):
        ga, gb = rng.standard_normal(3), rng.standard_normal((2, 2))
        opt.step(together, {"a": ga, "b": gb})
        opt_a.step(alone_a, {"a": ga})
        opt_b.step(alone_b, {"b": gb})
    np.testing.assert_array_equal(together["a"], alone_a["a"])
    np.testing.assert_array_equal(together["b"], alone_b["b"])


@pytest.mark.parametrize(
    "make",
    [lambda: SGD(0.1, momentum=0.9, weight_decay=0.1), lambda: Adam(lr=0.01, weight_decay=0.1)],
    ids=["sgd", "adam"],
)
def test_optimizer_step_does_not_modify_the_callers_gradients(make):
    rng = np.random.default_rng(1)
    params = {"w": rng.standard_normal(4)}
    grads = {"w": rng.standard_normal(4)}
    saved = grads["w"].copy()
    opt = make()
    opt.step(params, grads)
    opt.step(params, grads)
    np.testing.assert_array_equal(grads["w"], saved)


@pytest.mark.parametrize("make", [lambda: SGD(0.1, momentum=0.9), lambda: Adam(lr=0.01)], ids=["sgd", "adam"])
def test_optimizer_keeps_float32_params_float32(make):
    params = {"w": np.ones(3, dtype=np.float32)}
    w = params["w"]
    make().step(params, {"w": np.full(3, 0.5, dtype=np.float32)})
    assert params["w"] is w
    assert params["w"].dtype == np.float32
