"""Binary websocket frames: a small JSON header, then the arrays it describes, little-endian.

Layout: a uint32 header length, the compact UTF-8 JSON header (padded with spaces so the payload starts on a 4-byte
boundary), then each array's bytes. Arrays travel as float32 ("f32") or, for pictures such as feature maps,
as uint8 with a linear scale per map ("u8": value = lo + q / 255 · (hi − lo), one lo/hi per map along the first
axis). static/js/lib/frames.js reads them. Measured for LeNet's activations: about 9 KB per update as u8
against about 150 KB as JSON numbers.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np
from pydantic_core import to_json

from app.wire.protocol import Problem, strict_json

U8_LEVELS = 255
MAX_DIMENSIONS = 8  # most axes of an array a client may send
ENTRY_KEYS = {"f32": {"name", "shape", "offset", "dtype"}, "u8": {"name", "shape", "offset", "dtype", "lo", "hi"}}
ITEM_BYTES = {"f32": 4, "u8": 1}
EXACT_POWERS = np.array([float(10**i) for i in range(23)])  # 10⁰…10²²: the powers of ten float64 holds exactly


def quantize(arrays: list[np.ndarray]) -> list[tuple[bytes, list[float], list[float]]]:
    """Each float32 array as uint8 codes with one [lo, hi] range per map (per first-axis slice when ndim ≥ 2).

    All the arrays' maps are quantized together, flat, in a handful of NumPy calls (a frame of LeNet's stages
    has 48 maps: per-map calls cost more than the arithmetic); every value goes through the same float32
    operations as one map at a time would, so the codes are the same. An empty array has no range: ValueError.
    """
    if any(array.size == 0 for array in arrays):
        raise ValueError("an empty array has no range to quantize")
    if not arrays:
        return []
    counts = [array.shape[0] if array.ndim >= 2 else 1 for array in arrays]  # maps per array
    sizes = np.repeat([array.size // count for array, count in zip(arrays, counts, strict=True)], counts)
    flat = np.concatenate([array.ravel() for array in arrays])
    starts = np.cumsum(sizes) - sizes  # where each map begins in flat
    lo, hi = np.minimum.reduceat(flat, starts), np.maximum.reduceat(flat, starts)
    span = np.where(hi > lo, hi - lo, 1)
    codes = np.rint((flat - np.repeat(lo, sizes)) / np.repeat(span, sizes) * U8_LEVELS).astype(np.uint8).tobytes()
    ranges, maps = short(np.concatenate([lo, hi])), len(lo)  # every lo, then every hi
    result, value, map_ = [], 0, 0
    for array, count in zip(arrays, counts, strict=True):
        lows, highs = ranges[map_ : map_ + count], ranges[maps + map_ : maps + map_ + count]
        result.append((codes[value : value + array.size], lows, highs))
        value, map_ = value + array.size, map_ + count
    return result


def short(values: np.ndarray) -> list[float]:
    """Values to 7 significant digits, as float(f"{v:.7g}") reads them: all float32 holds, and a third of the JSON
    of 17-digit floats.

    In bulk: each value times a power of ten that leaves 7 digits before the point, rounded to a whole number and
    divided back, which is Python's own result (each step one rounding of exact operands) when that power is exact
    in float64 and the scaled value is clearly off a tie; the rest (near-ties, values from 10⁷ up or below 10⁻¹⁵,
    NaN, inf) are formatted one by one.
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):  # log10(0) is −inf, inf − inf NaN: both left to Python
        shift = 6 - np.floor(np.log10(np.abs(x)))  # decimal places leaving 7 digits before the point (inf for 0)
        exponent = np.fmin(np.fmax(shift, 0), len(EXACT_POWERS) - 1)  # NaN to 0
        power = EXACT_POWERS[exponent.astype(np.intp)]
        scaled = x * power
        digits = np.rint(scaled)
        magnitude = np.abs(scaled)
        bulk = (shift == exponent) & (magnitude >= 1e6) & (magnitude < 1e7) & (np.abs(scaled - digits) < 0.499999)
    rounded = digits / power  # ±0 stays ±0
    for i in np.flatnonzero(~bulk & (x != 0)):
        rounded[i] = float(f"{x[i]:.7g}")
    return rounded.tolist()


def pack_frame(header: dict, arrays: dict[str, np.ndarray], u8: frozenset[str] = frozenset()) -> bytes:
    """One binary frame: header fields plus an "arrays" list describing each array; names in u8 are quantized."""
    return pack_frames([(header, arrays, u8)])[0]


def pack_frames(frames: list[tuple[dict, dict[str, np.ndarray], frozenset[str]]]) -> list[bytes]:
    """Several binary frames (header, arrays, names to quantize) at once: all their u8 maps quantized together,
    as many drawings answered in one round cost about one frame's NumPy calls."""
    floats = [{name: np.asarray(array, dtype=np.float32) for name, array in arrays.items()} for _, arrays, _ in frames]
    names = [[name for name in arrays if name in u8] for arrays, (_, _, u8) in zip(floats, frames, strict=True)]
    codes = iter(quantize([arrays[name] for arrays, some in zip(floats, names, strict=True) for name in some]))
    quantized = [{name: next(codes) for name in some} for some in names]
    return [
        frame_bytes(header, arrays, done)
        for (header, _, _), arrays, done in zip(frames, floats, quantized, strict=True)
    ]


def frame_bytes(
    header: dict, arrays: dict[str, np.ndarray], quantized: dict[str, tuple[bytes, list[float], list[float]]]
) -> bytes:
    """One frame's bytes: the arrays in quantized as their u8 codes and ranges, the others as float32."""
    entries, chunks, offset = [], [], 0
    for name, array in arrays.items():
        entry = {"name": name, "shape": list(array.shape), "offset": offset}
        if name in quantized:
            data, lo, hi = quantized[name]
            entry |= {"dtype": "u8", "lo": lo, "hi": hi}
        else:
            data = array.astype("<f4").tobytes()
            entry["dtype"] = "f32"
        data += b"\0" * (-len(data) % 4)
        entries.append(entry)
        chunks.append(data)
        offset += len(data)
    text = to_json({**header, "arrays": entries})  # compact UTF-8 JSON, about 9× faster than json.dumps here
    text += b" " * (-(4 + len(text)) % 4)
    return struct.pack("<I", len(text)) + text + b"".join(chunks)


def read_frame(frame: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and the arrays of a binary frame a client sent, checked as strictly as a JSON message: the
    header is strict JSON (no NaN, no overflowing numbers), every array entry has exactly its fields with the
    right types, its shape fits inside the payload (sizes computed in Python integers, so no shape overflows),
    and every value is finite. Anything else is a Problem: `bad_message`, `bad_shape` or `bad_value`."""
    if len(frame) < 4:
        raise Problem("bad_message", f"a binary frame starts with a 4-byte header length; got {len(frame)} bytes")
    (length,) = struct.unpack_from("<I", frame)
    if length > len(frame) - 4:
        raise Problem("bad_message", f"header length {length} is past the end of the {len(frame)}-byte frame")
    try:
        header = strict_json(bytes(frame[4 : 4 + length]))
    except Problem as problem:  # an unreadable header makes an unreadable frame; NaN stays bad_value
        raise Problem("bad_message" if problem.code == "bad_json" else problem.code, f"header: {problem}") from None
    if not isinstance(header, dict):
        raise Problem("bad_message", "a binary frame's header must be a JSON object")
    entries = header.get("arrays")
    if not isinstance(entries, list):
        raise Problem("bad_message", "a binary frame's header must list its arrays in `arrays`")
    payload = memoryview(frame)[4 + length :]
    arrays: dict[str, np.ndarray] = {}
    for index, entry in enumerate(entries):
        name, array = read_array(entry, index, payload)
        if name in arrays or name in header:
            raise Problem("bad_message", f"arrays[{index}]: the name {name!r} is used twice")
        arrays[name] = array
    return header, arrays


def read_array(entry: object, index: int, payload: memoryview) -> tuple[str, np.ndarray]:
    """One entry of a client's `arrays` list and the array it describes, or a Problem saying what is wrong.

    A u8 array whose single range is 0..255 is its codes themselves: returned as uint8, read in place, with no
    float pass over the pixels (what every drawing from the page is); any other array is float32."""
    where = f"arrays[{index}]"
    if not isinstance(entry, dict):
        raise Problem("bad_message", f"{where} must be an object with name, shape, offset and dtype")
    dtype = entry.get("dtype")
    if dtype not in ENTRY_KEYS:
        raise Problem("bad_message", f"{where}.dtype must be 'f32' or 'u8'")
    if set(entry) != ENTRY_KEYS[dtype]:
        raise Problem("bad_message", f"{where} of dtype {dtype} has exactly the fields {sorted(ENTRY_KEYS[dtype])}")
    name, shape, offset = entry["name"], entry["shape"], entry["offset"]
    if not isinstance(name, str) or not name or len(name) > 64:
        raise Problem("bad_message", f"{where}.name must be a short non-empty string")
    if not isinstance(shape, list) or not all(is_int(side) for side in shape):
        raise Problem("bad_message", f"{where}.shape must be a list of whole numbers")
    if len(shape) > MAX_DIMENSIONS or any(side < 0 for side in shape):
        raise Problem("bad_shape", f"{where}.shape must have at most {MAX_DIMENSIONS} sides, none negative")
    if not is_int(offset) or offset < 0 or offset % 4:
        raise Problem("bad_message", f"{where}.offset must be a non-negative multiple of 4")
    size = math.prod(shape)  # Python integers: an absurd shape is just a large number, checked next
    end = offset + size * ITEM_BYTES[dtype]
    if end > len(payload):
        raise Problem("bad_shape", f"{where} of shape {shape} needs {end} payload bytes; the frame has {len(payload)}")
    if dtype == "u8":  # one lo/hi for the whole array (as the browser sends a canvas), or one per map
        per_map = shape[0] if len(shape) >= 2 else 1
        maps = 1 if isinstance(entry["lo"], list) and len(entry["lo"]) == 1 else per_map
        lo, hi = numbers(entry["lo"], f"{where}.lo", maps), numbers(entry["hi"], f"{where}.hi", maps)
    if size == 0:
        return name, np.zeros(shape, np.float32)
    if dtype == "f32":
        array = np.frombuffer(payload, "<f4", size, offset).reshape(shape)
        if not np.isfinite(array).all():
            raise Problem("bad_value", f"{where} holds NaN or infinite values, which this server does not accept")
        return name, array
    if maps == 1 and lo[0] == 0 and hi[0] == U8_LEVELS:  # the codes are the values (a browser's canvas)
        return name, np.frombuffer(payload, np.uint8, size, offset).reshape(shape)
    codes = np.frombuffer(payload, np.uint8, size, offset).astype(np.float32).reshape(maps, -1)
    low, high = np.array(lo)[:, None], np.array(hi)[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        values = (low + codes / U8_LEVELS * (high - low)).astype(np.float32)
    if not np.isfinite(values).all():
        raise Problem("bad_value", f"{where}: lo and hi give values too large for a float32")
    return name, values.reshape(shape)


def is_int(value: object) -> bool:
    """A JSON whole number (a bool is an int to Python, not to JSON)."""
    return isinstance(value, int) and not isinstance(value, bool)


def numbers(value: object, where: str, count: int) -> list[float]:
    """A list of count finite numbers, as floats (checked in Python: a browser's canvas has one lo and one hi)."""
    if not isinstance(value, list) or len(value) != count:
        raise Problem("bad_shape", f"{where} must list one number, or {count}: one per map")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise Problem("bad_message", f"{where} must hold numbers only")
    try:
        result = [float(v) for v in value]
    except OverflowError:
        raise Problem("bad_value", f"{where} holds a number too large for a float") from None
    if not all(map(math.isfinite, result)):
        raise Problem("bad_value", f"{where} holds a number too large for a float")
    return result


def unpack_frame(frame: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and the arrays of a binary frame the server made (what the browser does, for tests and
    scripts); a client's frames are read by read_frame."""
    (length,) = struct.unpack_from("<I", frame)
    header = json.loads(frame[4 : 4 + length])
    payload = frame[4 + length :]
    arrays = {}
    for entry in header["arrays"]:
        size = int(np.prod(entry["shape"]))
        if entry["dtype"] == "u8":
            codes = np.frombuffer(payload, np.uint8, size, entry["offset"]).astype(np.float32)
            maps = codes.reshape(len(entry["lo"]), -1)
            lo, hi = np.array(entry["lo"])[:, None], np.array(entry["hi"])[:, None]
            arrays[entry["name"]] = (lo + maps / U8_LEVELS * (hi - lo)).reshape(entry["shape"])
        else:
            arrays[entry["name"]] = np.frombuffer(payload, "<f4", size, entry["offset"]).reshape(entry["shape"])
    return header, arrays
