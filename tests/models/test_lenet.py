"""LeNet-5 (app.models.lenet): structure, shapes, determinism, dtype, and receptive fields checked by brute force."""

from __future__ import annotations

import numpy as np
import pytest

from app.models.lenet import lenet5
from app.nn.layers import AvgPool2D
from app.nn.sequential import Sequential

REQUIRED = ["conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "fc3"]
SPEC_ORDER = ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1", "relu3", "fc2", "relu4", "fc3"]
ACTIVATION_SHAPES = {
    "conv1": (1, 6, 28, 28),
    "pool1": (1, 6, 14, 14),
    "conv2": (1, 16, 10, 10),
    "pool2": (1, 16, 5, 5),
    "fc1": (1, 120),
    "fc2": (1, 84),
    "fc3": (1, 10),
}
PARAM_SHAPES = {
    "conv1.w": (6, 1, 5, 5),
    "conv1.b": (6,),
    "conv2.w": (16, 6, 5, 5),
    "conv2.b": (16,),
    "fc1.w": (400, 120),
    "fc1.b": (120,),
    "fc2.w": (120, 84),
    "fc2.b": (84,),
    "fc3.w": (84, 10),
    "fc3.b": (10,),
}


def test_lenet5_has_conv_pool_fc_layers_in_order():
    names = [layer.name for layer in lenet5(np.random.default_rng(0)).layers]
    positions = [names.index(n) for n in REQUIRED]  # ValueError if one is missing
    assert positions == sorted(positions)


def test_lenet5_layer_sequence_is_the_specs():
    assert [layer.name for layer in lenet5(np.random.default_rng(0)).layers] == SPEC_ORDER


def test_lenet5_parameter_shapes_and_count():
    params = lenet5(np.random.default_rng(0)).params()
    assert {k: v.shape for k, v in params.items()} == PARAM_SHAPES
    assert sum(v.size for v in params.values()) == 61706


def test_lenet5_activation_shapes_for_one_28x28_image():
    model = lenet5(np.random.default_rng(0))
    out = model.forward(np.random.default_rng(1).random((1, 1, 28, 28), dtype=np.float32), trace=True)
    shapes = {entry.name: entry.output.shape for entry in model.trace}
    for name, shape in ACTIVATION_SHAPES.items():
        assert shapes[name] == shape, name
    assert out.shape == (1, 10)


def test_lenet5_same_seed_gives_same_weights_and_different_seed_different():
    a, b, c = (lenet5(np.random.default_rng(s)).params() for s in (7, 7, 8))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert any(not np.array_equal(a[k], c[k]) for k in a if k.endswith(".w"))


def test_lenet5_is_float32_by_default():
    model = lenet5(np.random.default_rng(0))
    assert all(v.dtype == np.float32 for v in model.params().values())
    out = model.forward(np.zeros((2, 1, 28, 28), dtype=np.float32))
    assert out.dtype == np.float32


def test_lenet5_float64_on_request():
    model = lenet5(np.random.default_rng(0), dtype=np.float64)
    assert all(v.dtype == np.float64 for v in model.params().values())
    assert model.forward(np.zeros((1, 1, 28, 28))).dtype == np.float64


def test_lenet5_without_rng_still_builds():
    model = lenet5()
    assert model.forward(np.zeros((1, 1, 28, 28), dtype=np.float32)).shape == (1, 10)


def test_lenet5_float32_and_float64_same_seed_agree():
    m32 = lenet5(np.random.default_rng(3))
    m64 = lenet5(np.random.default_rng(3), dtype=np.float64)
    for key, v in m32.params().items():
        np.testing.assert_allclose(v, m64.params()[key], rtol=1e-6, atol=1e-7, err_msg=key)


# ---------------------------------------------------------------- receptive fields


def test_lenet5_receptive_field_sizes():
    rfs = lenet5(np.random.default_rng(0)).receptive_fields()
    assert rfs["conv1"].size == 5
    assert rfs["pool1"].size == 6
    assert rfs["conv2"].size == 14
    assert rfs["pool2"].size == 16
    assert [rfs[n].jump for n in ("conv1", "pool1", "conv2", "pool2")] == [1, 2, 2, 4]
    # conv1 is padded by 2, so unit 0's field starts two pixels outside the image
    assert rfs["conv1"].span(0) == (-2, 2)
    assert rfs["pool1"].span(0) == (-2, 3)
    assert rfs["conv2"].span(0) == (-2, 11)
    assert rfs["conv2"].span(9) == (16, 29)
    assert rfs["pool2"].span(4) == (14, 29)


def expected_influence(rf, out_size: int, image: int = 28) -> np.ndarray:
    """mask[u, v, r, c]: True when pixel (r, c) lies in the receptive field of unit (u, v) (span clipped)."""
    mask = np.zeros((out_size, out_size, image, image), dtype=bool)
    for u in range(out_size):
        r0, r1 = rf.span(u)
        for v in range(out_size):
            c0, c1 = rf.span(v)
            mask[u, v, max(r0, 0) : min(r1, image - 1) + 1, max(c0, 0) : min(c1, image - 1) + 1] = True
    return mask


def influence_by_perturbation(model: Sequential, image: np.ndarray, layer: str, delta: float) -> np.ndarray:
    """changed[u, v, r, c]: adding `delta` to pixel (r, c) changes some channel of `layer`'s output at (u, v).

    One forward pass per pixel, batched (784 perturbed copies of the image)."""
    base = model.forward(image[None, None], trace=True)
    del base
    reference = {e.name: e.output for e in model.trace}[layer][0]  # (C, U, V)
    changed = np.zeros(reference.shape[1:] + image.shape, dtype=bool)
    pixels = [(r, c) for r in range(image.shape[0]) for c in range(image.shape[1])]
    for start in range(0, len(pixels), 112):
        chunk = pixels[start : start + 112]
        batch = np.repeat(image[None, None], len(chunk), axis=0)
        for i, (r, c) in enumerate(chunk):
            batch[i, 0, r, c] += delta
        model.forward(batch, trace=True)
        outputs = {e.name: e.output for e in model.trace}[layer]  # (B, C, U, V)
        diff = np.abs(outputs - reference[None]).max(axis=1)  # (B, U, V)
        scale = np.abs(reference).max()
        for i, (r, c) in enumerate(chunk):
            changed[:, :, r, c] = diff[i] > 1e-9 * max(scale, 1.0)
    return changed


@pytest.fixture(scope="module")
def positive_lenet():
    """The real LeNet-5 (ReLU + max-pool) in float64 with all weights in [0.5, 1.5] and positive biases.

    Max-pool and ReLU can hide a pixel's influence (a non-winning input of a pool window, or a unit
    clamped at zero). With positive weights and a positive image every pre-activation is positive (ReLU
    passes everything), and a large *upward* perturbation of a pixel raises every conv unit that sees it by
    far more than the spread of values in any pool window, so that unit becomes its window's winner and
    the change reaches conv2/pool2. Pixels outside the field cannot change the unit at all. So the set of
    pixels that change a unit is exactly its receptive field."""
    model = lenet5(np.random.default_rng(0), dtype=np.float64)
    rng = np.random.default_rng(11)
    for key, value in model.params().items():
        if key.endswith(".w"):
            value[...] = rng.uniform(0.5, 1.5, size=value.shape)
        else:
            value[...] = 0.1
    return model


@pytest.mark.parametrize("layer, size, out", [("conv2", 14, 10), ("pool2", 16, 5), ("conv1", 5, 28), ("pool1", 6, 14)])
def test_lenet5_receptive_field_equals_pixels_that_change_the_unit_maxpool_model(positive_lenet, layer, size, out):
    rf = positive_lenet.receptive_fields()[layer]
    assert rf.size == size
    image = np.random.default_rng(12).random((28, 28))
    changed = influence_by_perturbation(positive_lenet, image, layer, delta=1000.0)
    expected = expected_influence(rf, out)
    assert changed.shape == expected.shape
    # spot checks named for readability: corner, edge, interior units
    for u, v in [(0, 0), (0, out - 1), (out - 1, out - 1), (out // 2, out // 3)]:
        assert np.array_equal(changed[u, v], expected[u, v]), (layer, u, v)
    mismatched = np.argwhere((changed != expected).any(axis=(2, 3)))
    assert mismatched.size == 0, f"{layer} units whose influencing pixels differ from the span: {mismatched[:5]}"
    if layer == "conv2":
        # the corner unit's field is clipped to 12x12 (rows/cols -2..11), an interior one is the full 14x14
        assert changed[0, 0].sum() == 12 * 12
        assert changed[5, 5].sum() == 14 * 14


def test_lenet5_conv2_receptive_field_with_signed_weights_and_average_pools():
    """Same geometry with random signed weights: max-pool would hide non-winners, so the pools are replaced by
    AvgPool2D of the same kernel/stride (every input of a window then reaches the output) and the ReLUs are
    dropped (a clamped unit would hide its inputs). The map image -> conv2 is then linear and every pixel in
    the field has a nonzero (almost surely) coefficient, every pixel outside it exactly none."""
    lenet = lenet5(np.random.default_rng(4), dtype=np.float64)
    probe = Sequential([lenet.layer("conv1"), AvgPool2D(2, name="avg1"), lenet.layer("conv2")])
    image = np.random.default_rng(13).standard_normal((28, 28))
    changed = influence_by_perturbation(probe, image, "conv2", delta=1.0)
    expected = expected_influence(lenet.receptive_fields()["conv2"], 10)
    assert np.array_equal(changed[0, 0], expected[0, 0])
    assert np.array_equal(changed[9, 0], expected[9, 0])
    assert np.array_equal(changed, expected)
