"""Weights files: round trip, every way a file can be wrong, and atomic writes."""

from pathlib import Path

import numpy as np
import pytest

from app.models.lenet import ARCHITECTURE, lenet5, load_lenet5
from app.models.weights import WeightsError, read_weights, save_weights


def saved(tmp_path: Path, seed: int = 1) -> Path:
    """A valid LeNet-5 weights file from a seeded model."""
    path = tmp_path / "w.npz"
    save_weights(path, lenet5(np.random.default_rng(seed)), ARCHITECTURE, {"note": "test"})
    return path


def test_saved_weights_load_back_exactly_with_their_metadata(tmp_path: Path) -> None:
    path = saved(tmp_path)
    model, metadata = load_lenet5(path)
    original = lenet5(np.random.default_rng(1)).params()
    for name, value in model.params().items():
        np.testing.assert_array_equal(value, original[name])
    assert metadata == {"note": "test"}


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="no such weights file"):
        load_lenet5(tmp_path / "absent.npz")


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    path = saved(tmp_path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(WeightsError, match="not a readable weights file"):
        load_lenet5(path)


def test_npz_without_metadata_is_not_a_weights_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(WeightsError, match="no readable metadata"):
        load_lenet5(path)


def test_wrong_architecture_is_named(tmp_path: Path) -> None:
    path = tmp_path / "w.npz"
    save_weights(path, lenet5(np.random.default_rng(0)), "xor221")
    with pytest.raises(WeightsError, match="'xor221', not 'lenet5'"):
        load_lenet5(path)


def test_wrong_shape_is_named_and_nothing_is_half_loaded(tmp_path: Path) -> None:
    model = lenet5(np.random.default_rng(0))
    model.layer("fc3").params["w"] = np.zeros((84, 9), dtype=np.float32)
    model.layer("fc3").params["b"] = np.zeros(9, dtype=np.float32)
    path = tmp_path / "w.npz"
    save_weights(path, model, ARCHITECTURE)
    with pytest.raises(WeightsError, match=r"fc3.w has shape \(84, 9\), lenet5 needs \(84, 10\)"):
        load_lenet5(path)


def test_non_finite_values_are_refused(tmp_path: Path) -> None:
    model = lenet5(np.random.default_rng(0))
    model.layer("conv1").params["w"][0, 0, 0, 0] = np.nan
    path = tmp_path / "w.npz"
    save_weights(path, model, ARCHITECTURE)
    with pytest.raises(WeightsError, match="conv1.w holds NaN"):
        load_lenet5(path)


def test_a_crash_while_writing_leaves_the_previous_file_intact(tmp_path: Path, monkeypatch) -> None:
    path = saved(tmp_path)
    before = path.read_bytes()

    def crash(file, **arrays):
        file.write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", crash)
    with pytest.raises(KeyboardInterrupt):
        save_weights(path, lenet5(np.random.default_rng(2)), ARCHITECTURE)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]
    read_weights(path)
