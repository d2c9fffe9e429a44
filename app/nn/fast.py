"""Faster twins of the convolution and max-pooling pairs in conv.py and pool.py, with the same results.

conv.py and pool.py show the algorithms; the layers run these, which do the same arithmetic laid out for speed
(tests/nn/test_fast.py checks them against the readable ones, forward and backward, over many geometries):
- convolution: one small matrix product per image, w (F, C·K·K) @ that image's window columns, lands straight
  in the (N, F, OH, OW) layout, so no transposed copy is made; batches go in chunks of CHUNK images so a
  chunk's columns stay in the processor's cache (at batch 1000 all columns would take 78 MB);
- at stride 1 the columns are whole padded rows ("wide" columns, see row_windows): copying them moves long
  contiguous runs instead of OH·OW-cell windows row by row, and the input gradient comes back as K adds of
  whole rows (add_rows) instead of K·K adds of short ones;
- max pooling keeps only each window's maximum in the forward pass; the backward pass finds the winners.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from app.nn.arithmetic import output_size
from app.nn.conv import check_kernel, pad2d, scatter_windows, window_view
from app.nn.pool import max_pool2d_winners, pool_windows

CHUNK = 16  # images per block of window columns: 16 LeNet images' columns (1.2 MB) stay in cache


def row_windows(x: np.ndarray, k: int, pad: int, dilation: int) -> np.ndarray:
    """Stride 1: read-only view (N, C, K, K, OH·WP) of x padded and flattened per channel.

    [n, c, i, j, t] is cell t + d·(i·WP + j) of the flattened padded image, which for t = y·WP + x is tap
    (i, j) of window (y, x). Columns x ≥ OW are not windows (they wrap onto the next row); the forward pass
    drops their outputs. d·(K − 1) zeros after the last image keep every read inside the buffer.
    """
    n, c, h, w = x.shape
    hp, wp, reach = h + 2 * pad, w + 2 * pad, dilation * (k - 1)
    buffer = np.zeros(n * c * hp * wp + reach, dtype=x.dtype)
    buffer[: n * c * hp * wp].reshape(n, c, hp, wp)[:, :, pad : pad + h, pad : pad + w] = x
    cell = buffer.itemsize
    return as_strided(
        buffer,
        shape=(n, c, k, k, (hp - reach) * wp),
        strides=(c * hp * wp * cell, hp * wp * cell, dilation * wp * cell, dilation * cell, cell),
        writeable=False,
    )


def conv2d_forward_fast(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: int = 1, pad: int = 0, dilation: int = 1
) -> tuple[np.ndarray, tuple]:
    """conv2d_forward's out (N, F, OH, OW), computed chunk by chunk with one matrix product per image.

    The output grid is OH × width: width is WP at stride 1 (row_windows' wide columns, dropped at the end),
    OW otherwise (window_view's windows). The cache keeps the window view, not the columns: backward copies
    each chunk's columns again, which costs less than keeping them all.
    """
    n, c, h, wd = x.shape
    f, k = w.shape[0], w.shape[2]
    check_kernel(x, w)
    oh, ow = output_size(h, k, stride, pad, dilation), output_size(wd, k, stride, pad, dilation)
    if stride == 1:
        windows, width = row_windows(x, k, pad, dilation), wd + 2 * pad
    else:
        windows, width = window_view(pad2d(x, pad), k, stride, dilation, oh, ow), ow
    w_mat = w.reshape(f, -1)
    out = np.empty((n, f, oh, ow), dtype=np.result_type(x, w))
    for start, cols in column_chunks(windows, c * k * k, oh * width):
        maps = (w_mat @ cols).reshape(-1, f, oh, width)[..., :ow]
        out[start : start + len(cols)] = maps if b is None else maps + b[:, None, None]
    return out, (windows, width, w, b is not None, stride, pad, dilation, (h, wd))


def column_chunks(windows: np.ndarray, rows: int, span: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first image, its chunk's columns (≤ CHUNK, rows, span)) for each chunk of the window view (N, …).

    Every chunk is copied into the same buffer, so a pass allocates one chunk's columns, not N images' worth.
    """
    n = windows.shape[0]
    buffer = np.empty((min(n, CHUNK), rows, span), dtype=windows.dtype)
    for start in range(0, n, CHUNK):
        chunk = windows[start : start + CHUNK]
        cols = buffer[: len(chunk)]
        cols.reshape(chunk.shape)[...] = chunk
        yield start, cols


def conv2d_backward_fast(
    dout: np.ndarray, cache: tuple, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """conv2d_backward's (dx, dw, db) for conv2d_forward_fast's cache, chunk by chunk like the forward pass.

    Each chunk of dout is first put on the forward pass's OH × width grid (zeros in the dropped columns, so
    they add nothing), flattened, with reach = d·(K − 1) zeros before and after for add_rows.
    """
    windows, width, w, has_bias, stride, pad, dilation, (h, wd) = cache
    n, f, oh, ow = dout.shape
    c, k = w.shape[1], w.shape[2]
    hp, wp = h + 2 * pad, wd + 2 * pad
    span, reach = oh * width, (dilation * (k - 1) if stride == 1 else 0)
    dw_t = np.zeros((c * k * k, f), dtype=np.result_type(dout, windows))  # cols @ gᵀ is the faster product
    dx_flat = np.zeros((n, c, hp * wp + reach), dtype=np.result_type(dout, w)) if input_grad else None
    for start, cols in column_chunks(windows, c * k * k, span):
        g = np.zeros((len(cols), f, reach + span + reach), dtype=dout.dtype)
        g[:, :, reach : reach + span].reshape(-1, f, oh, width)[..., :ow] = dout[start : start + len(cols)]
        dw_t += (cols @ g[:, :, reach : reach + span].transpose(0, 2, 1)).sum(axis=0)
        if dx_flat is not None and stride == 1:
            add_rows(w, g, dx_flat[start : start + len(cols)], wp, dilation)
        elif dx_flat is not None:
            dxp = dx_flat[start : start + len(cols)].reshape(-1, c, hp, wp)
            scatter_taps(w, g.reshape(-1, f, oh, ow), dxp, stride, dilation)
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    dw = dw_t.T.reshape(w.shape)
    if dx_flat is None:
        return None, dw, db
    return dx_flat[:, :, : hp * wp].reshape(n, c, hp, wp)[:, :, pad : pad + h, pad : pad + wd], dw, db


def scatter_taps(w: np.ndarray, g: np.ndarray, dxp: np.ndarray, stride: int, dilation: int) -> None:
    """Any stride: dxp (n, C, HP, WP) += the input gradient for output gradient g (n, F, OH, OW), tap by tap."""
    n, f, oh, ow = g.shape
    c, k = w.shape[1], w.shape[2]
    dcols = (w.reshape(f, -1).T @ g.reshape(n, f, oh * ow)).reshape(n, c, k, k, oh, ow)
    scatter_windows(lambda i, j: dcols[:, :, i, j], k, dxp, 0, stride, dilation)


def add_rows(w: np.ndarray, g: np.ndarray, dx_flat: np.ndarray, wp: int, dilation: int) -> None:
    """Stride 1: dx_flat (n, C, HP·WP + reach) += the input gradient, in K adds of whole rows.

    g (n, F, reach + OH·WP + reach) is the output gradient on row_windows' grid with reach = d·(K − 1) zeros
    on each side. Window t = y·WP + x reads cell t + d·(i·WP + j) with tap (i, j), so kernel row i sends
    R_i[c, u] = Σ_f Σ_j w[f, c, i, j] · g[f, u − d·j] to cell u + d·i·WP. All K rows are one matrix product
    whose second factor stacks K shifted copies of g, and each R_i is one contiguous add per image and channel.
    """
    n, f, padded = g.shape
    c, k = w.shape[1], w.shape[2]
    length = padded - dilation * (k - 1)  # OH·WP + reach: the cells u that R_i covers
    # shifted[n, f, j', u] = g[n, f, u + d·j'], which is g[f, u − d·j] on the unpadded grid for j = K − 1 − j'
    shifted = sliding_window_view(g, length, axis=2)[:, :, ::dilation].reshape(n, f * k, length)
    w_rows = w[:, :, :, ::-1].transpose(2, 1, 0, 3).reshape(k * c, f * k)  # [(i, c), (f, j')]
    rows = (w_rows @ shifted).reshape(n, k, c, length)
    for i in range(k):
        start = dilation * i * wp
        dx_flat[:, :, start : start + length] += rows[:, i]


def max_pool2d_forward_fast(x: np.ndarray, k: int, stride: int | None = None, pad: int = 0) -> tuple[np.ndarray, tuple]:
    """max_pool2d_forward's out (N, C, OH, OW): k·k − 1 element-wise maxima; the winners wait for backward."""
    view, geometry = pool_windows(x, k, stride, pad, -np.inf, "max pool")
    best = view[:, :, 0, 0].copy()
    for tap in range(1, k * k):
        np.maximum(best, view[:, :, tap // k, tap % k], out=best)
    return best, (view, best, geometry)  # like ActivationLayer's cache, it shares the output array


def first_hits(cache: tuple) -> Iterator[tuple[int, int, np.ndarray]]:
    """For each tap (i, j) in order, the (N, C, OH, OW) mask of windows whose first maximum is at that tap.

    Visiting taps in increasing order and skipping windows already won gives max_pool2d_forward's tie rule.
    """
    view, best, (_, k, _, _) = cache
    found = np.zeros(best.shape, dtype=bool)
    for i in range(k):
        for j in range(k):
            hit = view[:, :, i, j] == best
            np.greater(hit, found, out=hit)  # hit and not found
            np.logical_or(found, hit, out=found)
            yield i, j, hit


def max_pool2d_backward_fast(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """max_pool2d_backward for max_pool2d_forward_fast's cache: each output's gradient goes to its first winner.

    When windows do not overlap (stride ≥ k, as in LeNet) each tap's share is written straight into its cells.
    """
    padded_shape, k, s, pad = cache[2]
    oh, ow = dout.shape[2:]
    dxp = np.zeros(padded_shape, dtype=dout.dtype)
    if s < k:
        hits = {(i, j): hit for i, j, hit in first_hits(cache)}
        return scatter_windows(lambda i, j: dout * hits[i, j], k, dxp, pad, s, 1)
    for i, j, hit in first_hits(cache):
        np.multiply(dout, hit, out=dxp[:, :, i : i + s * oh : s, j : j + s * ow : s])
    h, w = padded_shape[2] - 2 * pad, padded_shape[3] - 2 * pad
    return dxp[:, :, pad : pad + h, pad : pad + w]


def max_pool2d_winners_fast(cache: tuple) -> np.ndarray:
    """max_pool2d_winners for max_pool2d_forward_fast's cache: (N, C, OH, OW, 2) row and column of each winner."""
    k = cache[2][1]
    winner = np.zeros(cache[1].shape, dtype=np.int32)
    for i, j, hit in first_hits(cache):
        winner[hit] = i * k + j
    return max_pool2d_winners((winner, cache[2]))
