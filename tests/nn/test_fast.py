"""app/nn/fast.py against the readable pairs in conv.py and pool.py: same outputs, same gradients, same winners.

Float64 inputs so any difference in the arithmetic shows; chunks as small as one image so the chunked loops run
several times; odd and non-square sizes, strides, padding and dilation; max pooling on values with ties.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.nn import fast
from app.nn.conv import conv2d_backward, conv2d_forward
from app.nn.layers import Conv2D, MaxPool2D
from app.nn.pool import max_pool2d_backward, max_pool2d_forward, max_pool2d_winners


def assert_close(actual: np.ndarray | None, expected: np.ndarray | None) -> None:
    """Equal up to float64 rounding (the two versions add the same products in different orders)."""
    assert (actual is None) == (expected is None)
    if actual is not None and expected is not None:
        assert actual.shape == expected.shape
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10)


@given(
    n=st.integers(1, 5),
    c=st.integers(1, 3),
    f=st.integers(1, 4),
    h=st.integers(1, 11),
    w=st.integers(1, 11),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    d=st.integers(1, 2),
    bias=st.booleans(),
    chunk=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=150, deadline=None)
def test_fast_convolution_matches_the_readable_one_forward_and_backward(
    n, c, f, h, w, k, s, p, d, bias, chunk, seed
) -> None:
    span = d * (k - 1) + 1
    assume(span <= h + 2 * p and span <= w + 2 * p)
    rng = np.random.default_rng(seed)
    x, kernels = rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c, k, k))
    b = rng.standard_normal(f) if bias else None
    out, cache = conv2d_forward(x, kernels, b, s, p, d)
    dout = rng.standard_normal(out.shape)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast, "CHUNK", chunk)
        fast_out, fast_cache = fast.conv2d_forward_fast(x, kernels, b, s, p, d)
        assert_close(fast_out, out)
        for input_grad in (True, False):
            for got, expected in zip(
                fast.conv2d_backward_fast(dout, fast_cache, input_grad),
                conv2d_backward(dout, cache, input_grad),
                strict=True,
            ):
                assert_close(got, expected)


@pytest.mark.parametrize("stride", [1, 2])
def test_fast_convolution_keeps_float32_and_refuses_what_the_readable_one_refuses(stride: int) -> None:
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((3, 2, 9, 7), dtype=np.float32), rng.standard_normal((4, 2, 3, 3), dtype=np.float32)
    out, cache = fast.conv2d_forward_fast(x, w, np.zeros(4, np.float32), stride, 1)
    dx, dw, db = fast.conv2d_backward_fast(np.ones_like(out), cache)
    assert out.dtype == dx.dtype == dw.dtype == np.float32
    assert db is not None and db.dtype == np.float32
    with pytest.raises(ValueError, match="channels"):
        fast.conv2d_forward_fast(x, w[:, :1], None)
    with pytest.raises(ValueError, match="larger than the padded input"):
        fast.conv2d_forward_fast(x[:, :, :2, :2], w, None)


@given(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    h=st.integers(1, 10),
    w=st.integers(1, 10),
    k=st.integers(1, 4),
    s=st.integers(1, 4),
    p=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=150, deadline=None)
def test_fast_max_pooling_matches_the_readable_one_with_ties(n, c, h, w, k, s, p, seed) -> None:
    assume(p <= k // 2 and k <= h + 2 * p and k <= w + 2 * p)
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_normal((n, c, h, w)))  # few distinct values: windows often hold equal maxima
    out, cache = max_pool2d_forward(x, k, s, p)
    fast_out, fast_cache = fast.max_pool2d_forward_fast(x, k, s, p)
    np.testing.assert_array_equal(fast_out, out)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(fast.max_pool2d_backward_fast(dout, fast_cache), max_pool2d_backward(dout, cache))
    np.testing.assert_array_equal(fast.max_pool2d_winners_fast(fast_cache), max_pool2d_winners(cache))


def test_pooling_after_relu_sends_each_all_zero_windows_gradient_to_its_first_cell() -> None:
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 3, 3] = 2.0
    out, cache = fast.max_pool2d_forward_fast(x, 2)
    dx = fast.max_pool2d_backward_fast(np.ones_like(out), cache)
    assert dx[0, 0].tolist() == [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]


def test_layers_run_the_fast_pairs_on_a_batch_of_several_chunks() -> None:
    """Conv2D and MaxPool2D give the readable pairs' outputs, gradients and winners at LeNet's sizes."""
    rng = np.random.default_rng(3)
    x = rng.random((2 * fast.CHUNK + 3, 1, 28, 28))
    conv = Conv2D(1, 6, 5, padding=2, rng=rng, dtype=np.float64)
    pool = MaxPool2D(2)
    maps, conv_cache = conv2d_forward(x, conv.params["w"], conv.params["b"], 1, 2)
    pooled, pool_cache = max_pool2d_forward(np.maximum(maps, 0), 2)
    assert_close(conv.forward(x), maps)
    np.testing.assert_array_equal(pool.forward(np.maximum(maps, 0)), pooled)
    np.testing.assert_array_equal(pool.winners(), max_pool2d_winners(pool_cache))
    dpooled = rng.standard_normal(pooled.shape)
    np.testing.assert_array_equal(pool.backward(dpooled), max_pool2d_backward(dpooled, pool_cache))
    dmaps = rng.standard_normal(maps.shape)
    dx, dw, db = conv2d_backward(dmaps, conv_cache)
    assert_close(conv.backward(dmaps), dx)
    assert_close(conv.grads["w"], dw)
    assert_close(conv.grads["b"], db)
