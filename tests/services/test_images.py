"""Decoding uploads with Pillow: every PNG colour type, bit depth, row filter and interlacing round-trips exactly,
JPEG and WebP decode, corrupt files and images over the limits are refused with a reason; gallery PNGs encode."""

import io
import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from app.services.images import ImageError, ImageTooLarge, decode_image, encode_png

SIGNATURE = b"\x89PNG\r\n\x1a\n"
LIMIT = 1_000_000
SIDE = 4096
ADAM7 = [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1)]


def decode(data: bytes) -> np.ndarray:
    """The upload decoded under the test limits."""
    return decode_image(data, LIMIT, SIDE)


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


def filtered(rows: list[bytes], filters: list[int], unit: int) -> bytes:
    """The rows each with its filter byte and filtered as it says (the first row's prior row is zeros)."""
    prior = bytes(len(rows[0]))
    raw = bytearray()
    for row, kind in zip(rows, filters, strict=True):
        raw += bytes([kind]) + filter_row(kind, row, prior, unit)
        prior = row
    return bytes(raw)


def png_from_rows(
    rows: list[bytes], width: int, depth: int, colour: int, filters: list[int], unit: int, extra: bytes = b""
) -> bytes:
    """A PNG of already packed rows, each filtered with its own filter type; `extra` chunks go before IDAT."""
    header = struct.pack(">IIBBBBB", width, len(rows), depth, colour, 0, 0, 0)
    image = zlib.compress(filtered(rows, filters, unit))
    return SIGNATURE + chunk(b"IHDR", header) + extra + chunk(b"IDAT", image) + chunk(b"IEND", b"")


def png_of(pixels: np.ndarray, colour: int, filters: list[int] | None = None, extra: bytes = b"") -> bytes:
    """An 8-bit PNG of (H, W[, C]) uint8 pixels, with the given filter per row (default: all five in turn)."""
    h, w = pixels.shape[:2]
    unit = 1 if pixels.ndim == 2 else pixels.shape[2]
    rows = [pixels[i].tobytes() for i in range(h)]
    return png_from_rows(rows, w, 8, colour, filters or [i % 5 for i in range(h)], unit, extra)


def interlaced_png_of(pixels: np.ndarray, colour: int) -> bytes:
    """An 8-bit Adam7-interlaced PNG: the seven passes' reduced images one after the other, rows filtered Paeth."""
    h, w = pixels.shape[:2]
    unit = 1 if pixels.ndim == 2 else pixels.shape[2]
    raw = b""
    for row0, col0, row_step, col_step in ADAM7:
        reduced = pixels[row0::row_step, col0::col_step]
        if reduced.size:
            rows = [reduced[i].tobytes() for i in range(reduced.shape[0])]
            raw += filtered(rows, [4] * len(rows), unit)
    header = struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 1)
    return SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def saved(image: Image.Image, kind: str, **options: object) -> bytes:
    """An image as Pillow writes it in format `kind` (JPEG, WEBP …)."""
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4], ids=["none", "sub", "up", "average", "paeth"])
def test_each_filter_type_round_trips_rgba_exactly(rng: np.random.Generator, kind: int) -> None:
    pixels = rng.integers(0, 256, (9, 13, 4), dtype=np.uint8)
    np.testing.assert_array_equal(decode(png_of(pixels, 6, [kind] * 9)), pixels)


def test_mixed_filters_round_trip_on_a_tall_and_a_wide_image(rng: np.random.Generator) -> None:
    for shape in [(40, 3, 3), (3, 40, 3)]:
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        filters = list(rng.integers(0, 5, shape[0]))
        np.testing.assert_array_equal(decode(png_of(pixels, 2, filters)), pixels)


def test_grey_comes_back_two_dimensional(rng: np.random.Generator) -> None:
    pixels = rng.integers(0, 256, (7, 5), dtype=np.uint8)
    decoded = decode(png_of(pixels, 0))
    assert decoded.shape == (7, 5)
    np.testing.assert_array_equal(decoded, pixels)


def test_grey_with_alpha_becomes_rgba(rng: np.random.Generator) -> None:
    pixels = rng.integers(0, 256, (6, 4, 2), dtype=np.uint8)
    decoded = decode(png_of(pixels, 4))
    np.testing.assert_array_equal(decoded[..., :3], np.repeat(pixels[..., :1], 3, axis=2))
    np.testing.assert_array_equal(decoded[..., 3], pixels[..., 1])


def test_sixteen_bit_samples_keep_their_high_byte(rng: np.random.Generator) -> None:
    values = rng.integers(0, 65536, (5, 6, 3), dtype=np.uint16)
    rows = [values[i].astype(">u2").tobytes() for i in range(5)]
    decoded = decode(png_from_rows(rows, 6, 16, 2, [4, 3, 2, 1, 0], 6))
    np.testing.assert_array_equal(decoded, (values >> 8).astype(np.uint8))


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_low_bit_grey_is_unpacked_and_stretched_to_255(rng: np.random.Generator, depth: int) -> None:
    levels = rng.integers(0, 2**depth, (4, 11), dtype=np.uint8)
    per_byte = 8 // depth
    padded = np.zeros((4, -(-11 // per_byte) * per_byte), np.uint8)
    padded[:, :11] = levels
    shifts = np.arange(per_byte - 1, -1, -1) * depth
    rows = [(padded[i].reshape(-1, per_byte) << shifts).sum(axis=1).astype(np.uint8).tobytes() for i in range(4)]
    decoded = decode(png_from_rows(rows, 11, depth, 0, [1, 2, 3, 4], 1))
    np.testing.assert_array_equal(decoded, levels * (255 // (2**depth - 1)))


def test_palette_with_transparency_becomes_rgba() -> None:
    indices = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    palette = bytes([255, 255, 255, 0, 0, 0, 10, 20, 30])
    extra = chunk(b"PLTE", palette) + chunk(b"tRNS", bytes([0, 255]))
    decoded = decode(png_of(indices, 3, extra=extra))
    expected = np.array([[255, 255, 255, 0], [0, 0, 0, 255], [10, 20, 30, 255]], np.uint8)[indices]
    np.testing.assert_array_equal(decoded, expected)


def test_palette_without_transparency_becomes_rgb() -> None:
    indices = np.array([[1, 0]], np.uint8)
    decoded = decode(png_of(indices, 3, extra=chunk(b"PLTE", bytes([1, 2, 3, 4, 5, 6]))))
    np.testing.assert_array_equal(decoded, [[[4, 5, 6], [1, 2, 3]]])


def test_sixteen_bit_grey_keeps_its_high_byte(rng: np.random.Generator) -> None:
    values = rng.integers(0, 65536, (4, 7), dtype=np.uint16)
    rows = [values[i].astype(">u2").tobytes() for i in range(4)]
    decoded = decode(png_from_rows(rows, 7, 16, 0, [0, 1, 2, 4], 2))
    np.testing.assert_array_equal(decoded, (values >> 8).astype(np.uint8))


def test_sixteen_bit_grey_with_alpha_becomes_rgba_of_the_high_bytes(rng: np.random.Generator) -> None:
    values = rng.integers(0, 65536, (3, 5, 2), dtype=np.uint16)
    rows = [values[i].astype(">u2").tobytes() for i in range(3)]
    decoded = decode(png_from_rows(rows, 5, 16, 4, [0, 3, 4], 4))
    high = (values >> 8).astype(np.uint8)
    np.testing.assert_array_equal(decoded, np.stack([high[..., 0]] * 3 + [high[..., 1]], axis=-1))


@pytest.mark.parametrize(
    "shape, colour",
    [((13, 11, 3), 2), ((9, 17), 0), ((8, 8, 4), 6), ((1, 3, 3), 2)],
    ids=["rgb", "grey", "rgba", "one-row"],
)
def test_interlaced_pngs_round_trip_exactly(rng: np.random.Generator, shape: tuple[int, ...], colour: int) -> None:
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    np.testing.assert_array_equal(decode(interlaced_png_of(pixels, colour)), pixels)


def test_a_jpeg_decodes_to_rgb_near_its_pixels_and_a_grey_jpeg_to_grey() -> None:
    ramp = np.linspace(0, 255, 48 * 64).reshape(48, 64).astype(np.uint8)
    colour = np.stack([ramp, ramp[::-1], np.full_like(ramp, 90)], axis=-1)
    decoded = decode(saved(Image.fromarray(colour), "JPEG", quality=95))
    assert decoded.shape == (48, 64, 3) and decoded.dtype == np.uint8
    assert np.abs(decoded.astype(int) - colour).mean() < 3
    grey = decode(saved(Image.fromarray(ramp), "JPEG", quality=95))
    assert grey.shape == (48, 64) and np.abs(grey.astype(int) - ramp).mean() < 3


def test_a_jpeg_photo_is_turned_upright_by_its_exif_orientation() -> None:
    pixels = np.zeros((32, 48), np.uint8)
    pixels[:, :16] = 255  # the left third white
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show the image rotated 90° clockwise
    decoded = decode(saved(Image.fromarray(pixels), "JPEG", quality=95, exif=exif))
    assert decoded.shape == (48, 32)
    assert decoded[:16].mean() > 200 and decoded[24:].mean() < 30  # the white third is now on top


def test_webp_lossless_round_trips_exactly_with_its_alpha(rng: np.random.Generator) -> None:
    pixels = rng.integers(0, 256, (10, 12, 4), dtype=np.uint8)
    pixels[..., 3] = rng.choice([0, 255], (10, 12))
    pixels[pixels[..., 3] == 0, :3] = 0  # WebP may change the colour under transparent pixels
    np.testing.assert_array_equal(decode(saved(Image.fromarray(pixels), "WEBP", lossless=True, exact=True)), pixels)


def test_webp_lossy_decodes_near_its_pixels() -> None:
    ramp = np.linspace(0, 255, 40 * 40).reshape(40, 40).astype(np.uint8)
    decoded = decode(saved(Image.fromarray(np.stack([ramp] * 3, axis=-1)), "WEBP", quality=95))
    assert decoded.shape == (40, 40, 3) and np.abs(decoded[..., 0].astype(int) - ramp).mean() < 4


def test_encode_png_writes_an_8_bit_grey_png_that_decodes_to_its_pixels(rng: np.random.Generator) -> None:
    pixels = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    data = encode_png(pixels)
    assert data.startswith(SIGNATURE) and data[24:26] == bytes([8, 0])  # IHDR: bit depth 8, colour type 0 (grey)
    np.testing.assert_array_equal(decode(data), pixels)


def raw_png(
    width: int,
    height: int,
    depth: int = 8,
    colour: int = 0,
    interlace: int = 0,
    idat: bytes | None = b"",
    extra: bytes = b"",
) -> bytes:
    """A PNG from its parts, however wrong: the header fields, the IDAT chunk's bytes (None: no IDAT) and extras."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    image = b"" if idat is None else chunk(b"IDAT", idat)
    return SIGNATURE + chunk(b"IHDR", header) + extra + image + chunk(b"IEND", b"")


GOOD = png_of(np.arange(12, dtype=np.uint8).reshape(3, 4), 0)
LARGER = png_of(np.random.default_rng(3).integers(0, 256, (40, 40, 3), dtype=np.uint8), 2)
WIDTH_BYTE = len(SIGNATURE) + 8 + 3  # the low byte of the width in IHDR


@pytest.mark.parametrize(
    "data, words",
    [
        (b"GIF89a" + GOOD[6:], "not a readable PNG, JPEG or WebP"),
        (b"", "not a readable PNG, JPEG or WebP"),
        (LARGER[: len(LARGER) // 2], "truncated"),
        (GOOD[:WIDTH_BYTE] + b"\5" + GOOD[WIDTH_BYTE + 1 :], "corrupt header"),
        (raw_png(2, 2, idat=None), "cannot be decoded"),
        (raw_png(2, 2, depth=3), "corrupt header"),
        (raw_png(2, 1, idat=zlib.compress(b"\7\0\0")), "cannot be decoded"),
        (raw_png(2, 1, idat=b"not zlib at all"), "broken data stream"),
        (saved(Image.new("RGB", (30, 30), "red"), "JPEG")[:200], "(?i)truncated"),
        (saved(Image.new("RGB", (30, 30), "red"), "GIF"), "not a readable PNG, JPEG or WebP"),
    ],
    ids=[
        "signature",
        "empty",
        "truncated",
        "crc",
        "no-idat",
        "bad-depth",
        "bad-filter",
        "bad-zlib",
        "truncated-jpeg",
        "gif",
    ],
)
def test_corrupt_or_unsupported_files_are_refused_with_a_reason(data: bytes, words: str) -> None:
    with pytest.raises(ImageError, match=words):
        decode(data)


@given(
    st.sampled_from(["png", "interlaced", "jpeg", "webp"]),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
    st.integers(0, 10**6),
)
@settings(max_examples=150, deadline=None)
def test_a_damaged_file_decodes_or_raises_image_error_only(kind: str, flips: list[tuple[int, int]], cut: int) -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    files = {
        "png": png_of(pixels, 2),
        "interlaced": interlaced_png_of(pixels, 2),
        "jpeg": saved(Image.fromarray(pixels), "JPEG"),
        "webp": saved(Image.fromarray(pixels), "WEBP"),
    }
    data = bytearray(files[kind])
    for at, value in flips:
        data[at % len(data)] = value
    try:
        decoded = decode(bytes(data[: max(1, cut % (len(data) + 1))]))
    except ImageError:
        return
    assert decoded.dtype == np.uint8 and decoded.shape[:2] in ((12, 10), (10, 12))


def test_too_many_pixels_are_refused_before_inflating() -> None:
    with pytest.raises(ImageTooLarge, match="over the limit of 1000000 pixels.*10000000000 pixels"):
        decode(raw_png(100_000, 100_000, colour=6))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_just_over_the_pixel_limit_is_refused_with_its_size() -> None:
    with pytest.raises(ImageTooLarge, match="1000×1001 = 1001000 pixels, over the limit of 1000000"):
        decode(raw_png(1000, 1001, idat=b"never decoded"))


@pytest.mark.parametrize("width, height", [(400_000, 1), (1, 400_000), (SIDE + 1, 2)])
def test_an_extreme_aspect_ratio_is_refused_fast_before_decoding(width: int, height: int) -> None:
    started = time.perf_counter()
    with pytest.raises(ImageTooLarge, match=f"{width}×{height}: a side is over the limit of {SIDE} pixels"):
        decode(raw_png(width, height, idat=b"junk that no decoder could inflate"))
    assert time.perf_counter() - started < 2  # generous for a loaded machine: the junk IDAT shows nothing was decoded


def test_a_compressed_bomb_decodes_to_the_size_its_header_says() -> None:
    bomb = raw_png(1, 1, idat=zlib.compress(bytes(50_000_000), 9))  # 50 MB of zeros in about 50 KB
    np.testing.assert_array_equal(decode(bomb), [[0]])


def test_pillow_refuses_what_it_decodes_above_our_limit_too() -> None:
    decode(GOOD)
    assert Image.MAX_IMAGE_PIXELS == LIMIT
