"""The convolution walkthrough: every number the /conv page animates, computed by the engine (app/nn).

A plan describes one convolution (x (C, H, W) with F kernels (F, C, K, K) and a bias (F,)), an optional second
stage (max or average pooling, or a K2×K2 box-filter convolution) and the backward pass of a gradient arriving
at the last output. Its header holds the geometry (output sizes with the formula's terms, the input indices each
window covers, the cells no window reaches and why, receptive fields) and the whole-map results (outputs,
gradients); the per-window numbers (products, per-channel sums, backward contributions and the backward sums as
they build up window by window) come in chunks of output rows, so a large input shows its first frame at once.

The sums that land in the output cells are the engine's conv2d_forward itself; the products are the same
window view of the padded input times the kernel, so they add up to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from app.nn.arithmetic import (
    LayerGeometry,
    ReceptiveField,
    output_size,
    output_size_terms,
    padding_for,
    receptive_fields,
    window_indices,
)
from app.nn.conv import conv2d_backward, conv2d_forward, pad2d, window_view
from app.nn.pool import avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward
from app.wire.conv import Stage2, Stage2Kind

DIGITS_FILE = Path(__file__).with_name("conv_digits.npz")
DTYPE = np.float32


@dataclass(frozen=True, eq=False)
class ConvSetup:
    """What the page asks for: input (C, H, W), kernels (F, C, K, K), bias (F,), geometry, stage 2, gradient.

    padding is a number or one of the engine's modes ("valid", "same", "full"); grad_cell (f, y, x) of the last
    output receives a gradient of 1 and every other cell 0, or every cell receives 1 when it is None.
    """

    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    stride: int = 1
    padding: int | str = 0
    dilation: int = 1
    stage2: Stage2 = Stage2()
    grad_cell: tuple[int, int, int] | None = None

    def padding_cells(self) -> int:
        """The padding p, resolved from a mode by the engine's padding_for."""
        if isinstance(self.padding, str):
            return padding_for(self.padding, self.w.shape[2], self.dilation)
        return self.padding


@dataclass(frozen=True, eq=False)
class Plan:
    """A walkthrough: a JSON-able header, whole-map arrays, and per-window arrays (…, OH, OW) to stream by rows."""

    header: dict
    arrays: dict[str, np.ndarray]
    windows: dict[str, np.ndarray]

    @property
    def out_width(self) -> int:
        """OW: output positions in one row of windows."""
        return self.header["conv"]["out"][1]


def terms_dict(n: int, k: int, s: int, p: int, d: int) -> dict:
    """The output-size formula's numbers along one axis, as the engine computes them."""
    terms = output_size_terms(n, k, s, p, d)
    return {
        "n": n,
        "numerator": terms.numerator,
        "stride": terms.stride,
        "size": terms.size,
        "remainder": terms.remainder,
    }


def unreached(n: int, p: int, indices: np.ndarray) -> list[int]:
    """Coordinates along one axis, from -p to n + p - 1 (padding included), that no window covers."""
    covered = set(indices.ravel().tolist())
    return [i for i in range(-p, n + p) if i not in covered]


def plural(count: int, word: str) -> str:
    """'1 row', '2 rows'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def axes_phrase(count: int, axes: tuple[str, ...], prefix: str = "") -> str:
    """'the last row and the last column', '3 rows and 3 columns'."""
    one = count == 1 and prefix
    return " and ".join(f"{prefix}{axis}" if one else f"{prefix}{plural(count, axis)}" for axis in axes)


def axis_reasons(axes: tuple[str, ...], terms: dict, missed: list[int], n: int, p: int, d: int) -> list[str]:
    """Why cells along an axis (or both axes alike) are never under a window, in words."""
    tail = [i for i in missed if i >= n + p - terms["remainder"]] if terms["remainder"] else []
    reasons = []
    if tail:
        reasons.append(
            f"n + 2p − d(k − 1) − 1 = {terms['numerator']} is not a multiple of the stride {terms['stride']}, so "
            f"the floor drops the remainder {terms['remainder']} and no window reaches "
            f"{axes_phrase(len(tail), axes, 'the last ')} of the padded input"
        )
    if gaps := len(missed) - len(tail):
        why = (
            f"the kernel's taps are {d} apart (dilation {d}) and the windows move {terms['stride']} at a time"
            if d > 1
            else f"the stride {terms['stride']} is larger than the kernel, so the windows jump over them"
        )
        reasons.append(f"no tap reaches {axes_phrase(gaps, axes)} in between: {why}")
    return reasons


def unreached_dict(
    h: int, w: int, g: LayerGeometry, rows: np.ndarray, cols: np.ndarray, terms: dict, noun: str = "input cell"
) -> dict:
    """The rows and columns (input coordinates, padding included) that no window reaches, and the reason.

    noun names the cells of the layer's input ("input cell"; "conv output cell" for stage 2).
    """
    missed_rows, missed_cols = unreached(h, g.p, rows), unreached(w, g.p, cols)
    if h == w and missed_rows == missed_cols:
        reasons = axis_reasons(("row", "column"), terms["rows"], missed_rows, h, g.p, g.d)
    else:
        reasons = axis_reasons(("row",), terms["rows"], missed_rows, h, g.p, g.d) + axis_reasons(
            ("column",), terms["cols"], missed_cols, w, g.p, g.d
        )
    real = sum(1 for r in range(h) for c in range(w) if r in missed_rows or c in missed_cols)
    reason = None
    if reasons:
        cells = f"1 {noun} is" if real == 1 else f"{real} {noun}s are"
        reason = f"{cells} never read by any window: " + "; ".join(reasons) + "."
    return {"rows": missed_rows, "cols": missed_cols, "cells": real, "reason": reason}


def field_dict(field: ReceptiveField) -> dict:
    """A receptive field's size, jump and start, in input coordinates."""
    return {"size": field.size, "jump": field.jump, "start": field.start}


def stage1(setup: ConvSetup) -> tuple[dict, dict[str, np.ndarray], dict[str, np.ndarray], tuple, np.ndarray]:
    """The convolution: its header part, output, per-window products and the engine's cache."""
    x = setup.x.astype(DTYPE)[None]
    w, b = setup.w.astype(DTYPE), setup.b.astype(DTYPE)
    _, h, wd = setup.x.shape
    f, _, k, _ = w.shape
    s, d, p = setup.stride, setup.dilation, setup.padding_cells()
    out, cache = conv2d_forward(x, w, b, s, p, d)
    terms = {"rows": terms_dict(h, k, s, p, d), "cols": terms_dict(wd, k, s, p, d)}
    rows, cols = window_indices(h, k, s, p, d), window_indices(wd, k, s, p, d)
    oh, ow = out.shape[2:]
    patches = window_view(pad2d(x, p), k, s, d, oh, ow)[0]  # (C, K, K, OH, OW)
    products = patches[None] * w[:, :, :, :, None, None]  # (F, C, K, K, OH, OW)
    header = {
        "k": k,
        "s": s,
        "p": p,
        "d": d,
        "filters": f,
        "out": [oh, ow],
        "terms": terms,
        "rows": rows.tolist(),
        "cols": cols.tolist(),
        "unreached": unreached_dict(h, wd, LayerGeometry(k, s, p, d), rows, cols, terms),
    }
    windows = {"products": products, "channel_sums": products.sum(axis=(2, 3))}
    return header, {"output": out[0]}, windows, cache, patches


def box_kernel(channels: int, k: int) -> np.ndarray:
    """Stage 2's convolution: one K2×K2 mean over all channels (1, C, K2, K2), to show how fields grow."""
    return np.full((1, channels, k, k), 1.0 / (channels * k * k), dtype=DTYPE)


def stage2_forward(y: np.ndarray, st: Stage2) -> tuple[np.ndarray, tuple, np.ndarray, np.ndarray | None]:
    """Stage 2 on the conv output y (1, F, OH, OW): output, cache, the values each window reads, winners."""
    if st.kind == "max":
        out, cache = max_pool2d_forward(y, st.k, st.s, st.p)
        fill, winners = -np.inf, cache[0][0]
    elif st.kind == "avg":
        out, cache = avg_pool2d_forward(y, st.k, st.s, st.p)
        fill, winners = 0.0, None
    else:
        weights = box_kernel(y.shape[1], st.k)
        out, cache = conv2d_forward(y, weights, None, st.s, st.p)
        fill, winners = 0.0, None
    oh, ow = out.shape[2:]
    values = window_view(pad2d(y, st.p, fill), st.k, st.s, 1, oh, ow)[0]  # (F, K2, K2, OH2, OW2)
    if st.kind == "conv":
        values = values * box_kernel(y.shape[1], st.k)[0][:, :, :, None, None]
    return out, cache, values, winners


def stage2_backward(dout: np.ndarray, cache: tuple, kind: Stage2Kind) -> np.ndarray:
    """The gradient at the conv output, given the gradient at stage 2's output."""
    if kind == "max":
        return max_pool2d_backward(dout, cache)
    if kind == "avg":
        return avg_pool2d_backward(dout, cache)
    return conv2d_backward(dout, cache)[0]


def stage2(y: np.ndarray, conv_header: dict, st: Stage2) -> tuple[dict, dict[str, np.ndarray], tuple]:
    """Stage 2's header part (geometry, formula, receptive field spans) and its arrays."""
    oh, ow = conv_header["out"]
    out, cache, values, winners = stage2_forward(y, st)
    terms = {"rows": terms_dict(oh, st.k, st.s, st.p, 1), "cols": terms_dict(ow, st.k, st.s, st.p, 1)}
    rows, cols = window_indices(oh, st.k, st.s, st.p), window_indices(ow, st.k, st.s, st.p)
    geometries = [
        LayerGeometry(conv_header["k"], conv_header["s"], conv_header["p"], conv_header["d"]),
        LayerGeometry(st.k, st.s, st.p),
    ]
    field = receptive_fields(geometries)[1]
    oh2, ow2 = out.shape[2:]
    header = {
        "kind": st.kind,
        "k": st.k,
        "s": st.s,
        "p": st.p,
        "out": [oh2, ow2],
        "channels": out.shape[1],
        "mixes_channels": st.kind == "conv",
        "terms": terms,
        "rows": rows.tolist(),
        "cols": cols.tolist(),
        "unreached": unreached_dict(oh, ow, LayerGeometry(st.k, st.s, st.p), rows, cols, terms, "conv output cell"),
        "field": field_dict(field),
        "spans": {"rows": [list(field.span(u)) for u in range(oh2)], "cols": [list(field.span(u)) for u in range(ow2)]},
    }
    arrays = {"stage2_output": out[0], "stage2_terms": values}
    if winners is not None:
        arrays["winners"] = winners.astype(DTYPE)
    return header, arrays, cache


def gradient_at(shape: tuple[int, ...], cell: tuple[int, int, int] | None) -> tuple[np.ndarray, dict]:
    """dout for the last output (1, F, OH, OW): all ones, or 1 at the chosen cell (ones when it is outside)."""
    dout = np.zeros(shape, dtype=DTYPE)
    if cell is not None and all(0 <= i < n for i, n in zip(cell, shape[1:], strict=True)):
        dout[(0, *cell)] = 1.0
        return dout, {"kind": "cell", "cell": list(cell), "note": None}
    dout[...] = 1.0
    note = None
    if cell is not None:
        note = (
            f"the chosen cell (map {cell[0]}, row {cell[1]}, column {cell[2]}) is outside the "
            f"{shape[1]}×{shape[2]}×{shape[3]} output, so every output cell receives a gradient of 1"
        )
    return dout, {"kind": "ones", "cell": None, "note": note}


def running_sums(terms: np.ndarray) -> np.ndarray:
    """Per-window terms (F, …, OH, OW) summed over each filter's windows in row-major order up to each window."""
    flat = terms.reshape(*terms.shape[:-2], -1).astype(np.float64)
    return np.cumsum(flat, axis=-1).reshape(terms.shape).astype(DTYPE)


def running_dx(dx_terms: np.ndarray, rows: np.ndarray, cols: np.ndarray, padded: tuple[int, int]) -> np.ndarray:
    """∂l/∂x at the (padded) input cell under each tap once its window has added its g·w, windows in step order.

    dx_terms is (F, C, K, K, OH, OW); the steps go filter by filter, each filter's windows row by row. Every
    contribution is grouped with the earlier ones landing on the same cell and summed cumulatively (a stable
    sort by cell keeps the step order inside each group).
    """
    f, c, k, _, oh, ow = dx_terms.shape
    cells = rows[:, None, :, None] * padded[1] + cols[None, :, None, :]  # (OH, OW, K, K), padded coordinates
    target = np.broadcast_to(cells, (f, oh, ow, k, k)).ravel()
    values = dx_terms.transpose(1, 0, 4, 5, 2, 3).reshape(c, -1).astype(np.float64)  # (C, steps·K·K) in step order
    order = np.argsort(target, kind="stable")
    ranked = target[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    first = starts[np.cumsum(np.r_[True, ranked[1:] != ranked[:-1]]) - 1]  # where each one's group starts
    sums = np.cumsum(values[:, order], axis=1)
    running = sums - np.where(first > 0, sums[:, first - 1], 0.0)
    result = np.empty_like(running)
    result[:, order] = running
    return result.reshape(c, f, oh, ow, k, k).transpose(1, 0, 4, 5, 2, 3).astype(DTYPE)


def build_plan(setup: ConvSetup) -> Plan:
    """The whole walkthrough of setup; the engine's ValueError says why impossible settings are impossible."""
    conv_header, arrays, windows, cache, patches = stage1(setup)
    _, h, w = setup.x.shape
    fields = receptive_fields([LayerGeometry(conv_header["k"], conv_header["s"], conv_header["p"], conv_header["d"])])
    conv_header["field"] = field_dict(fields[0])
    y = arrays["output"][None]
    header = {"input": {"channels": setup.x.shape[0], "height": h, "width": w}, "conv": conv_header, "stage2": None}
    last, st_cache = y, None
    if setup.stage2.kind != "none":
        header["stage2"], st_arrays, st_cache = stage2(y, conv_header, setup.stage2)
        arrays |= st_arrays
        last = st_arrays["stage2_output"][None]
    dout, header["grad"] = gradient_at(last.shape, setup.grad_cell)
    dconv = dout if st_cache is None else stage2_backward(dout, st_cache, setup.stage2.kind)
    dx, dw, db = conv2d_backward(dconv, cache)
    assert db is not None  # the walkthrough's convolution always has its bias
    g = dconv[0][:, None, None, None]  # (F, 1, 1, 1, OH, OW)
    windows["dx_terms"] = setup.w.astype(DTYPE)[:, :, :, :, None, None] * g
    windows["dw_terms"] = patches[None] * g
    p = conv_header["p"]
    rows, cols = np.array(conv_header["rows"]) + p, np.array(conv_header["cols"]) + p
    windows["dx_running"] = running_dx(windows["dx_terms"], rows, cols, (h + 2 * p, w + 2 * p))
    windows["dw_running"] = running_sums(windows["dw_terms"])
    windows["db_running"] = running_sums(dconv[0])
    arrays |= {"dout": dout[0], "dconv": dconv[0], "dx": dx[0], "dw": dw, "db": db}
    return Plan(header, arrays, windows)


def plan_chunks(plan: Plan, windows_per_chunk: int) -> Iterator[tuple[dict, dict[str, np.ndarray]]]:
    """The per-window arrays in chunks of whole output rows (at least one row, about windows_per_chunk windows)."""
    oh = plan.header["conv"]["out"][0]
    step = max(1, windows_per_chunk // plan.out_width)
    for row0 in range(0, oh, step):
        rows = min(step, oh - row0)
        arrays = {name: np.ascontiguousarray(a[..., row0 : row0 + rows, :]) for name, a in plan.windows.items()}
        yield {"row0": row0, "rows": rows}, arrays


def chunk_count(plan: Plan, windows_per_chunk: int) -> int:
    """How many chunks plan_chunks yields."""
    step = max(1, windows_per_chunk // plan.out_width)
    return -(-plan.header["conv"]["out"][0] // step)


@cache
def mnist_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The shipped MNIST digits (10, 28, 28) uint8, their labels and their indices in the official test set.

    conv_digits.npz holds the first test image of each class 0–9 (t10k-images-idx3-ubyte, indices 3, 2, 1, 18,
    4, 8, 11, 0, 61, 7), so the page works without the dataset; docs/protocol/conv.md says how it was made.
    """
    with np.load(DIGITS_FILE, allow_pickle=False) as data:
        return data["images"], data["labels"], data["test_indices"]


def mnist_digit(label: int) -> tuple[np.ndarray, int]:
    """The shipped test digit of class label as floats in [0, 1] (ink is 1, as LeNet sees it), and its test index."""
    images, labels, indices = mnist_digits()
    i = int(np.flatnonzero(labels == label)[0])
    return images[i].astype(DTYPE) / 255.0, int(indices[i])


def plan_terms(setup: ConvSetup) -> int:
    """F·C·K²·OH·OW, the number of products a plan holds (the engine raises for impossible settings)."""
    c, h, w = setup.x.shape
    f, _, k, _ = setup.w.shape
    p = setup.padding_cells()
    oh = output_size(h, k, setup.stride, p, setup.dilation)
    ow = output_size(w, k, setup.stride, p, setup.dilation)
    return f * c * k * k * oh * ow
