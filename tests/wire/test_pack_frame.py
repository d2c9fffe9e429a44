"""The frames the server packs (app/wire/frames.py pack_frame) are byte for byte what packing one array and one map
at a time makes: the reference below is that straightforward algorithm, which static/js/lib/frames.js was written
against. Also: the 7-digit ranges are exactly Python's own `.7g` rounding."""

import struct

import numpy as np
import pytest
from pydantic_core import to_json

import app.services.lenet as lenet_service
from app.models.lenet import load_lenet5
from app.services.lenet import LeNetSession, prediction_frame, prepare, read
from app.wire.frames import U8_LEVELS, pack_frame, pack_frames, short


def reference_quantize(array: np.ndarray) -> tuple[bytes, list[float], list[float]]:
    """uint8 codes of array with one [lo, hi] range per map, one map at a time (the per-map algorithm)."""
    maps = array.reshape(array.shape[0], -1) if array.ndim >= 2 else array.reshape(1, -1)
    lo, hi = maps.min(axis=1, keepdims=True), maps.max(axis=1, keepdims=True)
    span = np.where(hi > lo, hi - lo, 1)
    codes = np.rint((maps - lo) / span * U8_LEVELS).astype(np.uint8)
    return codes.tobytes(), reference_short(lo), reference_short(hi)


def reference_short(values: np.ndarray) -> list[float]:
    """Each value formatted to 7 significant digits and read back, one by one."""
    return [float(f"{v:.7g}") for v in values.ravel()]


def reference_pack(header: dict, arrays: dict[str, np.ndarray], u8: frozenset[str] = frozenset()) -> bytes:
    """The frame packed one array at a time."""
    entries, chunks, offset = [], [], 0
    for name, array in arrays.items():
        array = np.asarray(array, dtype=np.float32)
        entry = {"name": name, "shape": list(array.shape), "offset": offset}
        if name in u8:
            data, lo, hi = reference_quantize(array)
            entry |= {"dtype": "u8", "lo": lo, "hi": hi}
        else:
            data = array.astype("<f4").tobytes()
            entry["dtype"] = "f32"
        data += b"\0" * (-len(data) % 4)
        entries.append(entry)
        chunks.append(data)
        offset += len(data)
    text = to_json({**header, "arrays": entries})
    text += b" " * (-(4 + len(text)) % 4)
    return struct.pack("<I", len(text)) + text + b"".join(chunks)


SHAPES = [(), (1,), (7,), (10,), (120,), (3, 5), (1, 28, 28), (6, 14, 14), (16, 5, 5), (4, 3, 2, 2), (2, 1)]


def random_array(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values of one of several kinds: signed, ReLU-like with ±0, large, tiny, constant maps, integer levels."""
    kind = rng.integers(7)
    size = int(np.prod(shape))
    if kind == 0:
        values = rng.standard_normal(size) * 10.0 ** rng.integers(-8, 9)
    elif kind == 1:  # ReLU outputs and their gradients: zeros of both signs beside positives
        values = np.maximum(rng.standard_normal(size), 0) * rng.choice([1.0, -1.0], size)
    elif kind == 2:
        values = rng.uniform(-1e37, 1e37, size)
    elif kind == 3:
        values = rng.uniform(-1e-30, 1e-30, size)
    elif kind == 4:  # every map constant (hi == lo)
        maps = shape[0] if len(shape) >= 2 else 1
        values = np.repeat(rng.standard_normal(maps), size // maps)
    elif kind == 5:
        values = rng.integers(0, 256, size).astype(np.float64)
    else:
        values = rng.uniform(-3.4e38, 3.4e38, size)  # spans overflow float32: the codes are whatever float32 gives
    return values.astype(np.float32).reshape(shape)


def test_frames_are_byte_for_byte_those_of_the_per_map_algorithm():
    rng = np.random.default_rng(18)
    for trial in range(400):
        arrays: dict[str, np.ndarray] = {}
        for i in range(int(rng.integers(0, 9))):
            shape = SHAPES[rng.integers(len(SHAPES))]
            arrays[f"a{i}"] = random_array(rng, shape)
        if rng.random() < 0.3:
            arrays["empty_f32"] = np.zeros((0, 3), np.float32)
        if rng.random() < 0.3:
            arrays["float64_transposed"] = rng.standard_normal((5, 8)).T  # a view, as model_frame's dense weights
        u8 = frozenset(name for name, array in arrays.items() if array.size and rng.random() < 0.7)
        header = {"type": "test", "trial": trial, "value": float(rng.standard_normal())}
        with np.errstate(over="ignore", invalid="ignore"):
            expected, packed = reference_pack(header, arrays, u8), pack_frame(header, arrays, u8)
        assert packed == expected, f"trial {trial}: {sorted(u8)} of {[(n, a.shape) for n, a in arrays.items()]}"


def test_the_prediction_frames_of_drawings_are_byte_for_byte_those_of_the_per_map_algorithm(monkeypatch):
    session = LeNetSession(load_lenet5()[0])
    rng = np.random.default_rng(7)
    for trial in range(12):
        canvas = np.zeros((140, 140), np.uint8)
        top, left = rng.integers(0, 90, 2)
        canvas[top : top + 40, left : left + 8] = 255
        canvas[top : top + 8, left : left + rng.integers(10, 50)] = rng.integers(60, 256)
        prepared = prepare(canvas)
        reading = read(session.model, prepared.image, explain=bool(trial % 2))  # gradients hold zeros of both signs
        frame = prediction_frame(prepared, reading, {"seq": trial})
        with monkeypatch.context() as patch:
            patch.setattr(lenet_service, "pack_frames", lambda frames: [reference_pack(*frame) for frame in frames])
            assert frame == prediction_frame(prepared, reading, {"seq": trial})


def test_frames_packed_together_are_byte_for_byte_those_packed_one_by_one():
    rng = np.random.default_rng(81)
    for trial in range(100):
        frames = []
        for f in range(int(rng.integers(1, 6))):
            arrays = {f"a{i}": random_array(rng, SHAPES[rng.integers(len(SHAPES))]) for i in range(rng.integers(0, 5))}
            u8 = frozenset(name for name in arrays if rng.random() < 0.7)
            frames.append(({"type": "test", "trial": trial, "frame": f}, arrays, u8))
        with np.errstate(over="ignore", invalid="ignore"):
            together, alone = pack_frames(frames), [pack_frame(*frame) for frame in frames]
            reference = [reference_pack(*frame) for frame in frames]
        assert together == alone == reference, f"trial {trial}"


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 4)])
def test_an_empty_array_cannot_be_quantized_as_before(shape):
    array = np.zeros(shape, np.float32)
    with pytest.raises(ValueError):
        reference_pack({}, {"x": array}, frozenset({"x"}))
    with pytest.raises(ValueError):
        pack_frame({}, {"x": array}, frozenset({"x"}))


def test_seven_digit_ranges_are_pythons_own_rounding():
    rng = np.random.default_rng(3)
    every_kind = rng.integers(0, 2**32, 200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)  # any bits
    powers = np.array([10.0**k for k in range(-45, 39)], np.float32)
    near_powers = [powers]
    for step in (np.inf, -np.inf, 0):
        for _ in range(3):
            near_powers.append(np.nextafter(near_powers[-1], np.float32(step)))
    ties = np.array([1234567.5, 1234568.5, 0.125, 0.5, 9999999.5, 2.5e-10, 12345678, 0.0, -0.0], np.float32)
    special = np.array([np.inf, -np.inf, np.nan, 1e-45, -3.4028235e38], np.float32)
    values = np.concatenate([every_kind, *near_powers, -powers, ties, -ties, special])
    with np.errstate(invalid="ignore"):  # random bits hold signalling NaNs
        assert [repr(v) for v in short(values)] == [repr(v) for v in reference_short(values)]
    scales = 10.0 ** rng.integers(-20, 20, 10_000)
    near_ties = (rng.integers(10**6, 10**7, 10_000) + 0.5) / scales  # a hair off a tie in binary
    doubles = np.concatenate([rng.standard_normal(10_000) * scales, near_ties, -near_ties])
    assert short(doubles) == reference_short(doubles)
