"""Turn a drawing from the browser's canvas into the 28×28 image LeNet sees, the way MNIST itself was made.

MNIST's recipe (LeCun et al.): crop the strokes to their bounding box, scale them with anti-aliasing so that the
longer side is 20 pixels (aspect kept), then shift them in a 28×28 field so that their centre of mass sits at its
centre. Every stage is kept in `Preprocessed`, so the page can show what the network sees and why.

Conventions:
- Ink is high, as in MNIST: 1 is full ink, 0 is background; images are float32 in [0, 1].
- Coordinates are 0-based pixel centres: pixel (i, j) sits at (y, x) = (i, j), so the field's centre is (13.5, 13.5).
- A pixel is part of a stroke when its ink is above NOISE_LEVEL; a canvas without such a pixel is empty.
- Resampling is exact area averaging (a box filter), one axis at a time by differences of running sums, so its
  time and memory are linear in the pixels whatever the aspect ratio.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np

FIELD = 28
BOX = 20
FIELD_CENTRE = (FIELD - 1) / 2
NOISE_LEVEL = 0.05
SMALL_IMAGE = 40_000  # pixels up to which one running sum is cheaper than sums by blocks (measured: 200×200 or so)
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
IN_RANGE = (np.dtype(np.bool_), np.dtype(np.uint8))  # canvases whose every value lies in range (the page's ink bytes)


@dataclass(frozen=True, eq=False)
class Preprocessed:
    """Every stage of one drawing's preprocessing; all but `ink` are None when nothing was drawn.

    ink: (H, W) ink map of the whole canvas. box: (top, left, bottom, right) of the strokes in canvas pixels,
    bottom and right exclusive. crop: the ink inside the box. scaled: the crop with its longer side scaled to 20
    and its strongest ink stretched to 1. offset: (top, left) of `scaled` in `image`. image: the (28, 28) result.
    center_of_mass: (y, x) of `image`, in its pixel-centre coordinates.
    """

    image: np.ndarray | None
    ink: np.ndarray
    crop: np.ndarray | None = None
    scaled: np.ndarray | None = None
    box: tuple[int, int, int, int] | None = None
    offset: tuple[int, int] | None = None
    center_of_mass: tuple[float, float] | None = None

    @property
    def empty(self) -> bool:
        """True when the canvas holds no stroke: a clear "nothing drawn" rather than a guess."""
        return self.image is None


def preprocess_drawing(canvas: np.ndarray) -> Preprocessed:
    """The canvas as MNIST would have it, with every stage on the way.

    The canvas is (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA, in integers 0..255 or floats 0..1; a ValueError
    names a wrong shape, NaN values or values out of range.
    """
    ink = ink_map(grey_levels(unit_floats(canvas)))
    box = stroke_box(ink)
    if box is None:
        return Preprocessed(image=None, ink=ink)
    top, left, bottom, right = box
    crop = ink[top:bottom, left:right]
    scaled = fit_box(crop)
    image, offset = place_by_center_of_mass(scaled)
    return Preprocessed(image, ink, crop, scaled, box, offset, center_of_mass(image))


def raw_downscale(canvas: np.ndarray) -> np.ndarray:
    """The whole canvas's ink shrunk to (28, 28) by the same area averaging, with no crop and no centring.

    What LeNet would see without MNIST's preprocessing.
    """
    return downscale(ink_map(grey_levels(unit_floats(canvas))))


def downscale(ink: np.ndarray) -> np.ndarray:
    """An (H, W) ink map shrunk to (28, 28) by area averaging; the clip removes float rounding above full ink."""
    return np.minimum(area_resample(ink, (FIELD, FIELD)), 1)


def unit_floats(canvas: np.ndarray) -> np.ndarray:
    """The canvas checked and read as float32 in [0, 1]: integer pixels count 0..255, float pixels 0..1."""
    pixels = np.asarray(canvas)
    if pixels.ndim not in (2, 3) or pixels.shape[2:] not in ((), (3,), (4,)) or 0 in pixels.shape[:2]:
        raise ValueError(
            f"drawing: canvas must be (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA with H, W ≥ 1, "
            f"got shape {pixels.shape}"
        )
    if pixels.dtype.kind not in "biuf":
        raise ValueError(f"drawing: canvas must hold real numbers (bool, integer or float), got dtype {pixels.dtype}")
    full = 255 if pixels.dtype.kind in "iu" else 1
    if pixels.dtype not in IN_RANGE:
        low, high = pixels.min(), pixels.max()
        if np.isnan(high):  # max propagates NaN
            raise ValueError(f"drawing: canvas holds {np.isnan(pixels).sum()} NaN values")
        if low < 0 or high > full:
            raise ValueError(f"drawing: {pixels.dtype} canvas values must lie in 0..{full}, got {low:g}..{high:g}")
    return np.divide(pixels, full, dtype=np.float32)


def grey_levels(pixels: np.ndarray) -> np.ndarray:
    """(H, W) grey levels: RGB by its luma (ITU-R BT.601), RGBA composited onto `backdrop` first."""
    if pixels.ndim == 2:
        return pixels
    luma = pixels[..., :3] @ LUMA
    if pixels.shape[2] == 3:
        return luma
    alpha = pixels[..., 3]
    return alpha * luma + (1 - alpha) * backdrop(luma, alpha)


def backdrop(luma: np.ndarray, alpha: np.ndarray) -> float:
    """White behind dark strokes, black behind light ones, so a transparent background reads as background.

    The strokes are what is opaque, so their colour is the alpha-weighted mean luma.
    """
    return 1.0 if (alpha * luma).sum() < 0.5 * alpha.sum() else 0.0


def ink_map(grey: np.ndarray) -> np.ndarray:
    """Ink high on a background of 0, whatever the canvas's polarity.

    The median of the canvas's frame is the background (strokes are the minority there, even when they touch
    it); a light one flips the polarity. The background level is then removed and the rest stretched to [0, 1].
    """
    background = median(frame(grey))
    if background > 0.5:
        grey, background = 1 - grey, 1 - background
    if background:  # on the page's canvas the background is already 0: nothing to remove or stretch
        grey = (grey - background) / (1 - background)
    return np.clip(grey, 0, 1)


def frame(image: np.ndarray) -> np.ndarray:
    """The pixels on the image's outer edge (corners twice, which a median does not mind)."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def median(values: np.ndarray) -> float:
    """The median of an even count of values (a frame has 2·(H + W) pixels) as np.median gives it, the mean of
    the middle two in their own dtype, without its overheads."""
    middle = len(values) // 2
    low, high = np.partition(values, (middle - 1, middle))[middle - 1 : middle + 1]
    return float((low + high) / 2)


def stroke_box(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) around the pixels with ink above NOISE_LEVEL, bottom and right exclusive."""
    strokes: np.ndarray = ink > NOISE_LEVEL
    rows = np.flatnonzero(strokes.any(axis=1))
    if rows.size == 0:
        return None
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    cols = np.flatnonzero(strokes[top:bottom].any(axis=0))  # only the rows that hold strokes
    return top, int(cols[0]), bottom, int(cols[-1]) + 1


def fit_box(crop: np.ndarray) -> np.ndarray:
    """The crop scaled so its longer side is BOX pixels, aspect kept exactly, its strongest ink stretched to 1.

    The shorter side may end in a partly covered pixel; the stretch gives thin or light strokes MNIST's full cores.
    """
    h, w = crop.shape
    longer = max(h, w)
    scale = BOX / longer
    scaled = area_resample(crop, (math.ceil(h * BOX / longer), math.ceil(w * BOX / longer)), (scale, scale))
    return scaled / scaled.max()


def place_by_center_of_mass(scaled: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """The scaled crop in a FIELD×FIELD image and its (top, left) there.

    A shift by whole pixels puts its centre of mass nearest the field's centre, clipped so the crop stays inside.
    """
    h, w = scaled.shape
    cy, cx = center_of_mass(scaled)
    top = min(max(round(FIELD_CENTRE - cy), 0), FIELD - h)
    left = min(max(round(FIELD_CENTRE - cx), 0), FIELD - w)
    image = np.zeros((FIELD, FIELD), dtype=np.float32)
    image[top : top + h, left : left + w] = scaled
    return image, (top, left)


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """Intensity-weighted mean (y, x) of the pixel centres; the image must hold some ink."""
    h, w = image.shape
    total = image.sum()
    return float(image.sum(axis=1) @ np.arange(h) / total), float(image.sum(axis=0) @ np.arange(w) / total)


def area_resample(image: np.ndarray, shape: tuple[int, int], scale: tuple[float, float] | None = None) -> np.ndarray:
    """An (H, W) image resampled to `shape` by exact area averaging: anti-aliased when shrinking, blocky enlarging.

    `scale` (y, x) defaults to filling the shape; a smaller one leaves the far edges partly or wholly background.
    One axis after the other, the one giving the smaller intermediate image first, so time and memory grow with
    the pixels in and out (never with their product: a 1×1,048,576 strip costs what its pixels cost).
    """
    (h, w), (out_h, out_w) = image.shape, shape
    scale_y, scale_x = scale if scale is not None else (out_h / h, out_w / w)
    if out_h * w <= h * out_w:
        return area_resample_axis(area_resample_axis(image, 0, out_h, scale_y), 1, out_w, scale_x)
    return area_resample_axis(area_resample_axis(image, 1, out_w, scale_x), 0, out_h, scale_y)


def area_resample_axis(image: np.ndarray, axis: int, n_out: int, scale: float) -> np.ndarray:
    """An (H, W) image resampled along one axis to n_out pixels: output pixel j spans input [j, j + 1) / scale.

    Each output pixel is `scale` times the integral of the input (a step function, one step per pixel) over its
    span, clipped to the image: a fully covered output pixel is the mean of what it covers, a straddling input
    pixel counts by its overlap, and the image's sum scales by the area factor. The integral at any point is the
    sum of the pixels before the one it falls in plus the covered fraction of that pixel, so the cost is one pass of
    sums over the input and two look-ups per output pixel.
    """
    pixels = image if axis == 0 else image.T  # resampled along its first axis
    index, covered = spans(pixels.shape[0], n_out, scale)
    sums = sums_before if pixels.size <= SMALL_IMAGE else sums_before_by_blocks
    integral = sums(pixels, index) + covered * pixels[index]
    out = ((integral[1:] - integral[:-1]) * scale).astype(np.float32)
    return out if axis == 0 else out.T


def sums_before(pixels: np.ndarray, index: np.ndarray) -> np.ndarray:
    """(len(index), W) float64: for each index i, the sum of the (N, W) pixels' rows before row i, from one running
    sum over every row (the cheaper way for a drawing's few thousand pixels)."""
    running = np.zeros((pixels.shape[0] + 1, pixels.shape[1]))
    np.cumsum(pixels, axis=0, dtype=np.float64, out=running[1:])
    return running[index]


def sums_before_by_blocks(pixels: np.ndarray, index: np.ndarray) -> np.ndarray:
    """What sums_before gives (the same sums added in another order: equal to float64 rounding, to the last bit on
    the tests' images) from one sum per block of rows between the sorted indices: NumPy's running sum costs about
    11 ns a pixel, 12 ms for a 1024×1024 upload, where these sums take under 1 ms."""
    starts = np.unique(index)  # the first is 0: a span starts at the image's edge
    running = np.zeros((starts.size, pixels.shape[1]))  # running[k]: sum of the rows before starts[k]
    if starts.size > 1:  # at most one block per output pixel
        blocks = [  # from -0.0, IEEE's true zero of addition: a block of -0.0 sums to -0.0, as in a running sum
            pixels[first:end].sum(axis=0, dtype=np.float64, initial=-0.0) for first, end in itertools.pairwise(starts)
        ]
        np.cumsum(blocks, axis=0, out=running[1:])
    return running[np.searchsorted(starts, index)]


@functools.lru_cache(maxsize=1024)
def spans(n_in: int, n_out: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Where the n_out + 1 span ends of area_resample_axis fall: the input pixel of each (the last one at the far
    end) and the fraction of it covered, as (n_out + 1,) and (n_out + 1, 1) arrays; kept for the next drawing of
    the same size (read-only)."""
    edges = np.minimum(np.arange(n_out + 1) / scale, n_in)  # span ends in input coordinates, inside the image
    index = np.minimum(edges.astype(np.intp), n_in - 1)
    covered = (edges - index).reshape(-1, 1)
    index.flags.writeable = covered.flags.writeable = False
    return index, covered


def preprocess_drawings(canvases: np.ndarray) -> list[Preprocessed]:
    """preprocess_drawing of each of N grey canvases of one size, (N, H, W) uint8 as the page sends them, in NumPy
    calls over all N at once: a class's drawings cost about one drawing's calls. The same stages, equal up to float
    rounding: each drawing's area averaging is here a product with a matrix of span overlaps per axis."""
    ink = batch_ink_map(np.divide(canvases, 255, dtype=np.float32))
    rows, cols = ink.max(axis=2) > NOISE_LEVEL, ink.max(axis=1) > NOISE_LEVEL  # (N, H), (N, W): holding strokes
    drawn = rows.any(axis=1)
    top, left = rows.argmax(axis=1), cols.argmax(axis=1)
    bottom, right = rows.shape[1] - rows[:, ::-1].argmax(axis=1), cols.shape[1] - cols[:, ::-1].argmax(axis=1)
    h, w = np.where(drawn, bottom - top, 1), np.where(drawn, right - left, 1)
    longer = np.maximum(h, w)
    scale = (BOX / longer).astype(np.float32)
    tall, wide = np.ceil(h * BOX / longer).astype(np.intp), np.ceil(w * BOX / longer).astype(np.intp)
    scaled = (overlaps(top, h, scale, ink.shape[1]) @ ink) @ overlaps(left, w, scale, ink.shape[2]).transpose(0, 2, 1)
    scaled = (scaled / scaled.max(axis=(1, 2), keepdims=True, initial=1e-30)).astype(np.float32)  # (N, BOX, BOX)
    cy, cx = batch_center_of_mass(scaled)
    up = np.clip(np.rint(FIELD_CENTRE - cy).astype(np.intp), 0, FIELD - tall)
    across = np.clip(np.rint(FIELD_CENTRE - cx).astype(np.intp), 0, FIELD - wide)
    field = np.zeros((len(ink), FIELD + BOX, FIELD + BOX), np.float32)  # room for a BOX×BOX block at any offset
    at = np.arange(BOX)
    field[np.arange(len(ink))[:, None, None], (up[:, None] + at)[:, :, None], (across[:, None] + at)[:, None, :]] = (
        scaled
    )
    images = field[:, :FIELD, :FIELD]
    image_cy, image_cx = batch_center_of_mass(images)
    columns = (drawn, top, left, bottom, right, tall, wide, up, across, image_cy, image_cx)
    stages = []
    for n, (d, t, lft, b, r, th, tw, u, a, y, x) in enumerate(zip(*(c.tolist() for c in columns), strict=True)):
        crop, box = ink[n, t:b, lft:r], (t, lft, b, r)
        stages.append(
            Preprocessed(images[n], ink[n], crop, scaled[n, :th, :tw], box, (u, a), (y, x))
            if d
            else Preprocessed(image=None, ink=ink[n])
        )
    return stages


def batch_ink_map(grey: np.ndarray) -> np.ndarray:
    """ink_map of each of N grey images (N, H, W) in [0, 1] at once."""
    frames = np.concatenate([grey[:, 0], grey[:, -1], grey[:, :, 0], grey[:, :, -1]], axis=1)
    middle = frames.shape[1] // 2
    ends = np.partition(frames, (middle - 1, middle), axis=1)[:, middle - 1 : middle + 1]
    background = ((ends[:, 0] + ends[:, 1]) / 2)[:, None, None]
    if not background.any():  # the page's canvases: already ink on 0, within [0, 1]
        return grey
    light = background > 0.5
    grey, background = np.where(light, 1 - grey, grey), np.where(light, 1 - background, background)
    grey = np.where(background > 0, (grey - background) / (1 - background), grey)
    return np.clip(grey, 0, 1)


def overlaps(start: np.ndarray, length: np.ndarray, scale: np.ndarray, n_in: int) -> np.ndarray:
    """(N, BOX, n_in) float32 matrices resampling the span [start, start + length) of each image along one axis to
    BOX pixels as area_resample_axis does: output pixel j covers [j, j + 1) / scale of the span, clipped to it, and
    each input pixel counts by its overlap with that times scale."""
    ends = np.arange(BOX + 1, dtype=np.float32) / scale[:, None]
    edges = np.minimum(ends, length[:, None].astype(np.float32))[:, :, None]  # (N, BOX + 1, 1)
    pixel = (np.arange(n_in, dtype=np.float32) - start[:, None].astype(np.float32))[:, None, :]  # (N, 1, n_in)
    covered = np.minimum(pixel + 1, edges[:, 1:]) - np.maximum(pixel, edges[:, :-1])
    return np.maximum(covered, 0) * scale[:, None, None]


def batch_center_of_mass(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """center_of_mass of each of N images (N, H, W): (N,) y and (N,) x."""
    total = images.sum(axis=(1, 2))
    total[total == 0] = 1  # an image without ink (nothing drawn): (0, 0) rather than NaN
    ys, xs = np.arange(images.shape[1]), np.arange(images.shape[2])
    return images.sum(axis=2) @ ys / total, images.sum(axis=1) @ xs / total
