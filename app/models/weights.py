"""Weights files: a model's parameters as .npz with the architecture and metadata inside, written atomically
and checked on load, so a crash mid-write or a wrong file never reaches the network.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from app.nn import Sequential

META_KEY = "__meta__"
FORMAT = 1


class WeightsError(ValueError):
    """A weights file that cannot be used, with a one-line reason."""


def save_weights(path: Path, model: Sequential, architecture: str, metadata: dict | None = None) -> None:
    """Write model's parameters to path atomically: a temporary file beside it, flushed, then renamed over it."""
    path = Path(path)
    meta = {"format": FORMAT, "architecture": architecture, "metadata": metadata or {}}
    arrays = {name: np.asarray(value) for name, value in model.params().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, allow_pickle=False, **arrays, **{META_KEY: np.array(json.dumps(meta))})
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a weights file is meant to be read by others
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_weights(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The metadata record and the arrays of a weights file, all read and checked, or a WeightsError."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise WeightsError(f"{path}: no such weights file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise WeightsError(f"{path}: not a readable weights file ({exc})") from None
    try:
        meta = json.loads(str(arrays.pop(META_KEY)))
    except (KeyError, ValueError) as exc:
        raise WeightsError(f"{path}: no readable metadata, so not a backprop-lab weights file ({exc})") from None
    if meta.get("format") != FORMAT:
        raise WeightsError(f"{path}: weights format {meta.get('format')}, this version reads format {FORMAT}")
    return meta, arrays


def load_weights(path: Path, model: Sequential, architecture: str) -> dict:
    """Copy the parameters in path into model after checking architecture, names and shapes; return metadata."""
    meta, arrays = read_weights(path)
    if meta.get("architecture") != architecture:
        raise WeightsError(f"{path}: holds weights for {meta.get('architecture')!r}, not {architecture!r}")
    params = model.params()
    if set(arrays) != set(params):
        missing, extra = sorted(set(params) - set(arrays)), sorted(set(arrays) - set(params))
        raise WeightsError(f"{path}: parameters do not match {architecture}: missing {missing}, unexpected {extra}")
    for name, target in params.items():
        value = arrays[name]
        if value.shape != target.shape:
            raise WeightsError(f"{path}: {name} has shape {value.shape}, {architecture} needs {target.shape}")
        if not np.all(np.isfinite(value)):
            raise WeightsError(f"{path}: {name} holds NaN or infinite values")
    for name, target in params.items():
        target[...] = arrays[name]
    return meta["metadata"]
