"""Nested rows of numbers from a JSON message (a drawing's grid, a convolution's input and kernels) as arrays.

A validated request holds one array, not a Python float per value: the conv page's largest input is 8,192 floats in
pymalloc's small blocks, and such requests replaced at the message rate on a flood's sockets left the server's
memory fragmented for good after an attack (benchmarks/soak.py --attacker; app/server/memory.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic_core import PydanticCustomError


def number_box(value: object, dims: str) -> np.ndarray:
    """value as a float64 array with the named dimensions ("H×W", "C×H×W"), or a typed error (bad_shape,
    bad_value) saying what is wrong with its shape or numbers."""
    try:
        array = np.asarray(value)
    except ValueError:
        raise PydanticCustomError("bad_shape", f"must be a rectangular {dims} box: every row the same length") from None
    if array.dtype.kind not in "iuf":
        raise PydanticCustomError("bad_value", "must hold numbers only")
    ndim = len(dims.split("×"))
    if array.ndim != ndim or 0 in array.shape:
        shape = "×".join(map(str, array.shape)) or "a single number"
        raise PydanticCustomError("bad_shape", f"must be a non-empty {ndim}-D {dims} box of numbers, got {shape}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise PydanticCustomError("bad_value", f"holds {int((~np.isfinite(array)).sum())} NaN or infinite values")
    return array


def box_of(dims: str) -> Callable[[object], np.ndarray]:
    """number_box for one field's dimensions, as a pydantic validator."""
    return lambda value: number_box(value, dims)
