"""The shipped LeNet-5 weights on the official MNIST test set, as MNIST images and as drawings on a canvas."""

import numpy as np
import pytest

from app.data.drawing import area_resample, preprocess_drawing
from app.data.mnist import Mnist
from app.models.lenet import load_lenet5
from app.nn import Sequential
from app.training.augment import plus_neighbourhood
from app.training.trainer import as_input, predict

CANVAS = 280
DRAWN_SAMPLE = 3000


@pytest.fixture(scope="module")
def shipped() -> Sequential:
    """LeNet-5 with the weights shipped in the package."""
    return load_lenet5()[0]


def test_shipped_weights_reach_99_percent_on_the_official_test_set(shipped: Sequential, mnist: Mnist) -> None:
    accuracy = (predict(shipped, mnist.test_images) == mnist.test_labels).mean()
    assert accuracy >= 0.99, f"test accuracy {accuracy:.4f}"


def drawn_canvas(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An MNIST digit drawn large on a 280×280 canvas: scaled to 30–90% of it, placed at a random offset,
    with thicker strokes one time in three, and dark ink on white paper one time in two."""
    size = int(rng.uniform(0.3, 0.9) * CANVAS)
    scale = size / digit.shape[0]
    ink = area_resample(digit.astype(np.float32) / 255, (size, size), (scale, scale))
    for _ in range(int(rng.integers(1, 1 + size // 40)) if rng.random() < 1 / 3 else 0):
        ink = np.max(plus_neighbourhood(ink[None]), axis=0)[0]
    canvas = np.zeros((CANVAS, CANVAS), dtype=np.float32)
    top, left = rng.integers(0, CANVAS - size + 1, 2)
    canvas[top : top + size, left : left + size] = np.clip(ink, 0, 1)
    return 1 - canvas if rng.random() < 0.5 else canvas


def test_drawn_like_digits_are_classified_after_preprocessing(shipped: Sequential, mnist: Mnist) -> None:
    rng = np.random.default_rng(1998)
    picks = rng.choice(len(mnist.test_images), DRAWN_SAMPLE, replace=False)
    images = np.stack([preprocess_drawing(drawn_canvas(mnist.test_images[i], rng)).image for i in picks])
    predictions = shipped.forward(images[:, None]).argmax(axis=1)
    accuracy = (predictions == mnist.test_labels[picks]).mean()
    assert accuracy >= 0.985, f"drawn-like accuracy {accuracy:.4f} on {DRAWN_SAMPLE} test digits"


def test_preprocessing_a_drawn_digit_gives_the_network_an_mnist_like_input(shipped: Sequential, mnist: Mnist) -> None:
    digit = mnist.test_images[0]
    drawn = preprocess_drawing(drawn_canvas(digit, np.random.default_rng(0))).image
    assert drawn.shape == (28, 28) and drawn.dtype == np.float32
    assert predict(shipped, (drawn[None] * 255).astype(np.uint8))[0] == mnist.test_labels[0]
    assert shipped.forward(as_input(digit[None])).argmax() == mnist.test_labels[0]
