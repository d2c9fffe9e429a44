"""The conv walkthrough plan: the seed's numbers, the engine's layers as the oracle, gradients checked three ways."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models.lenet import load_lenet5
from app.nn.arithmetic import windows
from app.nn.conv import conv2d_backward, conv2d_forward
from app.nn.gradcheck import numerical_gradient
from app.nn.layers import AvgPool2D, Conv2D, MaxPool2D
from app.nn.pool import max_pool2d_backward, max_pool2d_forward
from app.services.conv_walkthrough import (
    ConvSetup,
    Plan,
    build_plan,
    chunk_count,
    mnist_digit,
    plan_chunks,
    plan_terms,
)
from app.wire.conv import Stage2
from tests import seed

SEED_IMAGE = seed.SEED_IMAGE.astype(np.float32)
SEED_KERNEL = seed.SEED_KERNEL.astype(np.float32)
SEED_STRIDE1 = seed.SEED_STRIDE1.tolist()
SEED_STRIDE2 = seed.SEED_STRIDE2.tolist()


def seed_setup(**kwargs) -> ConvSetup:
    """The recitation's 7×7 image with its 3×3 kernel and no bias."""
    return ConvSetup(SEED_IMAGE[None], SEED_KERNEL[None, None], np.zeros(1, np.float32), **kwargs)


def all_windows(plan: Plan, name: str) -> np.ndarray:
    """A per-window array put back together from the plan's chunks."""
    return np.concatenate([arrays[name] for _, arrays in plan_chunks(plan, 7)], axis=-2)


def test_conv_seed_preset_gives_the_slides_5x5() -> None:
    plan = build_plan(seed_setup())
    np.testing.assert_array_equal(plan.arrays["output"][0], SEED_STRIDE1)
    assert plan.header["conv"]["out"] == [5, 5]
    assert plan.header["conv"]["terms"]["rows"] == {"n": 7, "numerator": 4, "stride": 1, "size": 5, "remainder": 0}
    assert plan.header["conv"]["unreached"] == {"rows": [], "cols": [], "cells": 0, "reason": None}


def test_conv_stride2_seed_example_gives_3x3() -> None:
    plan = build_plan(seed_setup(stride=2))
    np.testing.assert_array_equal(plan.arrays["output"][0], SEED_STRIDE2)
    assert plan.header["conv"]["rows"] == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]


def test_seed_window_products_are_input_times_kernel_and_add_up_to_the_output_cell() -> None:
    plan = build_plan(seed_setup())
    products = plan.windows["products"][0, 0]  # (K, K, OH, OW)
    rows, cols = plan.header["conv"]["rows"], plan.header["conv"]["cols"]
    for y, x in [(0, 0), (0, 3), (3, 0), (4, 4)]:
        patch = SEED_IMAGE[np.ix_(rows[y], cols[x])]
        np.testing.assert_array_equal(products[:, :, y, x], patch * SEED_KERNEL)
        assert products[:, :, y, x].sum() == SEED_STRIDE1[y][x]
    np.testing.assert_array_equal(plan.windows["channel_sums"][0, 0], SEED_STRIDE1)


def test_padding_same_keeps_7x7_and_padding_cells_read_zero() -> None:
    plan = build_plan(seed_setup(padding="same"))
    assert plan.header["conv"]["p"] == 1 and plan.header["conv"]["out"] == [7, 7]
    assert plan.header["conv"]["rows"][0] == [-1, 0, 1]
    assert not plan.windows["products"][0, 0, 0, :, 0, 0].any()  # the top row of the first window is padding


def test_stride3_marks_the_last_row_and_column_as_never_reached_and_says_why() -> None:
    unreached = build_plan(seed_setup(stride=3)).header["conv"]["unreached"]
    assert unreached["rows"] == [6] and unreached["cols"] == [6]
    assert unreached["cells"] == 13
    assert "not a multiple of the stride 3" in unreached["reason"] and "remainder 1" in unreached["reason"]


def test_dilation_gaps_are_marked_and_explained() -> None:
    unreached = build_plan(seed_setup(stride=2, dilation=2)).header["conv"]["unreached"]
    assert unreached["rows"] == [1, 3, 5]
    assert "dilation 2" in unreached["reason"]


@pytest.mark.parametrize(
    "setup, words",
    [
        (dict(x=SEED_IMAGE[None], w=np.ones((1, 1, 9, 9)), b=np.zeros(1)), "larger than the padded input 7"),
        (dict(x=SEED_IMAGE[None], w=np.ones((1, 1, 4, 4)), b=np.zeros(1), padding="same"), "odd kernel"),
        (dict(x=SEED_IMAGE[None], w=np.ones((1, 1, 3, 3)), b=np.zeros(1), stride=0), "stride 0"),
        (
            dict(x=SEED_IMAGE[None], w=np.ones((1, 1, 3, 3)), b=np.zeros(1), stage2=Stage2("max", 2, 2, 2)),
            "more than half the kernel",
        ),
        (
            dict(x=SEED_IMAGE[None], w=np.ones((1, 1, 3, 3)), b=np.zeros(1), stage2=Stage2("avg", 7, 1)),
            "larger than the padded input 5",
        ),
    ],
)
def test_impossible_settings_raise_the_engines_sentence(setup, words) -> None:
    with pytest.raises(ValueError, match=words):
        build_plan(ConvSetup(**setup))


geometry = st.tuples(
    st.integers(1, 3),  # C
    st.integers(3, 12),  # H
    st.integers(3, 12),  # W
    st.integers(1, 3),  # F
    st.integers(1, 4),  # k
    st.integers(1, 3),  # s
    st.integers(0, 2),  # p
    st.integers(1, 2),  # d
)
stage2s = st.builds(
    Stage2, st.sampled_from(["none", "max", "avg", "conv"]), st.integers(1, 3), st.integers(1, 2), st.integers(0, 1)
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(geometry, stage2s, st.integers(0, 2**32 - 1))
def test_plan_equals_the_engines_layers_for_random_inputs_and_settings(g, stage2, seed) -> None:
    c, h, w, f, k, s, p, d = g
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c, h, w)).astype(np.float32)
    conv = Conv2D(c, f, k, s, p, d, rng=rng)
    conv.params["b"][...] = rng.standard_normal(f)
    setup = ConvSetup(x, conv.params["w"], conv.params["b"], s, p, d, stage2)
    try:
        expected = conv.forward(x[None])
    except ValueError as exc:
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            build_plan(setup)
        return
    try:
        plan = build_plan(setup)
    except ValueError:
        assert stage2.kind != "none"  # only stage 2 can make settings impossible once the convolution works
        return
    reference, _ = conv2d_forward(x[None], conv.params["w"], conv.params["b"], s, p, d)
    np.testing.assert_array_equal(plan.arrays["output"], reference[0])
    # the layer runs app/nn/fast.py: the same sums, added in another order (float32 may differ in the last bit)
    np.testing.assert_allclose(expected, reference, rtol=1e-5, atol=1e-5)
    products = all_windows(plan, "products")
    np.testing.assert_allclose(
        products.sum(axis=(1, 2, 3)) + conv.params["b"][:, None, None], expected[0], rtol=1e-4, atol=1e-4
    )
    oh, ow = expected.shape[2:]
    assert plan_terms(setup) == products.size == f * c * k * k * oh * ow
    cells = [
        [(r, col) for r in plan.header["conv"]["rows"][y] for col in plan.header["conv"]["cols"][x_]]
        for y in range(oh)
        for x_ in range(ow)
    ]
    assert cells == [list(window.cells) for window in windows(h, w, k, s, p, d)]
    if stage2.kind in ("max", "avg"):
        layer = (MaxPool2D if stage2.kind == "max" else AvgPool2D)(stage2.k, stage2.s, stage2.p)
        np.testing.assert_array_equal(plan.arrays["stage2_output"], layer.forward(reference)[0])


def gradient_plan(stage2: Stage2, cell=None, seed: int = 0, dilation: int = 1) -> tuple[ConvSetup, Plan]:
    """A 2-channel, 2-kernel convolution (stride 2, padding 1) followed by stage2, with its plan."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, (2, 9, 8)).astype(np.float32)
    w = rng.integers(-2, 3, (2, 2, 3, 3)).astype(np.float32)
    setup = ConvSetup(
        x, w, np.array([0.5, -1.0], np.float32), stride=2, padding=1, dilation=dilation, stage2=stage2, grad_cell=cell
    )
    return setup, build_plan(setup)


@pytest.mark.parametrize("cell", [None, (1, 0, 1)], ids=["ones", "one-cell"])
def test_backward_without_stage2_equals_conv2d_backward(cell) -> None:
    setup, plan = gradient_plan(Stage2("none"), cell)
    _, cache = conv2d_forward(setup.x[None], setup.w, setup.b, 2, 1)
    dx, dw, db = conv2d_backward(plan.arrays["dout"][None], cache)
    np.testing.assert_array_equal(plan.arrays["dx"], dx[0])
    np.testing.assert_array_equal(plan.arrays["dw"], dw)
    np.testing.assert_array_equal(plan.arrays["db"], db)
    assert plan.arrays["dout"].sum() == (1 if cell else plan.arrays["dout"].size)


def test_max_pool_backward_routes_each_gradient_to_its_windows_winner_only() -> None:
    setup, plan = gradient_plan(Stage2("max", 2, 2))
    y, _ = conv2d_forward(setup.x[None], setup.w, setup.b, 2, 1)
    _, cache = max_pool2d_forward(y, 2, 2)
    np.testing.assert_array_equal(plan.arrays["dconv"], max_pool2d_backward(plan.arrays["dout"][None], cache)[0])
    rows, cols = plan.header["stage2"]["rows"], plan.header["stage2"]["cols"]
    winners = plan.arrays["winners"].astype(int)
    expected = np.zeros_like(plan.arrays["dconv"])
    for f in range(2):
        for i, row in enumerate(rows):
            for j, col in enumerate(cols):
                tap = winners[f, i, j]
                r, c = row[tap // 2], col[tap % 2]
                assert y[0, f, r, c] == plan.arrays["stage2_output"][f, i, j]
                expected[f, r, c] += 1
    np.testing.assert_array_equal(plan.arrays["dconv"], expected)


@pytest.mark.parametrize(
    "stage2", [Stage2("none"), Stage2("max", 2, 2), Stage2("avg", 2, 1), Stage2("conv", 2, 1, 1)], ids=lambda s: s.kind
)
def test_window_contributions_add_up_to_the_engines_gradients(stage2) -> None:
    setup, plan = gradient_plan(stage2, cell=(0, 1, 1))
    conv = plan.header["conv"]
    dx_terms, dw_terms = all_windows(plan, "dx_terms"), all_windows(plan, "dw_terms")
    p = conv["p"]
    c, h, w = setup.x.shape
    scattered = np.zeros((c, h + 2 * p, w + 2 * p))
    for y, rows in enumerate(conv["rows"]):
        for x, cols in enumerate(conv["cols"]):
            scattered[:, np.array(rows)[:, None] + p, np.array(cols)[None, :] + p] += dx_terms[..., y, x].sum(axis=0)
    np.testing.assert_allclose(scattered[:, p : p + h, p : p + w], plan.arrays["dx"], atol=1e-5)
    np.testing.assert_allclose(dw_terms.sum(axis=(-2, -1)), plan.arrays["dw"], atol=1e-4)
    np.testing.assert_allclose(plan.arrays["dconv"].sum(axis=(1, 2)), plan.arrays["db"], atol=1e-5)


@pytest.mark.parametrize("stage2", [Stage2("none"), Stage2("max", 2, 2)], ids=lambda s: s.kind)
def test_backward_sums_build_up_window_by_window_to_the_engines_gradients(stage2) -> None:
    setup, plan = gradient_plan(stage2, dilation=2)
    conv = plan.header["conv"]
    p, (oh, ow) = conv["p"], conv["out"]
    dx_terms, dw_terms = all_windows(plan, "dx_terms"), all_windows(plan, "dw_terms")
    dx_running, dw_running = all_windows(plan, "dx_running"), all_windows(plan, "dw_running")
    db_running = all_windows(plan, "db_running")
    c, h, w = setup.x.shape
    dx = np.zeros((c, h + 2 * p, w + 2 * p))
    dw = np.zeros(plan.arrays["dw"].shape)
    db = np.zeros(plan.arrays["db"].shape)
    for f in range(conv["filters"]):  # the steps: filter by filter, each filter's windows row by row
        for y in range(oh):
            for x in range(ow):
                rows, cols = np.array(conv["rows"][y])[:, None] + p, np.array(conv["cols"][x])[None, :] + p
                dx[:, rows, cols] += dx_terms[f, ..., y, x]
                dw[f] += dw_terms[f, ..., y, x]
                db[f] += plan.arrays["dconv"][f, y, x]
                np.testing.assert_allclose(dx_running[f, ..., y, x], dx[:, rows, cols], atol=1e-5)
                np.testing.assert_allclose(dw_running[f, ..., y, x], dw[f], atol=1e-5)
                np.testing.assert_allclose(db_running[f, y, x], db[f], atol=1e-5)
    np.testing.assert_allclose(dx[:, p : p + h, p : p + w], plan.arrays["dx"], atol=1e-5)
    np.testing.assert_allclose(dw_running[..., -1, -1], plan.arrays["dw"], atol=1e-5)
    assert np.abs(dx_running[0, ..., 0, 0]).sum() < np.abs(plan.arrays["dx"]).sum()  # the first window is a part


@pytest.mark.parametrize("stage2", [Stage2("none"), Stage2("avg", 2, 2), Stage2("conv", 2, 1)], ids=lambda s: s.kind)
def test_gradients_shown_match_finite_differences_of_the_gradient_weighted_output(stage2) -> None:
    setup, plan = gradient_plan(stage2)
    last = "stage2_output" if stage2.kind != "none" else "output"

    def loss() -> float:
        again = build_plan(setup)
        return float((again.arrays[last].astype(np.float64) * plan.arrays["dout"]).sum())

    # Every stage here is linear in x and in w, so central differences are exact up to float32 rounding.
    np.testing.assert_allclose(numerical_gradient(loss, setup.x, eps=0.5), plan.arrays["dx"], atol=2e-3)
    np.testing.assert_allclose(numerical_gradient(loss, setup.w, eps=0.5), plan.arrays["dw"], atol=2e-3)


def test_chosen_cell_outside_the_output_falls_back_to_ones_and_says_so() -> None:
    plan = build_plan(seed_setup(grad_cell=(0, 6, 6)))
    assert plan.header["grad"]["kind"] == "ones"
    assert "outside the 1×5×5 output" in plan.header["grad"]["note"]
    assert (plan.arrays["dout"] == 1).all()


def test_stage2_receptive_field_spans_cover_exactly_the_windows_under_each_stage2_window() -> None:
    plan = build_plan(seed_setup(stage2=Stage2("max", 2, 2)))
    conv, stage2 = plan.header["conv"], plan.header["stage2"]
    assert stage2["field"] == {"size": 4, "jump": 2, "start": 0}
    for u, rows2 in enumerate(stage2["rows"]):
        covered = [r for y in rows2 for r in conv["rows"][y]]
        assert stage2["spans"]["rows"][u] == [min(covered), max(covered)]


def test_chunks_are_whole_output_rows_and_put_back_together_give_every_window() -> None:
    rng = np.random.default_rng(1)
    setup = ConvSetup(rng.standard_normal((1, 32, 32)), rng.standard_normal((2, 1, 3, 3)), np.zeros(2))
    plan = build_plan(setup)
    chunks = list(plan_chunks(plan, 256))
    assert len(chunks) == chunk_count(plan, 256) == 4  # 30 rows of 30 windows, 8 rows a chunk
    assert [part["rows"] for part, _ in chunks] == [8, 8, 8, 6]
    assert chunks[0][1]["products"].shape == (2, 1, 3, 3, 8, 30)
    np.testing.assert_array_equal(all_windows(plan, "products"), plan.windows["products"])


def test_shipped_mnist_digits_are_real_digits_lenet_mostly_recognises() -> None:
    model, _ = load_lenet5()
    right = 0
    for label in range(10):
        image, test_index = mnist_digit(label)
        assert image.shape == (28, 28) and image.min() == 0 and image.max() == 1
        assert 0 <= test_index < 10_000
        right += int(model.forward(image[None, None]).argmax()) == label
    assert right >= 9  # the first 3 of the test set (index 18) is one LeNet-5 gets wrong: it says 8
