"""The IDX format of MNIST: a big-endian header (magic number, dimensions), then the raw bytes; gzipped or not."""

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from app.data.errors import DataError

UBYTE = 0x08  # IDX type code of unsigned bytes, the only type MNIST uses
GZIP_MAGIC = b"\x1f\x8b"


def magic_number(ndim: int) -> int:
    """Magic number of an IDX file of unsigned bytes with `ndim` dimensions: 0x00000801 labels, 0x00000803 images."""
    return UBYTE << 8 | ndim


def decompress(raw: bytes, source: str) -> bytes:
    """`raw` decompressed when gzipped, told by its first bytes (browsers may unzip a `.gz` and keep the name)."""
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError as exc:
        raise DataError(f"{source}: truncated gzip stream") from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{source}: corrupt gzip data ({exc})") from exc


def read_content(path: Path) -> bytes:
    """The IDX bytes of the file at `path`, decompressed when gzipped."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror})") from exc
    return decompress(raw, str(path))


def _shape_text(shape: tuple[int, ...]) -> str:
    """A shape as people write it: 60000×28×28."""
    return "×".join(map(str, shape))


def parse_idx(content: bytes, source: str, ndim: int | None = None) -> np.ndarray:
    """The uint8 array held by IDX `content`, a read-only view without a copy; `ndim` is the expected one, if any."""
    if len(content) < 4:
        raise DataError(f"{source}: truncated: {len(content)} bytes, less than the 4-byte magic number")
    (magic,) = struct.unpack(">I", content[:4])
    dims = magic & 0xFF
    if magic >> 8 != UBYTE or dims == 0 or (ndim is not None and dims != ndim):
        expected = f"0x{magic_number(ndim):08x}" if ndim is not None else "0x0000080N (unsigned bytes, N dimensions)"
        raise DataError(f"{source}: wrong magic number 0x{magic:08x}, expected {expected}")
    header = 4 + 4 * dims
    if len(content) < header:
        raise DataError(f"{source}: truncated: {len(content)} bytes, less than its {header}-byte header")
    shape = struct.unpack(f">{dims}I", content[4:header])
    size, data = math.prod(shape), len(content) - header
    if data < size:
        raise DataError(f"{source}: truncated: {data} bytes of data, {size} expected for {_shape_text(shape)}")
    if data > size:
        raise DataError(f"{source}: {data - size} extra byte(s) after the {_shape_text(shape)} data")
    return np.frombuffer(content, dtype=np.uint8, count=size, offset=header).reshape(shape)


def read_idx(path: str | os.PathLike[str], ndim: int | None = None) -> np.ndarray:
    """The uint8 array in the IDX file at `path` (gzipped or not); a DataError naming the file if it is corrupt."""
    path = Path(path)
    return parse_idx(read_content(path), str(path), ndim)


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of a uint8 array: magic number, each dimension as a big-endian uint32, then the data."""
    if array.dtype != np.uint8 or not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX: only uint8 arrays of 1 to 255 dimensions, got {array.dtype} with {array.ndim}")
    return struct.pack(f">{1 + array.ndim}I", magic_number(array.ndim), *array.shape) + array.tobytes()


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file, gzipped when `path` ends in `.gz`."""
    path = Path(path)
    content = encode_idx(array)
    path.write_bytes(gzip.compress(content, mtime=0) if path.suffix == ".gz" else content)
