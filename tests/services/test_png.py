"""The PNG decoder: every colour type, bit depth and row filter round-trips exactly; corrupt files are refused."""

import struct
import zlib

import numpy as np
import pytest

from app.services.png import SIGNATURE, PngError, PngTooLarge, decode_png

LIMIT = 1_000_000


def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk with its length and CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def filter_row(kind: int, row: bytes, prior: bytes, unit: int) -> bytes:
    """Apply PNG filter `kind` to one row, byte by byte, the way the specification writes it."""
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - unit] if i >= unit else 0
        b = prior[i]
        c = prior[i - unit] if i >= unit else 0
        if kind == 0:
            predicted = 0
        elif kind == 1:
            predicted = a
        elif kind == 2:
            predicted = b
        elif kind == 3:
            predicted = (a + b) // 2
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            predicted = a if pa <= pb and pa <= pc else b if pb <= pc else c
        out.append((x - predicted) % 256)
    return bytes(out)


def encode_png(
    rows: list[bytes], width: int, depth: int, colour: int, filters: list[int], unit: int, extra: bytes = b""
) -> bytes:
    """A PNG of already packed rows, each filtered with its own filter type; `extra` chunks go before IDAT."""
    prior = bytes(len(rows[0]))
    raw = bytearray()
    for row, kind in zip(rows, filters, strict=True):
        raw += bytes([kind]) + filter_row(kind, row, prior, unit)
        prior = row
    header = struct.pack(">IIBBBBB", width, len(rows), depth, colour, 0, 0, 0)
    return SIGNATURE + chunk(b"IHDR", header) + extra + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")


def png_of(pixels: np.ndarray, colour: int, filters: list[int] | None = None, extra: bytes = b"") -> bytes:
    """An 8-bit PNG of (H, W[, C]) uint8 pixels, with the given filter per row (default: all five in turn)."""
    h, w = pixels.shape[:2]
    unit = 1 if pixels.ndim == 2 else pixels.shape[2]
    rows = [pixels[i].tobytes() for i in range(h)]
    return encode_png(rows, w, 8, colour, filters or [i % 5 for i in range(h)], unit, extra)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4], ids=["none", "sub", "up", "average", "paeth"])
def test_each_filter_type_round_trips_rgba_exactly(rng: np.random.Generator, kind: int) -> None:
    pixels = rng.integers(0, 256, (9, 13, 4), dtype=np.uint8)
    np.testing.assert_array_equal(decode_png(png_of(pixels, 6, [kind] * 9), LIMIT), pixels)


def test_mixed_filters_round_trip_on_a_tall_and_a_wide_image(rng: np.random.Generator) -> None:
    for shape in [(40, 3, 3), (3, 40, 3)]:
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        filters = list(rng.integers(0, 5, shape[0]))
        np.testing.assert_array_equal(decode_png(png_of(pixels, 2, filters), LIMIT), pixels)


def test_grey_comes_back_two_dimensional(rng: np.random.Generator) -> None:
    pixels = rng.integers(0, 256, (7, 5), dtype=np.uint8)
    decoded = decode_png(png_of(pixels, 0), LIMIT)
    assert decoded.shape == (7, 5)
    np.testing.assert_array_equal(decoded, pixels)


def test_grey_with_alpha_becomes_rgba(rng: np.random.Generator) -> None:
    pixels = rng.integers(0, 256, (6, 4, 2), dtype=np.uint8)
    decoded = decode_png(png_of(pixels, 4), LIMIT)
    np.testing.assert_array_equal(decoded[..., :3], np.repeat(pixels[..., :1], 3, axis=2))
    np.testing.assert_array_equal(decoded[..., 3], pixels[..., 1])


def test_sixteen_bit_samples_keep_their_high_byte(rng: np.random.Generator) -> None:
    values = rng.integers(0, 65536, (5, 6, 3), dtype=np.uint16)
    rows = [values[i].astype(">u2").tobytes() for i in range(5)]
    decoded = decode_png(encode_png(rows, 6, 16, 2, [4, 3, 2, 1, 0], 6), LIMIT)
    np.testing.assert_array_equal(decoded, (values >> 8).astype(np.uint8))


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_low_bit_grey_is_unpacked_and_stretched_to_255(rng: np.random.Generator, depth: int) -> None:
    levels = rng.integers(0, 2**depth, (4, 11), dtype=np.uint8)
    per_byte = 8 // depth
    padded = np.zeros((4, -(-11 // per_byte) * per_byte), np.uint8)
    padded[:, :11] = levels
    shifts = np.arange(per_byte - 1, -1, -1) * depth
    rows = [(padded[i].reshape(-1, per_byte) << shifts).sum(axis=1).astype(np.uint8).tobytes() for i in range(4)]
    decoded = decode_png(encode_png(rows, 11, depth, 0, [1, 2, 3, 4], 1), LIMIT)
    np.testing.assert_array_equal(decoded, levels * (255 // (2**depth - 1)))


def test_palette_with_transparency_becomes_rgba() -> None:
    indices = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    palette = bytes([255, 255, 255, 0, 0, 0, 10, 20, 30])
    extra = chunk(b"PLTE", palette) + chunk(b"tRNS", bytes([0, 255]))
    decoded = decode_png(png_of(indices, 3, extra=extra), LIMIT)
    expected = np.array([[255, 255, 255, 0], [0, 0, 0, 255], [10, 20, 30, 255]], np.uint8)[indices]
    np.testing.assert_array_equal(decoded, expected)


def test_palette_without_transparency_becomes_rgb() -> None:
    indices = np.array([[1, 0]], np.uint8)
    decoded = decode_png(png_of(indices, 3, extra=chunk(b"PLTE", bytes([1, 2, 3, 4, 5, 6]))), LIMIT)
    np.testing.assert_array_equal(decoded, [[[4, 5, 6], [1, 2, 3]]])


def raw_png(width: int, height: int, depth: int = 8, colour: int = 0, interlace: int = 0, idat: bytes | None = b"",
            extra: bytes = b"") -> bytes:
    """A PNG from its parts, however wrong: the header fields, the IDAT chunk's bytes (None: no IDAT) and extras."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    image = b"" if idat is None else chunk(b"IDAT", idat)
    return SIGNATURE + chunk(b"IHDR", header) + extra + image + chunk(b"IEND", b"")


GOOD = png_of(np.arange(12, dtype=np.uint8).reshape(3, 4), 0)
WIDTH_BYTE = len(SIGNATURE) + 8 + 3  # the low byte of the width in IHDR


@pytest.mark.parametrize(
    "data, words",
    [
        (b"GIF89a" + GOOD[6:], "not a PNG"),
        (GOOD[:-20], "truncated"),
        (GOOD[:WIDTH_BYTE] + b"\5" + GOOD[WIDTH_BYTE + 1 :], "CRC"),
        (raw_png(2, 2, interlace=1, idat=zlib.compress(bytes(6))), "interlaced"),
        (raw_png(2, 2, idat=None), "no image data"),
        (raw_png(2, 2, depth=3), "bit depth 3"),
        (raw_png(2, 2, extra=chunk(b"ZZZZ", b"")), "unknown critical chunk"),
        (raw_png(2, 2, idat=zlib.compress(bytes(3))), "ends after 3 of the 6 bytes"),
        (raw_png(1, 1, idat=zlib.compress(bytes(100_000))), "more than the 2 bytes"),
        (raw_png(2, 1, idat=zlib.compress(b"\7\0\0")), "filter type 7"),
        (raw_png(2, 1, idat=b"not zlib at all"), "does not decompress"),
        (raw_png(2, 1, idat=zlib.compress(bytes(3))[:-4]), "cut short"),
        (png_of(np.array([[0, 5]], np.uint8), 3, extra=chunk(b"PLTE", bytes(6))), "palette entry 5"),
    ],
    ids=["signature", "truncated", "crc", "interlaced", "no-idat", "bad-depth", "critical-chunk", "short-data",
         "bomb", "bad-filter", "bad-zlib", "no-zlib-end", "palette-index"],
)
def test_corrupt_or_unsupported_files_are_refused_with_a_reason(data: bytes, words: str) -> None:
    with pytest.raises(PngError, match=words):
        decode_png(data, LIMIT)


def test_too_many_pixels_are_refused_before_inflating() -> None:
    with pytest.raises(PngTooLarge, match="10000000000 pixels, over the limit of 1000000"):
        decode_png(raw_png(100_000, 100_000, colour=6), LIMIT)
