"""Augmentation: the warp is exact where it should be, and the random changes stay small and in range."""

import numpy as np

from app.training.augment import Augmentation, augment, change_strokes, warp


def digit_like(rng: np.random.Generator, n: int = 8) -> np.ndarray:
    """Images (n, 28, 28) in [0, 1] with a bright block roughly in the middle."""
    images = np.zeros((n, 28, 28), dtype=np.float32)
    images[:, 8:20, 11:17] = rng.uniform(0.5, 1.0, (n, 12, 6))
    return images


def identity(n: int) -> np.ndarray:
    matrices = np.zeros((n, 2, 3))
    matrices[:, 0, 0] = matrices[:, 1, 1] = 1
    return matrices


def test_identity_warp_returns_the_images_unchanged() -> None:
    images = digit_like(np.random.default_rng(0))
    np.testing.assert_array_equal(warp(images, identity(len(images))), images)


def test_warp_by_a_whole_pixel_shifts_and_fills_with_background() -> None:
    images = digit_like(np.random.default_rng(0))
    matrices = identity(len(images))
    matrices[:, 1, 2] = -3  # each output pixel reads 3 pixels to its left: the digit moves right by 3
    moved = warp(images, matrices)
    np.testing.assert_array_equal(moved[:, :, 3:], images[:, :, :-3])
    assert not moved[:, :, :3].any()


def test_quarter_turn_rotates_like_rot90() -> None:
    images = digit_like(np.random.default_rng(1))
    matrices = np.zeros((len(images), 2, 3))
    matrices[:, 0, 1], matrices[:, 1, 0] = 1, -1  # output (y, x) samples input (x, -y) about the centre
    np.testing.assert_allclose(warp(images, matrices), np.rot90(images, k=1, axes=(1, 2)), atol=1e-5)


def test_augmented_batch_keeps_shape_dtype_range_and_most_ink() -> None:
    rng = np.random.default_rng(2)
    images = digit_like(rng, 64)
    out = augment(images, rng)
    assert out.shape == images.shape and out.dtype == images.dtype
    assert out.min() >= 0 and out.max() <= 1
    ratio = out.sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    assert np.all((ratio > 0.5) & (ratio < 2.5))
    assert not np.array_equal(out, images)


def test_thickening_adds_ink_and_thinning_removes_some_but_not_all() -> None:
    images = digit_like(np.random.default_rng(3))
    always_thick = change_strokes(images, np.random.default_rng(0), Augmentation(thicken=1.0, thin=0.0))
    always_thin = change_strokes(images, np.random.default_rng(0), Augmentation(thicken=0.0, thin=1.0))
    assert np.all(always_thick.sum(axis=(1, 2)) > images.sum(axis=(1, 2)))
    assert np.all(always_thin.sum(axis=(1, 2)) < images.sum(axis=(1, 2)))
    assert np.all(always_thin.sum(axis=(1, 2)) > 0.5 * images.sum(axis=(1, 2)))


def test_same_seed_gives_the_same_augmentation() -> None:
    images = digit_like(np.random.default_rng(4))
    np.testing.assert_array_equal(augment(images, np.random.default_rng(9)), augment(images, np.random.default_rng(9)))
