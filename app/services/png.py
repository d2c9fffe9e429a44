"""A small PNG decoder in NumPy and zlib, for drawings uploaded to POST /api/predict (no imaging library needed).

It reads what drawing programs, browsers (canvas.toBlob) and scripts write: non-interlaced PNGs in grey, grey
with alpha, RGB, RGBA (8 or 16 bits a sample) and palette images (1, 2, 4 or 8 bits, with tRNS transparency).
Every chunk's CRC is checked and the image data may not inflate to more bytes than the header promises, so a
corrupt or hostile file is refused with a PngError saying why. Interlaced (Adam7) files are refused.

Row filters: each row starts with a filter byte (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) and predicts every byte
from its left (a), upper (b) and upper-left (c) neighbours. A pixel depends only on those three, so all pixels
on one anti-diagonal (row + column constant) can be reconstructed at once: H + W - 1 vectorised steps instead of
a Python loop over every byte. Files whose rows all use None skip the reconstruction.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel
COLOUR_NAMES = {0: "grey", 2: "RGB", 3: "palette", 4: "grey with alpha", 6: "RGBA"}
DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
KNOWN_CRITICAL = {b"IHDR", b"PLTE", b"IDAT", b"IEND"}


class PngError(ValueError):
    """A file this decoder cannot read, with a sentence saying why."""


class PngTooLarge(PngError):
    """A PNG with more pixels than the server accepts."""


@dataclass(frozen=True)
class Header:
    """The IHDR chunk: size, bit depth and colour type."""

    width: int
    height: int
    depth: int
    colour: int

    @property
    def bits_per_pixel(self) -> int:
        return self.depth * CHANNELS[self.colour]

    @property
    def row_bytes(self) -> int:
        """Bytes of one unfiltered row (without its filter byte)."""
        return (self.width * self.bits_per_pixel + 7) // 8

    @property
    def filter_unit(self) -> int:
        """Bytes per pixel as the filters count them: at least 1."""
        return max(1, self.bits_per_pixel // 8)


def decode_png(data: bytes, max_pixels: int) -> np.ndarray:
    """The pixels of a PNG file as uint8: (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA.

    Grey with alpha becomes RGBA; palette images become RGB, or RGBA when they carry transparency; 16-bit samples
    keep their high byte and 1-, 2- or 4-bit grey is stretched to 0..255.
    """
    chunks = read_chunks(data)
    header = read_header(chunks, max_pixels)
    rows = inflate(b"".join(body for kind, body in chunks if kind == b"IDAT"), header)
    samples = unpack_samples(unfilter(rows, header.filter_unit), header)
    if header.colour == 3:
        return apply_palette(samples[..., 0], chunks)
    if header.colour == 4:
        grey, alpha = samples[..., 0], samples[..., 1]
        return np.stack([grey, grey, grey, alpha], axis=-1)
    return samples[..., 0] if header.colour == 0 else samples


def read_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk up to IEND, each checked against its CRC."""
    if not data.startswith(SIGNATURE):
        raise PngError("not a PNG file (the first 8 bytes are not the PNG signature)")
    chunks, at = [], len(SIGNATURE)
    while True:
        if at + 8 > len(data):
            raise PngError("the file ends before its IEND chunk (truncated?)")
        length, kind = struct.unpack_from(">I4s", data, at)
        end = at + 8 + length
        if end + 4 > len(data):
            raise PngError(f"the {kind.decode('latin-1')!r} chunk runs past the end of the file (truncated?)")
        body = data[at + 8 : end]
        (crc,) = struct.unpack_from(">I", data, end)
        if zlib.crc32(kind + body) != crc:
            raise PngError(f"the {kind.decode('latin-1')!r} chunk fails its CRC check (the file is corrupt)")
        if kind[0] & 0x20 == 0 and kind not in KNOWN_CRITICAL:
            raise PngError(f"unknown critical chunk {kind.decode('latin-1')!r}")
        chunks.append((kind, body))
        if kind == b"IEND":
            return chunks
        at = end + 4


def read_header(chunks: list[tuple[bytes, bytes]], max_pixels: int) -> Header:
    """The checked IHDR chunk, which must come first and describe an image this decoder reads."""
    kind, body = chunks[0]
    if kind != b"IHDR" or len(body) != 13:
        raise PngError("the first chunk must be a 13-byte IHDR")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", body)
    if not (width and height):
        raise PngError(f"the image is {width}×{height}: it has no pixels")
    if colour not in CHANNELS or depth not in DEPTHS[colour]:
        raise PngError(f"colour type {colour} with bit depth {depth} is not a valid PNG combination")
    if compression or filtering:
        raise PngError(f"unknown compression method {compression} or filter method {filtering}")
    if interlace:
        raise PngError("interlaced (Adam7) PNGs are not supported; save the image without interlacing")
    if width * height > max_pixels:
        raise PngTooLarge(f"the image is {width}×{height} = {width * height} pixels, over the limit of {max_pixels}")
    if not any(kind == b"IDAT" for kind, _ in chunks):
        raise PngError("the file has no image data (IDAT chunk)")
    return Header(width, height, depth, colour)


def inflate(compressed: bytes, header: Header) -> np.ndarray:
    """The filtered rows, (H, 1 + row bytes) uint8; never inflates more than the header's size (zip bombs)."""
    expected = header.height * (1 + header.row_bytes)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, expected)
    except zlib.error as exc:
        raise PngError(f"the image data does not decompress ({exc})") from None
    size = f"a {header.width}×{header.height} image"
    if len(raw) < expected:
        raise PngError(f"the image data ends after {len(raw)} of the {expected} bytes of {size} (truncated?)")
    if inflater.unconsumed_tail:
        raise PngError(f"the image data holds more than the {expected} bytes of {size}")
    if not inflater.eof:
        raise PngError("the compressed image data is cut short (truncated?)")
    return np.frombuffer(raw, np.uint8).reshape(header.height, 1 + header.row_bytes)


def unfilter(rows: np.ndarray, unit: int) -> np.ndarray:
    """Undo the row filters: (H, 1 + row bytes) filtered rows -> (H, row bytes) bytes; unit = bytes per pixel."""
    kinds, data = rows[:, 0], rows[:, 1:]
    if kinds.max() > 4:
        bad = int(np.argmax(kinds > 4))
        raise PngError(f"row {bad} uses filter type {kinds[bad]}; PNG has filter types 0 to 4")
    if not kinds.any():
        return data
    height, width = data.shape[0], data.shape[1] // unit
    filtered = data.reshape(height, width, unit).astype(np.int16)
    out = np.zeros((height + 1, width + 1, unit), np.int16)  # a zero row above and a zero column to the left
    for diagonal in range(height + width - 1):
        r = np.arange(max(0, diagonal - width + 1), min(height, diagonal + 1))
        x = diagonal - r
        left, up, corner = out[r + 1, x], out[r, x + 1], out[r, x]
        kind = kinds[r][:, None]
        predicted = np.select(
            [kind == 1, kind == 2, kind == 3, kind == 4],
            [left, up, (left + up) >> 1, paeth(left, up, corner)],
            0,
        )
        out[r + 1, x + 1] = (filtered[r, x] + predicted) & 0xFF
    return out[1:, 1:].astype(np.uint8).reshape(height, width * unit)


def paeth(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Paeth predictor: whichever of left, up, upper-left is nearest to left + up - upper-left (ties in that order)."""
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def unpack_samples(data: np.ndarray, header: Header) -> np.ndarray:
    """(H, W, channels) uint8 samples from the unfiltered bytes: 16 bits keep the high byte, < 8 bits are unpacked."""
    h, w, channels = header.height, header.width, CHANNELS[header.colour]
    if header.depth == 8:
        return data.reshape(h, w, channels)
    if header.depth == 16:
        return data.reshape(h, w, channels, 2)[..., 0]
    bits = np.unpackbits(data, axis=1).reshape(h, -1, header.depth)
    values = (bits << np.arange(header.depth - 1, -1, -1, dtype=np.uint8)).sum(axis=2, dtype=np.uint8)[:, :w]
    if header.colour == 0:
        values = values * np.uint8(255 // (2**header.depth - 1))
    return values[..., None]


def apply_palette(indices: np.ndarray, chunks: list[tuple[bytes, bytes]]) -> np.ndarray:
    """RGB (or RGBA with a tRNS chunk) pixels of a palette image."""
    palette = next((body for kind, body in chunks if kind == b"PLTE"), None)
    if palette is None or len(palette) % 3 or not palette:
        raise PngError("a palette image needs a PLTE chunk of 1 to 256 RGB entries")
    colours = np.frombuffer(palette, np.uint8).reshape(-1, 3)
    alpha = next((body for kind, body in chunks if kind == b"tRNS"), None)
    if alpha is not None:
        levels = np.full(len(colours), 255, np.uint8)
        levels[: len(alpha)] = np.frombuffer(alpha[: len(colours)], np.uint8)
        colours = np.concatenate([colours, levels[:, None]], axis=1)
    if indices.max() >= len(colours):
        raise PngError(f"a pixel uses palette entry {indices.max()} but the palette has {len(colours)} entries")
    return colours[indices]


def encode_png(grey: np.ndarray) -> bytes:
    """A greyscale 8-bit PNG of an (H, W) uint8 array (no filtering: these images are tiny)."""
    height, width = grey.shape
    rows = np.hstack([np.zeros((height, 1), np.uint8), grey.astype(np.uint8)])  # filter byte 0 (None) per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + chunk(b"IEND", b"")
