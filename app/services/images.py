"""Images in and out of the server with Pillow: uploads to POST /api/predict decoded, gallery drawings encoded.

An upload may be a PNG (any colour type and bit depth, interlaced or not), a JPEG or a WebP, as drawing programs,
browsers, phones and scripts save them. Its size is read from the header and checked against the server's limits
before any pixel is decoded: the pixel count (Pillow's decompression-bomb limit is set from it too) and each side
(an image 1 pixel high and 400,000 wide has few pixels but is no drawing). Every failure is an ImageError with a
sentence saying why.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageOps

FORMATS = ("PNG", "JPEG", "WEBP")  # what Pillow may try; every other decoder of Pillow's stays unused
# What Pillow raises on a file it cannot read: UnidentifiedImageError (an OSError) and "image file is truncated"
# are OSErrors, a bad PNG checksum is a SyntaxError, a bad header field a ValueError or struct.error.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error)


class ImageError(ValueError):
    """An upload that cannot be read as an image, with a sentence saying why."""


class ImageTooLarge(ImageError):
    """An image with more pixels, or a longer side, than the server accepts."""


def decode_image(data: bytes, max_pixels: int, max_side: int) -> np.ndarray:
    """The pixels of a PNG, JPEG or WebP file as uint8: (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA.

    Grey with alpha, palette images with transparency and anything else with alpha become RGBA; 16-bit samples
    keep their high byte; a JPEG's EXIF orientation is applied, as a phone's photo viewer does.
    """
    # Pillow warns above this many pixels and refuses twice as many in Image.open; the check below refuses
    # everything above it before decoding. One server has one limit, so the process-wide value is the same for
    # every call.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            check_size(image.size, max_pixels, max_side)
            image.load()
            return pixels(ImageOps.exif_transpose(image))
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"the image is far over the limit of {max_pixels} pixels (Pillow: {exc})") from None
    except Image.UnidentifiedImageError:
        raise ImageError("not a readable PNG, JPEG or WebP image (another format, or a corrupt header)") from None
    except DECODE_ERRORS as exc:
        raise ImageError(f"the image cannot be decoded: {exc}") from None


def check_size(size: tuple[int, int], max_pixels: int, max_side: int) -> None:
    """Refuse an image with more than max_pixels pixels or a side longer than max_side (ImageTooLarge)."""
    width, height = size
    if width * height > max_pixels:
        raise ImageTooLarge(f"the image is {width}×{height} = {width * height} pixels, over the limit of {max_pixels}")
    if max(width, height) > max_side:
        raise ImageTooLarge(f"the image is {width}×{height}: a side is over the limit of {max_side} pixels")


def pixels(image: Image.Image) -> np.ndarray:
    """A decoded image's pixels as uint8 grey, RGB or RGBA."""
    if image.mode.startswith("I"):  # 16-bit grey (I;16, I;16B) or 32-bit integers holding 16-bit values
        return (np.asarray(image).astype(np.uint32).clip(0, 65535) >> 8).astype(np.uint8)
    if image.mode in ("1", "L") and not image.has_transparency_data:
        return np.asarray(image.convert("L"))
    return np.asarray(image.convert("RGBA" if image.has_transparency_data else "RGB"))


def encode_png(grey: np.ndarray) -> bytes:
    """A greyscale 8-bit PNG of an (H, W) uint8 array."""
    buffer = io.BytesIO()
    Image.fromarray(grey.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()
