"""Light augmentation of MNIST batches so LeNet copes with drawn digits: small random shifts, rotations and
scale changes (one affine warp per image), and thicker or thinner strokes.

Drawn digits go through the MNIST-style preprocessing, so they arrive centred and about 20 pixels tall; what
still differs from MNIST is mostly stroke width and a little placement and slant, hence the small ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Augmentation:
    """Ranges of the random changes: each image draws its own values uniformly within them."""

    max_shift: float = 2.0  # pixels
    max_rotation: float = 12.0  # degrees
    scale: tuple[float, float] = (0.85, 1.1)
    thicken: float = 0.3  # probability of a thicker stroke
    thin: float = 0.1  # probability of a thinner stroke


def random_affines(rng: np.random.Generator, n: int, aug: Augmentation) -> np.ndarray:
    """n matrices (n, 2, 3) mapping each output pixel (y, x) to the input point it samples, about the centre."""
    angle = np.deg2rad(rng.uniform(-aug.max_rotation, aug.max_rotation, n))
    scale = rng.uniform(*aug.scale, n)
    shift = rng.uniform(-aug.max_shift, aug.max_shift, (n, 2))
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    matrices = np.empty((n, 2, 3))
    matrices[:, 0, :2] = np.stack([cos, -sin], axis=1)
    matrices[:, 1, :2] = np.stack([sin, cos], axis=1)
    matrices[:, :, 2] = -shift
    return matrices


def warp(images: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """Bilinear resampling of images (N, H, W) by per-image affine maps (N, 2, 3) about the image centre.

    Points that fall outside the image read zero (background).
    """
    n, h, w = images.shape
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    ys, xs = np.mgrid[0:h, 0:w]
    grid = np.stack([ys.ravel() - centre[0], xs.ravel() - centre[1]])  # (2, H·W) about the centre
    src = matrices[:, :, :2] @ grid + matrices[:, :, 2:] + centre[None, :, None]  # (N, 2, H·W)
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))  # a zero border makes out-of-range reads background
    y = np.clip(src[:, 0] + 1, 0, h + 1)  # in padded coordinates
    x = np.clip(src[:, 1] + 1, 0, w + 1)
    y0, x0 = np.floor(y).astype(np.intp), np.floor(x).astype(np.intp)
    fy, fx = y - y0, x - x0
    y1, x1 = np.minimum(y0 + 1, h + 1), np.minimum(x0 + 1, w + 1)
    rows = np.arange(n)[:, None]
    out = (
        padded[rows, y0, x0] * (1 - fy) * (1 - fx)
        + padded[rows, y0, x1] * (1 - fy) * fx
        + padded[rows, y1, x0] * fy * (1 - fx)
        + padded[rows, y1, x1] * fy * fx
    )
    return out.reshape(n, h, w).astype(images.dtype)


def plus_neighbourhood(images: np.ndarray) -> list[np.ndarray]:
    """Each pixel's plus-shaped neighbourhood (itself and its four neighbours) as five shifted images."""
    p = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    return [p[:, 1:-1, 1:-1], p[:, :-2, 1:-1], p[:, 2:, 1:-1], p[:, 1:-1, :-2], p[:, 1:-1, 2:]]


def change_strokes(images: np.ndarray, rng: np.random.Generator, aug: Augmentation) -> np.ndarray:
    """Thicken some strokes (grey dilation) and thin others (half-strength grey erosion, so none vanish)."""
    draw = rng.random(len(images))
    thick, thin = draw < aug.thicken, (draw >= aug.thicken) & (draw < aug.thicken + aug.thin)
    out = images.copy()
    neighbours = plus_neighbourhood(images)
    out[thick] = np.max(neighbours, axis=0)[thick]
    out[thin] = 0.5 * (images + np.min(neighbours, axis=0))[thin]
    return out


def augment(images: np.ndarray, rng: np.random.Generator, aug: Augmentation = Augmentation()) -> np.ndarray:
    """A randomly changed copy of a batch of ink-high images (N, H, W) in [0, 1]."""
    return change_strokes(warp(images, random_affines(rng, len(images), aug)), rng, aug)
