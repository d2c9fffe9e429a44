"""Fixtures for the MNIST data layer: small fake MNIST files, with a checksum table made for them."""

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from app.data import files
from app.data.files import IdxFile
from app.data.idx import encode_idx, write_idx


def sha256(array: np.ndarray) -> str:
    """SHA-256 of an array's IDX content, as the checksum table holds it."""
    return hashlib.sha256(encode_idx(array)).hexdigest()


@pytest.fixture
def fake_arrays() -> dict[str, np.ndarray]:
    """Tiny stand-ins for the four MNIST arrays: 6 training and 4 test images of 28×28 with labels."""
    rng = np.random.default_rng(20240601)
    return {
        "train_images": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, 6, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, 4, dtype=np.uint8),
    }


@pytest.fixture
def fake_table(monkeypatch: pytest.MonkeyPatch, fake_arrays: dict[str, np.ndarray]) -> dict[str, IdxFile]:
    """The checksum table, replaced by one whose SHA-256 values are those of the fake arrays."""
    table = {role: replace(file, sha256=sha256(fake_arrays[role])) for role, file in files.FILES.items()}
    monkeypatch.setattr(files, "FILES", table)
    return table


@pytest.fixture
def expect(monkeypatch: pytest.MonkeyPatch, fake_table: dict[str, IdxFile]) -> Callable[[str, np.ndarray], None]:
    """`expect(role, array)` makes the fake checksum table hold `array`'s checksum for `role`."""

    def set_checksum(role: str, array: np.ndarray) -> None:
        monkeypatch.setitem(fake_table, role, replace(fake_table[role], sha256=sha256(array)))

    return set_checksum


@pytest.fixture
def fake_folder(tmp_path: Path, fake_arrays: dict[str, np.ndarray], fake_table: dict[str, IdxFile]) -> Path:
    """A folder holding the four fake files, the training ones gzipped and the test ones plain."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for role, file in fake_table.items():
        write_idx(folder / (f"{file.name}.gz" if role.startswith("train") else file.name), fake_arrays[role])
    return folder
