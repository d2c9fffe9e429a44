"""Drawing preprocessing (app.data.drawing): polarity, alpha, crop, area resampling, centring, edge cases, round trips.

Synthetic digits are drawn with NumPy: each pixel's ink is how much of it an anti-aliased pen of the given width covers.
Coordinates are 0-based pixel centres, so the 28×28 field's centre is (13.5, 13.5).
"""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pytest

from app.data.drawing import (
    FIELD_CENTRE,
    SMALL_IMAGE,
    area_resample,
    center_of_mass,
    place_by_center_of_mass,
    preprocess_drawing,
    preprocess_drawings,
    raw_downscale,
    spans,
    sums_before,
    sums_before_by_blocks,
)

CANVAS = 280
SEVEN = [((40, 70), (40, 210)), ((40, 210), (240, 120))]


def pen(shape: tuple[int, int], segments: list, width: float) -> np.ndarray:
    """Ink (1 on 0) of straight strokes with round ends, anti-aliased over one pixel at their edges."""
    ys, xs = np.indices(shape, dtype=np.float64)
    distance = np.full(shape, np.inf)
    for (y0, x0), (y1, x1) in segments:
        dy, dx = y1 - y0, x1 - x0
        t = np.clip(((ys - y0) * dy + (xs - x0) * dx) / max(dy * dy + dx * dx, 1e-12), 0, 1)
        distance = np.minimum(distance, np.hypot(ys - y0 - t * dy, xs - x0 - t * dx))
    return np.clip(width / 2 + 0.5 - distance, 0, 1)


def ring(shape: tuple[int, int], centre: tuple[float, float], radii: tuple[float, float], width: float) -> np.ndarray:
    """Ink of an anti-aliased ellipse outline (a "0"), radii (vertical, horizontal)."""
    ys, xs = np.indices(shape, dtype=np.float64)
    scaled = np.hypot((ys - centre[0]) / radii[0], (xs - centre[1]) / radii[1])
    return np.clip(width / 2 + 0.5 - np.abs(scaled - 1) * min(radii), 0, 1)


def seven(width: float = 24) -> np.ndarray:
    """A thick "7" drawn white on black on a 280×280 canvas, as a float grey image."""
    return pen((CANVAS, CANVAS), SEVEN, width)


def output_com(image: np.ndarray) -> np.ndarray:
    """Centre of mass of an output image, as an array."""
    return np.array(center_of_mass(image))


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator per test."""
    return np.random.default_rng(20240601)


# Input forms and polarity


def test_white_on_black_and_black_on_white_give_the_same_image():
    light_on_dark, dark_on_light = preprocess_drawing(seven()), preprocess_drawing(1 - seven())
    np.testing.assert_allclose(dark_on_light.image, light_on_dark.image, atol=1e-5)
    assert dark_on_light.box == light_on_dark.box


def test_uint8_and_float_canvases_give_the_same_image():
    canvas = seven()
    as_bytes = np.round(canvas * 255).astype(np.uint8)
    np.testing.assert_allclose(preprocess_drawing(as_bytes).image, preprocess_drawing(canvas).image, atol=0.01)


def test_rgb_and_grey_canvases_give_the_same_image():
    grey = np.round(seven() * 255).astype(np.uint8)
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    np.testing.assert_allclose(preprocess_drawing(rgb).image, preprocess_drawing(grey).image, atol=1e-5)


def test_coloured_pen_on_white_reads_as_ink():
    rgb = np.ones((CANVAS, CANVAS, 3))
    rgb[seven() > 0.5] = (0.1, 0.2, 0.8)
    result = preprocess_drawing(rgb)
    np.testing.assert_allclose(result.image, preprocess_drawing(seven() > 0.5).image, atol=1e-5)


@pytest.mark.parametrize("stroke_rgb, hidden_rgb", [(0, 0), (0, 255), (255, 0), (255, 255), (200, 30)])
def test_transparent_canvas_with_opaque_strokes_reads_alpha_as_ink(stroke_rgb, hidden_rgb):
    alpha = np.round(seven() * 255).astype(np.uint8)
    rgba = np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8)
    rgba[..., :3] = np.where(alpha[..., None] > 0, stroke_rgb, hidden_rgb)
    rgba[..., 3] = alpha
    np.testing.assert_allclose(preprocess_drawing(rgba).image, preprocess_drawing(alpha).image, atol=1e-5)


def test_opaque_rgba_canvas_is_read_like_rgb():
    grey = 1 - seven()
    rgba = np.stack([grey, grey, grey, np.ones_like(grey)], axis=2)
    np.testing.assert_allclose(preprocess_drawing(rgba).image, preprocess_drawing(grey).image, atol=1e-5)


def test_grey_background_is_removed_from_the_ink():
    canvas = 0.2 + 0.8 * seven()
    result = preprocess_drawing(canvas)
    assert result.ink.min() == 0 and result.ink.max() == pytest.approx(1)
    np.testing.assert_allclose(result.image, preprocess_drawing(seven()).image, atol=1e-5)


def test_ink_map_keeps_the_canvas_size_and_is_ink_high():
    result = preprocess_drawing(1 - seven())
    assert result.ink.shape == (CANVAS, CANVAS)
    np.testing.assert_allclose(result.ink, seven(), atol=1e-6)


# Crop and scale


def test_bounding_box_of_a_rectangle_is_exact():
    canvas = np.zeros((CANVAS, CANVAS))
    canvas[30:90, 100:140] = 1
    result = preprocess_drawing(canvas)
    assert result.box == (30, 100, 90, 140)
    np.testing.assert_array_equal(result.crop, 1)


def test_faint_noise_below_the_threshold_stays_outside_the_box(rng):
    canvas = rng.uniform(0, 0.04, (CANVAS, CANVAS))
    canvas[50:60, 70:200] = 1
    assert preprocess_drawing(canvas).box == (50, 70, 60, 200)


@pytest.mark.parametrize("size", [(160, 40), (40, 160), (7, 3), (300, 300)])
def test_longer_side_of_the_scaled_crop_is_20(size):
    canvas = np.zeros((400, 400))
    canvas[10 : 10 + size[0], 20 : 20 + size[1]] = 1
    assert max(preprocess_drawing(canvas).scaled.shape) == 20


def test_aspect_is_kept_a_100x50_bar_becomes_20x10():
    canvas = np.zeros((CANVAS, CANVAS))
    canvas[90:190, 100:150] = 1
    scaled = preprocess_drawing(canvas).scaled
    assert scaled.shape == (20, 10)
    np.testing.assert_allclose(scaled, 1, rtol=1e-6)


def test_a_short_side_between_pixels_ends_in_a_partly_covered_pixel():
    canvas = np.zeros((CANVAS, CANVAS))
    canvas[20:220, 50:75] = 1  # 200 × 25 → 20 × 2.5
    scaled = preprocess_drawing(canvas).scaled
    assert scaled.shape == (20, 3)
    np.testing.assert_allclose(scaled[:, :2], 1, rtol=1e-6)
    np.testing.assert_allclose(scaled[:, 2], 0.5, rtol=1e-6)


def test_scaled_crop_is_stretched_so_its_strongest_ink_is_one():
    canvas = np.zeros((CANVAS, CANVAS))
    canvas[40:240, 100:103] = 0.6  # a light, thin pen
    assert preprocess_drawing(canvas).scaled.max() == pytest.approx(1)


# Area resampling


def test_area_resample_keeps_the_mean_intensity(rng):
    image = rng.uniform(0, 1, (280, 210))
    out = area_resample(image, (28, 21))
    assert out.mean() == pytest.approx(image.mean(), rel=1e-5)


@pytest.mark.parametrize("shape_in, shape_out", [((97, 53), (20, 11)), ((5, 3), (20, 12)), ((28, 28), (224, 224))])
def test_area_resample_scales_the_sum_by_the_area_factor(rng, shape_in, shape_out):
    image = rng.uniform(0, 1, shape_in)
    out = area_resample(image, shape_out)
    factor = shape_out[0] / shape_in[0] * shape_out[1] / shape_in[1]
    assert out.sum() == pytest.approx(image.sum() * factor, rel=1e-5)


def test_area_resample_by_a_whole_factor_averages_blocks_and_repeats_pixels(rng):
    image = rng.uniform(0, 1, (12, 8))
    blocks = image.reshape(4, 3, 2, 4).mean(axis=(1, 3))
    np.testing.assert_allclose(area_resample(image, (4, 2)), blocks, rtol=1e-6)
    np.testing.assert_allclose(area_resample(blocks, (12, 8)), np.kron(blocks, np.ones((3, 4))), rtol=1e-6)


def weights(n_in: int, n_out: int, scale: float) -> np.ndarray:
    """(n_out, n_in) weights area_resample gives along one axis: the resampled columns of the identity."""
    return area_resample(np.eye(n_in, dtype=np.float32), (n_out, n_in), (scale, 1.0))


def test_area_weights_rows_average_and_columns_add_up_to_the_scale():
    resampling = weights(280, 20, 20 / 280)
    np.testing.assert_allclose(resampling.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(resampling.sum(axis=0), 20 / 280, rtol=1e-6)
    assert resampling[0, :14].tolist() == pytest.approx([1 / 14] * 14) and resampling[0, 14:].max() == 0


def test_area_weights_split_a_straddling_input_pixel_by_overlap():
    resampling = weights(3, 2, 2 / 3)  # output pixels span inputs [0, 1.5) and [1.5, 3)
    np.testing.assert_allclose(resampling, [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]], rtol=1e-6)


def dense_area_matrix(n_in: int, n_out: int, scale: float) -> np.ndarray:
    """The resampler's former implementation, kept here as the oracle: one dense (n_out, n_in) matrix per axis."""
    edges = np.arange(n_out + 1) / scale
    starts = np.maximum(edges[:-1, None], np.arange(n_in))
    ends = np.minimum(edges[1:, None], np.arange(1, n_in + 1))
    return (np.clip(ends - starts, 0, None) * scale).astype(np.float32)


def dense_area_resample(image: np.ndarray, shape: tuple[int, int], scale: tuple[float, float] | None = None):
    """The former area_resample: Ry @ image @ Rx.T."""
    (h, w), (out_h, out_w) = image.shape, shape
    scale_y, scale_x = scale if scale is not None else (out_h / h, out_w / w)
    return dense_area_matrix(h, out_h, scale_y) @ image @ dense_area_matrix(w, out_w, scale_x).T


def test_area_resample_equals_the_dense_matrices_on_random_canvases(rng):
    for _ in range(200):
        h, w = rng.integers(1, 300, 2)
        image = rng.uniform(0, 1, (h, w)).astype(np.float32) * (rng.uniform(0, 1, (h, w)) < rng.uniform(0, 1))
        out_h, out_w = rng.integers(1, 40, 2)
        np.testing.assert_allclose(
            area_resample(image, (out_h, out_w)), dense_area_resample(image, (out_h, out_w)), rtol=1e-5, atol=1e-6
        )
        longer = max(h, w)  # fit_box's call: the longer side to 20, aspect kept, the shorter ending part-covered
        shape, scale = (-(-h * 20 // longer), -(-w * 20 // longer)), (20 / longer, 20 / longer)
        np.testing.assert_allclose(
            area_resample(image, shape, scale), dense_area_resample(image, shape, scale), rtol=1e-5, atol=1e-6
        )


def test_the_sums_by_blocks_equal_the_running_sum_on_drawings_and_uploads(rng):
    """area_resample_axis sums the rows before each span end one of two ways (one running sum for small images,
    sums by blocks for large ones): both give the same float64 sums, to the last bit here, for canvases of the
    page's 8-bit ink, random float images, and spans that shrink or enlarge."""
    for _ in range(300):
        n, w = rng.integers(1, 1200), rng.integers(1, 60)
        if rng.uniform() < 0.5:
            pixels = (rng.integers(0, 256, (n, w)) / 255).astype(np.float32)
        else:
            pixels = (rng.uniform(0, 1, (n, w)) * (rng.uniform(0, 1, (n, w)) < 0.3)).astype(np.float32)
        n_out = int(rng.integers(1, 60))
        index, _ = spans(n, n_out, float(rng.choice([n_out / n, rng.uniform(0.005, 3.0)])))
        np.testing.assert_array_equal(sums_before_by_blocks(pixels, index), sums_before(pixels, index))
    assert SMALL_IMAGE < 1024 * 1024  # an upload's 1024×1024 takes the blocks


def test_preprocessing_equals_the_dense_resampler_on_drawn_digits(rng, monkeypatch):
    drawings = [seven(width) for width in (6, 12, 24)] + [
        pen((CANVAS, CANVAS), [tuple(map(tuple, rng.uniform(10, 270, (2, 2))))], rng.uniform(3, 30)) for _ in range(30)
    ]
    ours = [(preprocess_drawing(canvas).image, raw_downscale(canvas)) for canvas in drawings]
    monkeypatch.setattr("app.data.drawing.area_resample", dense_area_resample)
    for canvas, (image, raw) in zip(drawings, ours, strict=True):
        np.testing.assert_allclose(image, preprocess_drawing(canvas).image, atol=1e-5)
        np.testing.assert_allclose(raw, raw_downscale(canvas), atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 400_000), (1_048_576, 1), (2, 300_000), (4096, 256)])
def test_an_extreme_aspect_ratio_costs_memory_in_proportion_to_its_pixels(shape):
    canvas = np.zeros(shape, dtype=np.uint8)
    canvas[: max(1, shape[0] // 2), : max(1, shape[1] // 2)] = 255  # ink in a corner, so the crop is big too
    canvas[-1, -1] = 0
    tracemalloc.start()
    try:
        result = preprocess_drawing(canvas)
        raw = raw_downscale(canvas)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.image.shape == raw.shape == (28, 28) and result.image.max() == pytest.approx(1)
    assert peak < 40 * canvas.size, f"{peak / 2**20:.1f} MB for {canvas.size / 2**20:.1f} M pixels"


# Centring


def test_center_of_mass_uses_zero_based_pixel_centres():
    image = np.zeros((28, 28))
    image[3, 20] = 1
    assert center_of_mass(image) == (3.0, 20.0)
    assert FIELD_CENTRE == 13.5


@pytest.mark.parametrize("drawing", ["seven", "corner L", "ring", "bar"])
def test_center_of_mass_of_the_output_is_within_half_a_pixel_of_the_centre(drawing):
    canvas = {
        "seven": seven(),
        "corner L": pen((CANVAS, CANVAS), [((20, 20), (200, 20)), ((200, 20), (200, 120))], 12),
        "ring": ring((CANVAS, CANVAS), (140, 150), (100, 60), 20),
        "bar": pen((CANVAS, CANVAS), [((100, 30), (110, 250))], 9),
    }[drawing]
    result = preprocess_drawing(canvas)
    assert np.abs(output_com(result.image) - FIELD_CENTRE).max() <= 0.5
    assert result.center_of_mass == pytest.approx(center_of_mass(result.image))


def test_placement_offset_says_where_the_scaled_crop_is():
    result = preprocess_drawing(seven())
    top, left = result.offset
    height, width = result.scaled.shape
    np.testing.assert_array_equal(result.image[top : top + height, left : left + width], result.scaled)
    assert result.image.sum() == pytest.approx(result.scaled.sum())


def test_placement_is_clipped_so_the_crop_stays_inside_the_field():
    scaled = np.zeros((20, 20), dtype=np.float32)
    scaled[19, 19] = 1  # its centre of mass asks for a shift of -5.5 pixels
    image, offset = place_by_center_of_mass(scaled)
    assert offset == (0, 0)
    assert image[19, 19] == 1


# Empty canvases and edge cases


@pytest.mark.parametrize(
    "canvas",
    [
        np.zeros((CANVAS, CANVAS)),
        np.ones((CANVAS, CANVAS)),
        np.full((CANVAS, CANVAS, 3), 255, dtype=np.uint8),
        np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8),
        np.full((1, 1), 0.7),
    ],
    ids=["black", "white", "white rgb", "transparent", "1x1"],
)
def test_a_canvas_without_strokes_is_empty(canvas):
    result = preprocess_drawing(canvas)
    assert result.empty and result.image is None
    assert result.box is None and result.crop is None and result.scaled is None and result.center_of_mass is None
    assert result.ink.shape == canvas.shape[:2]


def test_faint_noise_alone_is_empty(rng):
    assert preprocess_drawing(rng.uniform(0, 0.05, (CANVAS, CANVAS))).empty
    assert preprocess_drawing(1 - rng.uniform(0, 0.05, (CANVAS, CANVAS))).empty


def test_a_single_dot_fills_the_20x20_box_at_the_centre():
    canvas = np.zeros((CANVAS, CANVAS))
    canvas[200, 31] = 1
    result = preprocess_drawing(canvas)
    assert result.box == (200, 31, 201, 32)
    np.testing.assert_array_equal(result.image[4:24, 4:24], 1)
    assert result.image.sum() == 400


def test_a_dot_on_a_tiny_canvas_is_found():
    canvas = np.zeros((3, 3), dtype=np.uint8)
    canvas[1, 1] = 255
    result = preprocess_drawing(canvas)
    assert not result.empty and result.box == (1, 1, 2, 2)


def test_a_stroke_touching_every_border_keeps_its_polarity():
    canvas = pen((CANVAS, CANVAS), [((0, 0), (279, 279)), ((0, 279), (279, 0))], 16)
    for drawn in (canvas, 1 - canvas):
        result = preprocess_drawing(drawn)
        assert result.box == (0, 0, CANVAS, CANVAS)
        assert result.scaled.shape == (20, 20)


def test_a_huge_scribble_covering_most_of_the_canvas_fills_the_box(rng):
    canvas = np.zeros((CANVAS, CANVAS))
    canvas[2:-2, 2:-2] = rng.uniform(0.5, 1, (CANVAS - 4, CANVAS - 4))
    result = preprocess_drawing(canvas)
    assert result.scaled.shape == (20, 20)
    assert result.image[4:24, 4:24].min() > 0.5


def test_a_canvas_covered_edge_to_edge_reads_as_background():
    assert preprocess_drawing(np.ones((CANVAS, CANVAS))).empty


@pytest.mark.parametrize("vertical", [True, False])
def test_a_one_pixel_wide_line_becomes_a_full_ink_20_pixel_line(vertical):
    canvas = np.zeros((CANVAS, CANVAS))
    canvas[40:240, 77] = 1
    canvas = canvas if vertical else canvas.T
    result = preprocess_drawing(canvas)
    assert result.scaled.shape == ((20, 1) if vertical else (1, 20))
    assert result.image.sum() == pytest.approx(20)
    assert np.abs(output_com(result.image) - FIELD_CENTRE).max() <= 0.5


@pytest.mark.parametrize("shape", [(280,), (280, 280, 2), (280, 280, 5), (1, 280, 280, 4), (0, 5), (5, 0, 3), ()])
def test_a_canvas_of_the_wrong_shape_is_rejected_naming_its_shape(shape):
    with pytest.raises(ValueError, match=f"got shape {re.escape(str(shape))}"):
        preprocess_drawing(np.zeros(shape))


def test_nan_values_are_rejected():
    canvas = seven()
    canvas[5, 5] = np.nan
    with pytest.raises(ValueError, match="1 NaN values"):
        preprocess_drawing(canvas)


@pytest.mark.parametrize(
    "canvas, message",
    [
        (np.full((4, 4), 2.0), r"0\.\.1, got 2\.\.2"),
        (np.full((4, 4), -0.5), r"0\.\.1, got -0\.5\.\.-0\.5"),
        (np.full((4, 4), np.inf), r"0\.\.1, got inf\.\.inf"),
        (np.full((4, 4), 256), r"int64 canvas values must lie in 0\.\.255"),
        (np.full((4, 4), "a"), "must hold real numbers"),
    ],
)
def test_values_out_of_range_or_not_numbers_are_rejected(canvas, message):
    with pytest.raises(ValueError, match=message):
        raw_downscale(canvas)


# Outputs


@pytest.mark.parametrize(
    "canvas",
    [
        seven(),
        np.round(seven() * 255).astype(np.uint8),
        np.pad(np.ones((2, 2)), 10),
        np.pad(np.ones((1, 1)), ((0, 0), (0, 1))),
    ],
    ids=["float", "uint8", "small square", "1x2"],
)
def test_outputs_are_float32_in_the_unit_range(canvas):
    result = preprocess_drawing(canvas)
    raw = raw_downscale(canvas)
    for image, shape in ((result.image, (28, 28)), (raw, (28, 28)), (result.ink, canvas.shape[:2])):
        assert image.dtype == np.float32 and image.shape == shape
        assert image.min() >= 0 and image.max() <= 1


def test_raw_downscale_keeps_the_drawing_where_and_as_small_as_it_was():
    canvas = np.zeros((CANVAS, CANVAS))
    canvas[0:30, 250:280] = 1
    raw = raw_downscale(canvas)
    np.testing.assert_allclose(raw[0:3, 25:28], 1, rtol=1e-6)
    assert raw.sum() == pytest.approx(9)


def test_raw_downscale_of_an_empty_canvas_is_blank():
    np.testing.assert_array_equal(raw_downscale(np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8)), 0)


# Round trips with MNIST-like digits


def ink_rows_and_columns(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the rows and of the columns of an image that hold some ink."""
    return np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))


def test_a_drawn_zero_lands_in_the_central_20x20_box_with_its_center_of_mass_centred():
    image = preprocess_drawing(ring((CANVAS, CANVAS), (120, 170), (90, 55), 22)).image
    rows, cols = ink_rows_and_columns(image)
    assert (rows[0], rows[-1]) == (4, 23) and cols[0] >= 3 and cols[-1] <= 24
    assert np.abs(output_com(image) - FIELD_CENTRE).max() <= 0.5


def test_a_drawn_seven_is_centred_by_its_mass_so_its_heavy_top_sits_low():
    image = preprocess_drawing(seven()).image
    rows, cols = ink_rows_and_columns(image)
    assert rows[-1] - rows[0] + 1 == 20 and rows[0] > 4
    assert np.abs(output_com(image) - FIELD_CENTRE).max() <= 0.5


@pytest.fixture(scope="module")
def mnist_like_digits() -> list[np.ndarray]:
    """28×28 digits in MNIST's layout (longer side 20, centre of mass centred), anti-aliased at the edges."""
    drawings = [seven(), ring((CANVAS, CANVAS), (140, 140), (110, 70), 26), seven(width=14)]
    return [preprocess_drawing(canvas).image for canvas in drawings]


@pytest.mark.parametrize("size, top, left", [(224, 20, 37), (224, 56, 0), (250, 3, 21), (150, 110, 60), (84, 0, 196)])
def test_a_28x28_digit_enlarged_onto_a_canvas_comes_back_as_it_was(mnist_like_digits, size, top, left):
    for digit in mnist_like_digits:
        canvas = np.zeros((CANVAS, CANVAS), dtype=np.float32)
        canvas[top : top + size, left : left + size] = area_resample(digit, (size, size))
        image = preprocess_drawing(canvas).image
        assert np.abs(image - digit).mean() < 0.05


def test_a_28x28_digit_enlarged_8_times_comes_back_exactly(mnist_like_digits):
    for digit in mnist_like_digits:
        canvas = np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8)
        canvas[30:254, 40:264, 3] = np.round(np.kron(digit, np.ones((8, 8))) * 255)
        np.testing.assert_allclose(preprocess_drawing(canvas).image, digit, atol=1 / 255)


# Many drawings at once (preprocess_drawings, for a class's drawings answered together)


def pads_of_digits(rng: np.random.Generator) -> list[np.ndarray]:
    """140×140 uint8 pads as the page sends them: pen strokes of many widths, places and lengths, a seven, a bar
    one pixel high, a single pixel, a stroke filling the pad, faint noise beside a stroke, and an empty pad."""
    pads = [
        (pen((140, 140), [tuple(map(tuple, rng.uniform(2, 138, (2, 2))))], rng.uniform(2, 20)) * 255) for _ in range(40)
    ]
    pads.append(pen((140, 140), [((20, 35), (20, 105)), ((20, 105), (120, 60))], 9) * 255)
    bar = np.zeros((140, 140))
    bar[70, 10:130] = 255
    dot = np.zeros((140, 140))
    dot[3, 137] = 200
    full = np.full((140, 140), 0.0)
    full[:, 60:80] = 255
    full[0, :] = 255
    noisy = pen((140, 140), [((30, 30), (100, 90))], 8) * 255 + rng.uniform(0, 10, (140, 140))
    return [
        np.rint(np.minimum(pad, 255)).astype(np.uint8) for pad in [*pads, bar, dot, full, noisy, np.zeros((140, 140))]
    ]


def test_drawings_preprocessed_together_get_each_drawings_own_stages(rng):
    pads = pads_of_digits(rng)
    for alone, together in zip(map(preprocess_drawing, pads), preprocess_drawings(np.stack(pads)), strict=True):
        assert (alone.box, alone.offset) == (together.box, together.offset)
        np.testing.assert_array_equal(together.ink, alone.ink)
        if alone.image is None:
            assert together.image is None and together.crop is None
            continue
        np.testing.assert_array_equal(together.crop, alone.crop)
        np.testing.assert_allclose(together.scaled, alone.scaled, atol=1e-5)
        np.testing.assert_allclose(together.image, alone.image, atol=1e-5)
        np.testing.assert_allclose(together.center_of_mass, alone.center_of_mass, atol=1e-4)
        assert together.image.dtype == np.float32 and together.image.shape == (28, 28)


def test_light_pads_are_read_with_their_polarity_together_as_alone(rng):
    pads = [255 - pad for pad in pads_of_digits(rng)[:6]] + [np.full((140, 140), 128, np.uint8)]
    pads[1][pads[1] > 128] = 200  # a grey paper: its level is removed and the rest stretched
    for alone, together in zip(map(preprocess_drawing, pads), preprocess_drawings(np.stack(pads)), strict=True):
        np.testing.assert_allclose(together.ink, alone.ink, atol=1e-6)
        assert together.box == alone.box
        if alone.image is not None:
            np.testing.assert_allclose(together.image, alone.image, atol=1e-5)
