"""A gallery drawing's pixels: the 28×28 image LeNet read, kept in a submission as base64 uint8 (session.py)."""

from __future__ import annotations

import base64

import numpy as np

SIDE = 28


def drawing(submission: dict) -> np.ndarray:
    """The submission's 28×28 image as uint8 ink levels."""
    return np.frombuffer(base64.b64decode(submission["pixels"]), np.uint8).reshape(SIDE, SIDE)
