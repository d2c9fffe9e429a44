"""Golden tests: the recitation's convolution demo (seed slide "Demon of convolution operation").

7x7 input, 3x3 kernel [[0,0,0],[0,1,1],[0,1,0]], no padding:
stride 1 gives the slide's 5x5 "Convolved Image"; stride 2 gives the 3x3 "Output Volume".
"""

from __future__ import annotations

import numpy as np
import pytest

from app.nn.arithmetic import output_size, windows
from app.nn.conv import conv2d_forward
from app.nn.layers import Conv2D
from tests.seed import SEED_IMAGE as SEED_INPUT
from tests.seed import SEED_KERNEL, SEED_STRIDE1, SEED_STRIDE2

DTYPES = [np.float32, np.float64]


def _x(dtype):
    return SEED_INPUT.astype(dtype)[None, None]  # (N=1, C=1, 7, 7)


def _w(dtype):
    return SEED_KERNEL.astype(dtype)[None, None]  # (F=1, C=1, 3, 3)


def test_output_size_seed_example_stride1_gives_5():
    assert output_size(7, 3, 1, 0) == 5


def test_output_size_seed_example_stride2_gives_3():
    assert output_size(7, 3, 2, 0) == 3


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_bias", [False, True], ids=["bias_none", "bias_zero"])
def test_conv_stride1_seed_example_gives_slide_5x5(dtype, with_bias):
    b = np.zeros(1, dtype=dtype) if with_bias else None
    out, _ = conv2d_forward(_x(dtype), _w(dtype), b, stride=1, pad=0)
    assert out.shape == (1, 1, 5, 5)
    np.testing.assert_array_equal(out[0, 0], SEED_STRIDE1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_bias", [False, True], ids=["bias_none", "bias_zero"])
def test_conv_stride2_seed_example_gives_3x3(dtype, with_bias):
    b = np.zeros(1, dtype=dtype) if with_bias else None
    out, _ = conv2d_forward(_x(dtype), _w(dtype), b, stride=2, pad=0)
    assert out.shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(out[0, 0], SEED_STRIDE2)


def test_conv_stride2_is_every_other_entry_of_stride1():
    full, _ = conv2d_forward(_x(np.float64), _w(np.float64), None, stride=1)
    strided, _ = conv2d_forward(_x(np.float64), _w(np.float64), None, stride=2)
    np.testing.assert_array_equal(strided, full[:, :, ::2, ::2])


def test_conv_seed_example_bias_adds_to_every_output():
    out, _ = conv2d_forward(_x(np.float64), _w(np.float64), np.array([0.5]), stride=1)
    np.testing.assert_array_equal(out[0, 0], SEED_STRIDE1 + 0.5)


@pytest.mark.parametrize("stride, expected", [(1, SEED_STRIDE1), (2, SEED_STRIDE2)], ids=["stride1", "stride2"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_layer_with_seed_params_gives_slide_output(stride, expected, bias, dtype):
    layer = Conv2D(1, 1, 3, stride=stride, padding=0, bias=bias, rng=np.random.default_rng(0), dtype=dtype)
    assert layer.params["w"].shape == (1, 1, 3, 3)
    layer.params["w"][...] = SEED_KERNEL
    if bias:
        assert layer.params["b"].shape == (1,)
        layer.params["b"][...] = 0
    else:
        assert "b" not in layer.params
    out = layer.forward(_x(dtype))
    assert out.dtype == dtype
    np.testing.assert_array_equal(out[0, 0], expected)


def test_seed_stride2_windows_are_the_slides_nine_receptive_fields():
    ws = windows(7, 7, 3, 2, 0)
    assert [w.out for w in ws] == [(i, j) for i in range(3) for j in range(3)]
    for w in ws:
        i, j = w.out
        assert sorted(w.cells) == [(2 * i + a, 2 * j + b) for a in range(3) for b in range(3)]
        assert not any(w.padding)
        # the window's cells, weighted by the kernel, reproduce the slide's output value
        value = sum(SEED_INPUT[r, c] * SEED_KERNEL[r - 2 * i, c - 2 * j] for r, c in w.cells)
        assert value == SEED_STRIDE2[i, j]


def test_conv_channel_mismatch_raises_value_error_naming_both_counts():
    x = np.zeros((1, 3, 7, 7))
    w = np.zeros((1, 2, 3, 3))
    with pytest.raises(ValueError) as excinfo:
        conv2d_forward(x, w, None)
    assert "3" in str(excinfo.value) and "2" in str(excinfo.value)
