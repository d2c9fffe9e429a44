"""2-D convolution as a forward/backward pair: strided window views and one matrix product each way.

Shapes: x (N, C, H, W), w (F, C, KH, KW), b (F,), out (N, F, OH, OW). Like every deep-learning library
(and the recitation's example) this is cross-correlation: the kernel is not flipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, overload

import numpy as np
from numpy.lib.stride_tricks import as_strided

from app.nn.arithmetic import output_size


def pad2d(x: np.ndarray, p: int, value: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) with p cells of `value` added on every side of H and W."""
    if p == 0:
        return x
    n, c, h, w = x.shape
    padded = np.full((n, c, h + 2 * p, w + 2 * p), value, dtype=x.dtype)
    padded[:, :, p : p + h, p : p + w] = x
    return padded


def window_view(xp: np.ndarray, k: int, s: int, d: int, oh: int, ow: int) -> np.ndarray:
    """Read-only view (N, C, K, K, OH, OW) of a padded input: [.., i, j, y, x] is tap (i, j) of window (y, x).

    For each kernel tap the view holds one strided slice of the image, so copying it is fast; no copy here.
    """
    sn, sc, sh, sw = xp.strides
    return as_strided(
        xp,
        shape=(xp.shape[0], xp.shape[1], k, k, oh, ow),
        strides=(sn, sc, sh * d, sw * d, sh * s, sw * s),
        writeable=False,
    )


def scatter_windows(
    tap_grad: Callable[[int, int], np.ndarray], k: int, dxp: np.ndarray, p: int, s: int, d: int
) -> np.ndarray:
    """Adjoint of window_view: tap_grad(i, j) is the (N, C, OH, OW) gradient reaching kernel tap (i, j) of
    every window; add it onto the zeroed padded input gradient dxp at the cells that tap read, then drop the padding.

    Loops over the k×k kernel taps only; each step adds one strided slice of the whole batch.
    """
    for i in range(k):
        for j in range(k):
            g = tap_grad(i, j)
            oh, ow = g.shape[2:]
            dxp[:, :, i * d : i * d + s * oh : s, j * d : j * d + s * ow : s] += g
    h, w = dxp.shape[2] - 2 * p, dxp.shape[3] - 2 * p
    return dxp[:, :, p : p + h, p : p + w]


def check_kernel(x: np.ndarray, w: np.ndarray) -> None:
    """Raise a ValueError unless the kernels w (F, C, K, K) are square and fit x's (N, C, H, W) channels."""
    c, (wc, k, kw) = x.shape[1], w.shape[1:]
    if k != kw:
        raise ValueError(f"conv: kernels must be square (KH = KW), got {k}×{kw}")
    if wc != c:
        raise ValueError(f"conv: input has {c} channels but the kernel expects {wc}")


def conv2d_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: int = 1, pad: int = 0, dilation: int = 1
) -> tuple[np.ndarray, tuple]:
    """out[n, f, y, x] = b[f] + Σ over c, i, j of x_padded[n, c, s·y + d·i, s·x + d·j] · w[f, c, i, j].

    im2col: every window of every image becomes a column of a (C·K·K, N·OH·OW) matrix; one matmul does the rest.
    """
    n, c, h, wd = x.shape
    f, k = w.shape[0], w.shape[2]
    check_kernel(x, w)
    oh, ow = output_size(h, k, stride, pad, dilation), output_size(wd, k, stride, pad, dilation)
    xp = pad2d(x, pad)
    cols = window_view(xp, k, stride, dilation, oh, ow).transpose(1, 2, 3, 0, 4, 5).reshape(c * k * k, -1)
    out = w.reshape(f, -1) @ cols
    if b is not None:
        out += b[:, None]
    out = np.ascontiguousarray(out.reshape(f, n, oh, ow).transpose(1, 0, 2, 3))
    return out, (cols, w, b is not None, xp.shape, stride, pad, dilation)


@overload
def conv2d_backward(
    dout: np.ndarray, cache: tuple, input_grad: Literal[True] = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]: ...


@overload
def conv2d_backward(
    dout: np.ndarray, cache: tuple, input_grad: bool
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]: ...


def conv2d_backward(
    dout: np.ndarray, cache: tuple, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients (dx, dw, db) given dout (N, F, OH, OW): dw correlates input with dout, dx scatters w·dout.

    dx is None when input_grad is False (nothing before this layer needs it); db is None without a bias.
    """
    cols, w, has_bias, padded_shape, stride, pad, dilation = cache
    n, f, oh, ow = dout.shape
    c, k = w.shape[1], w.shape[2]
    dout_mat = dout.transpose(1, 0, 2, 3).reshape(f, -1)
    dw = (dout_mat @ cols.T).reshape(w.shape)
    db = dout_mat.sum(axis=1) if has_bias else None
    if not input_grad:
        return None, dw, db
    dcols = (w.reshape(f, -1).T @ dout_mat).reshape(c, k, k, n, oh, ow)
    # dcols is channel-major (C first); scattering into a channel-major buffer too keeps every add in memory order
    dxp = np.zeros((c, n) + padded_shape[2:], dtype=dcols.dtype).transpose(1, 0, 2, 3)
    dx = scatter_windows(lambda i, j: dcols[:, i, j].transpose(1, 0, 2, 3), k, dxp, pad, stride, dilation)
    return dx, dw, db
