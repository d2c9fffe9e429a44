"""Property tests for the convolution arithmetic (app.nn.arithmetic) against what the engine really computes."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.nn.arithmetic import (
    PADDING_MODES,
    LayerGeometry,
    ReceptiveField,
    Window,
    effective_kernel,
    output_size,
    padding_for,
    receptive_fields,
    window_indices,
    windows,
)
from app.nn.conv import conv2d_forward
from app.nn.pool import avg_pool2d_forward, max_pool2d_forward

SETTINGS = settings(max_examples=150, deadline=None)

sizes = st.integers(1, 12)
kernels = st.integers(1, 5)
strides = st.integers(1, 4)
pads = st.integers(0, 3)
dilations = st.integers(1, 3)


def reference_output_size(n, k, s, p, d):
    """Independent closed form: number of window starts 0, s, 2s, ... that fit in the padded input."""
    keff = d * (k - 1) + 1
    return (n + 2 * p - keff) // s + 1


# ---------------------------------------------------------------- effective kernel / output size


@given(k=kernels, d=dilations)
@SETTINGS
def test_effective_kernel_is_dilated_span(k, d):
    assert effective_kernel(k, d) == d * (k - 1) + 1
    assert effective_kernel(k) == k


@given(n=sizes, k=kernels, s=strides, p=pads, d=dilations)
@SETTINGS
def test_output_size_matches_closed_form_for_valid_settings(n, k, s, p, d):
    assume(effective_kernel(k, d) <= n + 2 * p)
    assert output_size(n, k, s, p, d) == reference_output_size(n, k, s, p, d)
    assert output_size(n, k, s, p, d) == math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1


@given(h=sizes, w=sizes, k=kernels, s=strides, p=pads, d=dilations, c=st.integers(1, 2), f=st.integers(1, 2))
@SETTINGS
def test_output_size_equals_conv2d_forward_output_shape(h, w, k, s, p, d, c, f):
    keff = effective_kernel(k, d)
    assume(keff <= h + 2 * p and keff <= w + 2 * p)
    rng = np.random.default_rng(h * 1000 + w)
    x = rng.standard_normal((2, c, h, w))
    wt = rng.standard_normal((f, c, k, k))
    out, _ = conv2d_forward(x, wt, np.zeros(f), stride=s, pad=p, dilation=d)
    assert out.shape == (2, f, output_size(h, k, s, p, d), output_size(w, k, s, p, d))


pool_fns = pytest.mark.parametrize("pool_forward", [max_pool2d_forward, avg_pool2d_forward], ids=["maxpool", "avgpool"])


@pool_fns
@given(h=sizes, w=sizes, k=kernels, s=strides, data=st.data())
@SETTINGS
def test_output_size_equals_pool_output_shape(pool_forward, h, w, k, s, data):
    # torch's limit for pools (padding at most half the kernel) is always within the spec
    p = data.draw(st.integers(0, k // 2), label="p")
    assume(k <= h + 2 * p and k <= w + 2 * p)
    x = np.random.default_rng(h * 100 + w).standard_normal((1, 2, h, w))
    out, _ = pool_forward(x, k, stride=s, pad=p)
    assert out.shape == (1, 2, output_size(h, k, s, p), output_size(w, k, s, p))


@pool_fns
@given(h=sizes, k=kernels, p=pads)
@SETTINGS
def test_pool_stride_none_means_stride_equals_kernel(pool_forward, h, k, p):
    p = min(p, k // 2)
    assume(k <= h + 2 * p)
    x = np.random.default_rng(h).standard_normal((1, 1, h, h))
    out_default, _ = pool_forward(x, k, pad=p)
    out_k, _ = pool_forward(x, k, stride=k, pad=p)
    assert out_default.shape == (1, 1, output_size(h, k, k, p), output_size(h, k, k, p))
    np.testing.assert_array_equal(out_default, out_k)


@pool_fns
@given(h=sizes, k=kernels, s=strides, data=st.data())
@settings(max_examples=60, deadline=None)
def test_pool_with_padding_over_half_kernel_is_either_rejected_clearly_or_sized_by_output_size(
    pool_forward, h, k, s, data
):
    """The spec does not cap pool padding (torch does: p <= k//2). Either behaviour is fine, but it must be
    a ValueError naming the padding, or the output_size shape."""
    assume(k // 2 < 3)
    p = data.draw(st.integers(k // 2 + 1, 3), label="p")
    assume(k <= h + 2 * p)
    x = np.random.default_rng(h).standard_normal((1, 1, h, h))
    try:
        out, _ = pool_forward(x, k, stride=s, pad=p)
    except ValueError as exc:
        assert str(p) in str(exc)
    else:
        assert out.shape == (1, 1, output_size(h, k, s, p), output_size(h, k, s, p))


# ---------------------------------------------------------------- invalid settings


@pytest.mark.parametrize(
    "kwargs, must_mention",
    [
        (dict(n=7, k=3, s=0, p=0, d=1), ["0"]),  # stride 0
        (dict(n=7, k=3, s=-2, p=0, d=1), ["-2"]),  # negative stride
        (dict(n=7, k=3, s=1, p=-3, d=1), ["-3"]),  # negative padding
        (dict(n=4, k=9, s=1, p=0, d=1), ["9", "4"]),  # kernel larger than input
        (dict(n=2, k=5, s=1, p=1, d=1), ["5", "2"]),  # kernel larger than the padded input 4
        (dict(n=7, k=3, s=1, p=0, d=0), ["0"]),  # dilation 0
        (dict(n=0, k=3, s=1, p=2, d=1), ["0"]),  # empty input
        (dict(n=7, k=0, s=1, p=0, d=1), ["0"]),  # empty kernel
    ],
    ids=[
        "stride0",
        "stride_negative",
        "padding_negative",
        "kernel_gt_input",
        "kernel_gt_padded_input",
        "dilation0",
        "n0",
        "k0",
    ],
)
def test_output_size_rejects_invalid_setting_with_message_naming_values(kwargs, must_mention):
    with pytest.raises(ValueError) as excinfo:
        output_size(kwargs["n"], kwargs["k"], kwargs["s"], kwargs["p"], kwargs["d"])
    message = str(excinfo.value)
    for value in must_mention:
        assert value in message, f"{value!r} not named in {message!r}"


def test_output_size_rejects_dilated_kernel_larger_than_input_naming_effective_size():
    # k=3 with dilation 3 spans 7 cells; the input is only 5 wide
    with pytest.raises(ValueError) as excinfo:
        output_size(5, 3, 1, 0, 3)
    message = str(excinfo.value)
    assert "5" in message
    assert "7" in message or "3" in message


def _setting(n, k, s, p, d):
    return (n, k, s, p, d)


invalid_settings = st.one_of(
    # each branch breaks exactly one rule (the others stay valid) and says which numbers the message must name
    st.builds(_setting, st.just(0), kernels, strides, pads, dilations).map(lambda t: (t, [[str(t[0])]])),
    st.builds(_setting, sizes, st.integers(-3, 0), strides, pads, dilations).map(lambda t: (t, [[str(t[1])]])),
    st.builds(_setting, sizes, kernels, st.integers(-3, 0), pads, dilations).map(lambda t: (t, [[str(t[2])]])),
    st.builds(_setting, sizes, kernels, strides, st.integers(-4, -1), dilations).map(lambda t: (t, [[str(t[3])]])),
    st.builds(_setting, sizes, kernels, strides, pads, st.integers(-2, 0)).map(lambda t: (t, [[str(t[4])]])),
    st.builds(_setting, sizes, kernels, strides, pads, dilations)
    .filter(lambda t: effective_kernel(t[1], t[4]) > t[0] + 2 * t[3])
    .map(lambda t: (t, [[str(t[0])], [str(t[1]), str(effective_kernel(t[1], t[4]))]])),
)


@given(case=invalid_settings)
@SETTINGS
def test_output_size_raises_value_error_naming_the_values_for_every_invalid_setting(case):
    setting, must_mention = case
    with pytest.raises(ValueError) as excinfo:
        output_size(*setting)
    message = str(excinfo.value)
    for alternatives in must_mention:  # each group: at least one of its spellings appears
        assert any(a in message for a in alternatives), (setting, alternatives, message)


@pytest.mark.parametrize(
    "call",
    [
        lambda x, w: conv2d_forward(x, w, None, stride=0),
        lambda x, w: conv2d_forward(x, w, None, pad=-1),
        lambda x, w: conv2d_forward(x, w, None, dilation=0),
        lambda x, w: conv2d_forward(x[:, :, :2, :2], w, None),  # 3x3 kernel on a 2x2 input
        lambda x, w: max_pool2d_forward(x, 9),
        lambda x, w: avg_pool2d_forward(x, 9),
        lambda x, w: max_pool2d_forward(x, 2, stride=0),
        lambda x, w: avg_pool2d_forward(x, 2, pad=-1),
    ],
    ids=[
        "conv_stride0",
        "conv_pad_negative",
        "conv_dilation0",
        "conv_kernel_gt_input",
        "maxpool_kernel_gt_input",
        "avgpool_kernel_gt_input",
        "maxpool_stride0",
        "avgpool_pad_negative",
    ],
)
def test_forward_functions_reject_invalid_geometry_with_value_error(call):
    x = np.ones((1, 1, 5, 5))
    w = np.ones((1, 1, 3, 3))
    with pytest.raises(ValueError):
        call(x, w)


# ---------------------------------------------------------------- padding modes


def test_padding_modes_are_valid_same_full():
    assert tuple(PADDING_MODES) == ("valid", "same", "full")


@given(k=kernels, d=dilations)
@SETTINGS
def test_padding_for_valid_is_zero(k, d):
    assert padding_for("valid", k, d) == 0


@given(n=sizes, k=kernels, d=dilations)
@SETTINGS
def test_padding_for_same_keeps_size_at_stride_1(n, k, d):
    keff = effective_kernel(k, d)
    assume(keff % 2 == 1)
    p = padding_for("same", k, d)
    assert p == (keff - 1) // 2
    assert output_size(n, k, 1, p, d) == n


@given(n=sizes, k=kernels, d=dilations)
@SETTINGS
def test_padding_for_full_gives_n_plus_keff_minus_1(n, k, d):
    keff = effective_kernel(k, d)
    p = padding_for("full", k, d)
    assert p == keff - 1
    assert output_size(n, k, 1, p, d) == n + keff - 1


@pytest.mark.parametrize("k, d", [(2, 1), (4, 1), (2, 3), (4, 3)])
def test_padding_for_same_with_even_effective_kernel_raises(k, d):
    assert effective_kernel(k, d) % 2 == 0
    with pytest.raises(ValueError):
        padding_for("same", k, d)


def test_padding_for_same_with_even_kernel_but_odd_dilated_span_is_fine():
    # k=2, d=2 spans 3 cells: "same" padding 1 exists
    assert padding_for("same", 2, 2) == 1


def test_padding_for_unknown_mode_raises_value_error_naming_it():
    with pytest.raises(ValueError) as excinfo:
        padding_for("sometimes", 3)
    assert "sometimes" in str(excinfo.value)


# ---------------------------------------------------------------- windows


@given(n=sizes, k=kernels, s=strides, p=pads, d=dilations)
@SETTINGS
def test_window_indices_are_strided_dilated_offsets(n, k, s, p, d):
    assume(effective_kernel(k, d) <= n + 2 * p)
    idx = window_indices(n, k, s, p, d)
    out = output_size(n, k, s, p, d)
    assert idx.shape == (out, k)
    assert np.issubdtype(idx.dtype, np.integer)
    expected = np.arange(out)[:, None] * s - p + np.arange(k)[None, :] * d
    np.testing.assert_array_equal(idx, expected)
    # every window stays inside the padded input
    assert idx.min() >= -p
    assert idx.max() <= n - 1 + p


@given(h=sizes, w=sizes, k=kernels, s=strides, p=pads, d=dilations)
@settings(max_examples=100, deadline=None)
def test_windows_agree_with_arithmetic(h, w, k, s, p, d):
    keff = effective_kernel(k, d)
    assume(keff <= h + 2 * p and keff <= w + 2 * p)
    ws = windows(h, w, k, s, p, d)
    oh, ow = output_size(h, k, s, p, d), output_size(w, k, s, p, d)
    assert len(ws) == oh * ow
    rows, cols = window_indices(h, k, s, p, d), window_indices(w, k, s, p, d)
    for position, win in enumerate(ws):
        assert isinstance(win, Window)
        i, j = divmod(position, ow)  # row-major over output positions
        assert tuple(win.out) == (i, j)
        assert len(win.cells) == k * k
        assert len(win.padding) == k * k
        assert sorted(tuple(c) for c in win.cells) == sorted((int(r), int(c)) for r in rows[i] for c in cols[j])
        for (r, c), is_pad in zip(win.cells, win.padding, strict=True):
            assert bool(is_pad) == (not (0 <= r < h and 0 <= c < w)), (win.out, (r, c), is_pad)


@given(h=sizes, w=sizes, k=kernels, s=strides, p=pads, d=dilations)
@settings(max_examples=60, deadline=None)
def test_window_cells_are_in_kernel_row_major_order(h, w, k, s, p, d):
    """cells[a*k + b] is the input cell under kernel entry (a, b), so a view can pair cells with weights."""
    keff = effective_kernel(k, d)
    assume(keff <= h + 2 * p and keff <= w + 2 * p)
    ws = windows(h, w, k, s, p, d)
    for win in ws:
        i, j = win.out
        expected = [(i * s - p + a * d, j * s - p + b * d) for a in range(k) for b in range(k)]
        assert [tuple(c) for c in win.cells] == expected


@given(
    h=st.integers(1, 8),
    w=st.integers(1, 8),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    d=st.integers(1, 2),
)
@settings(max_examples=60, deadline=None)
def test_windows_reproduce_conv2d_forward(h, w, k, s, p, d):
    """Summing kernel * input over each window's cells (padding = 0) gives the engine's convolution."""
    keff = effective_kernel(k, d)
    assume(keff <= h + 2 * p and keff <= w + 2 * p)
    rng = np.random.default_rng(h * 10 + w)
    x = rng.standard_normal((1, 1, h, w))
    kern = rng.standard_normal((1, 1, k, k))
    out, _ = conv2d_forward(x, kern, None, stride=s, pad=p, dilation=d)
    ws = windows(h, w, k, s, p, d)
    ow = out.shape[3]
    for position, win in enumerate(ws):
        total = 0.0
        for (r, c), is_pad in zip(win.cells, win.padding, strict=True):
            if is_pad:
                continue
            a, b = (r - win.out[0] * s + p) // d, (c - win.out[1] * s + p) // d
            total += x[0, 0, r, c] * kern[0, 0, a, b]
        np.testing.assert_allclose(out[0, 0, position // ow, position % ow], total, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- receptive fields


def spans_by_composition(geoms, unit):
    """Independent brute force: (first, last) input coordinate reached by `unit` of the last layer,
    by walking each layer's window back to the input (padding coordinates included)."""
    first = last = unit
    for g in reversed(geoms):
        first = first * g.s - g.p
        last = last * g.s - g.p + (g.k - 1) * g.d
    return first, last


def test_receptive_field_two_stacked_3x3_stride1_convs_has_size_5():
    rfs = receptive_fields([LayerGeometry(3), LayerGeometry(3)])
    assert len(rfs) == 2
    assert all(isinstance(rf, ReceptiveField) for rf in rfs)
    assert (rfs[0].size, rfs[0].jump) == (3, 1)
    assert (rfs[1].size, rfs[1].jump) == (5, 1)
    assert rfs[0].span(0) == (0, 2)
    assert rfs[1].span(0) == (0, 4)
    assert rfs[1].span(3) == (3, 7)


def test_receptive_field_conv_k3_s2_then_k3_has_size_7_jump_2():
    rfs = receptive_fields([LayerGeometry(3, s=2), LayerGeometry(3)])
    assert (rfs[0].size, rfs[0].jump) == (3, 2)
    assert (rfs[1].size, rfs[1].jump) == (7, 2)
    assert rfs[1].span(0) == (0, 6)
    assert rfs[1].span(2) == (4, 10)


def test_receptive_field_with_padding_starts_outside_the_input():
    rfs = receptive_fields([LayerGeometry(3, p=1), LayerGeometry(3, p=1)])
    assert rfs[0].span(0) == (-1, 1)
    assert rfs[1].span(0) == (-2, 2)
    assert rfs[1].size == 5


def test_receptive_field_of_dilated_kernel_is_its_effective_size():
    (rf,) = receptive_fields([LayerGeometry(3, d=2)])
    assert rf.size == 5
    assert rf.span(1) == (1, 5)


def test_layer_geometry_defaults_and_is_frozen():
    g = LayerGeometry(5)
    assert (g.k, g.s, g.p, g.d) == (5, 1, 0, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.k = 3  # frozen dataclass


geometries = st.builds(LayerGeometry, k=kernels, s=strides, p=pads, d=dilations)


@given(geoms=st.lists(geometries, min_size=1, max_size=4), unit=st.integers(0, 6))
@SETTINGS
def test_receptive_fields_match_brute_force_window_composition(geoms, unit):
    rfs = receptive_fields(geoms)
    assert len(rfs) == len(geoms)
    for depth in range(1, len(geoms) + 1):
        rf = rfs[depth - 1]
        first, last = spans_by_composition(geoms[:depth], unit)
        assert rf.span(unit) == (first, last)
        assert rf.size == last - first + 1
        assert rf.jump == math.prod(g.s for g in geoms[:depth])


@pytest.mark.parametrize("kh, kw", [(2, 3), (3, 2), (1, 3)])
def test_conv2d_rejects_non_square_kernels_with_a_clear_message(kh, kw):
    """The engine's kernels are square (one k, as on the slides); a KH×KW kernel is refused by name."""
    rng = np.random.default_rng(kh * 10 + kw)
    with pytest.raises(ValueError, match=f"square.*{kh}×{kw}"):
        conv2d_forward(rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((3, 2, kh, kw)), None, pad=1)
