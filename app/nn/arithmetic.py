"""Convolution arithmetic: output sizes, padding modes, the windows a layer visits, receptive fields.

Everything here works along one spatial axis (our kernels are square); a 2-D window is the product of a
row window and a column window. Symbols follow the recitation: input size n, kernel k, stride s,
padding p, dilation d.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

PaddingMode = Literal["valid", "same", "full"]
PADDING_MODES: tuple[PaddingMode, ...] = get_args(PaddingMode)


def effective_kernel(k: int, d: int = 1) -> int:
    """Span of a dilated kernel: k taps with d - 1 gaps between neighbours."""
    return d * (k - 1) + 1


def check_geometry(n: int, k: int, s: int = 1, p: int = 0, d: int = 1, layer: str = "conv") -> None:
    """Raise a ValueError that says what is wrong and how to fix it when (n, k, s, p, d) is impossible."""
    if n < 1:
        raise ValueError(f"{layer}: input size {n} must be at least 1")
    if k < 1:
        raise ValueError(f"{layer}: kernel size {k} must be at least 1")
    if s < 1:
        raise ValueError(f"{layer}: stride {s} must be at least 1 (the window has to move)")
    if p < 0:
        raise ValueError(f"{layer}: padding {p} cannot be negative; use 0 for no padding")
    if d < 1:
        raise ValueError(f"{layer}: dilation {d} must be at least 1 (1 means no gaps)")
    span = effective_kernel(k, d)
    if span > n + 2 * p:
        dilated = f" (kernel {k} with dilation {d})" if d > 1 else ""
        fix = (span - n + 1) // 2
        raise ValueError(
            f"{layer}: kernel {span}{dilated} is larger than the padded input {n + 2 * p} "
            f"(input {n}, padding {p}); use a smaller kernel or padding of at least {fix}"
        )


def output_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1, layer: str = "conv") -> int:
    """Number of window positions along an axis: floor((n + 2p - d(k - 1) - 1) / s) + 1."""
    check_geometry(n, k, s, p, d, layer)
    return (n + 2 * p - effective_kernel(k, d)) // s + 1


@dataclass(frozen=True)
class OutputSizeTerms:
    """The output-size formula with its numbers, for showing the floor to a student."""

    numerator: int  # n + 2p - d(k - 1) - 1
    stride: int
    size: int  # floor(numerator / stride) + 1
    remainder: int  # numerator mod stride: cells at the far edge that no window reaches


def output_size_terms(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> OutputSizeTerms:
    """The formula's intermediate numbers; remainder > 0 means the floor dropped some cells."""
    size = output_size(n, k, s, p, d)
    numerator = n + 2 * p - effective_kernel(k, d)
    return OutputSizeTerms(numerator, s, size, numerator % s)


def padding_for(mode: str, k: int, d: int = 1) -> int:
    """Padding for "valid" (none), "same" (keeps size at stride 1) or "full" (every partial overlap)."""
    span = effective_kernel(k, d)
    if mode == "valid":
        return 0
    if mode == "same":
        if span % 2 == 0:
            raise ValueError(f"'same' padding needs an odd kernel span, got {span}; use an odd kernel size")
        return (span - 1) // 2
    if mode == "full":
        return span - 1
    raise ValueError(f"unknown padding mode {mode!r}; choose one of {', '.join(PADDING_MODES)}")


def window_indices(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> np.ndarray:
    """Input indices covered by each window along one axis, shape (out, k); < 0 or >= n are padding."""
    out = output_size(n, k, s, p, d)
    return (np.arange(out)[:, None] * s - p) + np.arange(k)[None, :] * d


@dataclass(frozen=True)
class Window:
    """One kernel placement: the output cell it fills and the input cells it reads (row, col)."""

    out: tuple[int, int]
    cells: tuple[tuple[int, int], ...]
    padding: tuple[bool, ...]  # per cell: True when it lies in the zero padding


def windows(h: int, w: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> list[Window]:
    """Every window a layer visits on an h×w input, in row-major order of the output."""
    rows, cols = window_indices(h, k, s, p, d), window_indices(w, k, s, p, d)
    result = []
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            cells = tuple((int(r), int(c)) for r in row for c in col)
            padding = tuple(not (0 <= r < h and 0 <= c < w) for r, c in cells)
            result.append(Window((i, j), cells, padding))
    return result


@dataclass(frozen=True)
class LayerGeometry:
    """The spatial settings of a conv or pooling layer."""

    k: int
    s: int = 1
    p: int = 0
    d: int = 1


@dataclass(frozen=True)
class ReceptiveField:
    """Field of a layer's units in input coordinates: unit u covers size pixels from start + u * jump."""

    size: int
    jump: int
    start: int

    def span(self, u: int) -> tuple[int, int]:
        """First and last input coordinate (inclusive, may fall in the padding) seen by unit u."""
        first = self.start + u * self.jump
        return first, first + self.size - 1


def next_field(field: ReceptiveField, g: LayerGeometry) -> ReceptiveField:
    """Field after one more layer: it grows by (span - 1) previous jumps, strides multiply the jump."""
    return ReceptiveField(
        size=field.size + (effective_kernel(g.k, g.d) - 1) * field.jump,
        jump=field.jump * g.s,
        start=field.start - g.p * field.jump,
    )


INPUT_FIELD = ReceptiveField(size=1, jump=1, start=0)


def receptive_fields(geometries: Sequence[LayerGeometry]) -> list[ReceptiveField]:
    """Receptive field of each layer in a stack, in input coordinates."""
    fields, field = [], INPUT_FIELD
    for g in geometries:
        field = next_field(field, g)
        fields.append(field)
    return fields
