"""Max and average pooling as forward/backward pairs, on the same window views as convolution.

Shapes: x (N, C, H, W) -> out (N, C, OH, OW). Stride defaults to the kernel size (windows that tile).
"""

from __future__ import annotations

import numpy as np

from app.nn.arithmetic import output_size
from app.nn.conv import pad2d, scatter_windows, window_view


def pool_windows(x: np.ndarray, k: int, stride: int | None, pad: int, fill: float, layer: str) -> tuple:
    """Window view (N, C, K, K, OH, OW) of the input padded with fill, and the geometry backward needs."""
    s = k if stride is None else stride
    if pad > k // 2:
        raise ValueError(
            f"{layer}: padding {pad} is more than half the kernel {k}, so a window could hold only padding; "
            f"use padding of at most {k // 2}"
        )
    h, w = x.shape[2:]
    oh, ow = output_size(h, k, s, pad, layer=layer), output_size(w, k, s, pad, layer=layer)
    xp = pad2d(x, pad, fill)
    return window_view(xp, k, s, 1, oh, ow), (xp.shape, k, s, pad)


def max_pool2d_forward(x: np.ndarray, k: int, stride: int | None = None, pad: int = 0) -> tuple[np.ndarray, tuple]:
    """Each output is the largest value in its window; remember which tap won (the first, on ties).

    Taps are visited in increasing order, so the winner so far is the largest tap that beat the best value;
    arithmetic (max, multiply) instead of np.where keeps the loop free of data-dependent branches.
    """
    view, geometry = pool_windows(x, k, stride, pad, -np.inf, "max pool")
    best = view[:, :, 0, 0].copy()
    winner = np.zeros(best.shape, dtype=np.int32)
    for tap in range(1, k * k):
        candidate = view[:, :, tap // k, tap % k]
        np.maximum(winner, (candidate > best) * np.int32(tap), out=winner)
        np.maximum(best, candidate, out=best)
    return best, (winner, geometry)


def max_pool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Route each output's gradient to its window's winner only; every other input gets zero."""
    winner, (padded_shape, k, s, pad) = cache
    dxp = np.zeros(padded_shape, dtype=dout.dtype)
    return scatter_windows(lambda i, j: dout * (winner == i * k + j), k, dxp, pad, s, 1)


def max_pool2d_winners(cache: tuple) -> np.ndarray:
    """Where each window's winner sits in the (unpadded) input: (N, C, OH, OW, 2) rows and columns.

    These are the only cells max_pool2d_backward sends a gradient to; a winner is never a padding cell,
    since padding holds −∞ and every window holds at least one real cell.
    """
    winner, (_, k, s, pad) = cache
    oh, ow = winner.shape[2:]
    rows = np.arange(oh)[:, None] * s - pad + winner // k
    cols = np.arange(ow)[None, :] * s - pad + winner % k
    return np.stack([rows, cols], axis=-1)


def avg_pool2d_forward(x: np.ndarray, k: int, stride: int | None = None, pad: int = 0) -> tuple[np.ndarray, tuple]:
    """Each output is the mean of its k×k window; padding cells count as zeros."""
    view, geometry = pool_windows(x, k, stride, pad, 0.0, "average pool")
    return view.mean(axis=(2, 3)), geometry


def avg_pool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Share each output's gradient equally among the k×k cells of its window."""
    padded_shape, k, s, pad = cache
    share = dout / (k * k)
    dxp = np.zeros(padded_shape, dtype=dout.dtype)
    return scatter_windows(lambda i, j: share, k, dxp, pad, s, 1)
