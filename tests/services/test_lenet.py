"""LeNet in action, the service: real digits through the shipped weights, checked against the engine itself
(forward, backward, receptive_fields) and against finite differences; teaching touches only a private copy."""

from dataclasses import asdict

import numpy as np
import pytest

from app.data.drawing import preprocess_drawing, raw_downscale
from app.data.mnist import Mnist
from app.models.lenet import lenet5, load_lenet5
from app.nn import Sequential, numerical_gradient, relative_error, softmax
from app.services.lenet import (
    STAGES,
    LeNetSession,
    NoSuchUnit,
    NothingDrawn,
    Unit,
    prepare,
    read,
    receptive_field_table,
    teach,
    weight_sharing_copy,
)
from app.wire.frames import unpack_frame

TRACE_SOURCES = {
    "conv1": "relu1",
    "pool1": "pool1",
    "conv2": "relu2",
    "pool2": "pool2",
    "fc1": "relu3",
    "fc2": "relu4",
    "fc3": "fc3",
}


@pytest.fixture(scope="module")
def shipped() -> Sequential:
    """LeNet-5 with the shipped weights, never run directly by the code under test."""
    return load_lenet5()[0]


@pytest.fixture(scope="module")
def digits(mnist: Mnist) -> tuple[np.ndarray, np.ndarray]:
    """The first 20 official test digits as LeNet inputs in [0, 1], and their labels."""
    return mnist.test_images[:20].astype(np.float32) / 255, mnist.test_labels[:20]


def without_ties(image: np.ndarray) -> np.ndarray:
    """image in float64 with a little noise, so no two pooled values tie (a tie is a kink finite differences
    straddle: saturated MNIST strokes give equal neighbouring conv outputs)."""
    return image.astype(np.float64) + np.random.default_rng(5).uniform(0, 1e-3, image.shape)


def in_float64(model: Sequential) -> Sequential:
    """The same network computing in float64, for finite differences."""
    twin = lenet5(np.random.default_rng(0), dtype=np.float64)
    for name, value in twin.params().items():
        value[...] = model.params()[name]
    return twin


def canvas_with_a_bar(size: int = 140) -> np.ndarray:
    """A canvas with one upright stroke, ink 255 on 0: LeNet reads it as a 1."""
    canvas = np.zeros((size, size), np.uint8)
    canvas[size // 5 : size * 4 // 5, size // 2 - 6 : size // 2 + 6] = 255
    return canvas


def test_reading_equals_the_engines_forward_pass_on_real_digits(shipped: Sequential, digits) -> None:
    images, labels = digits
    reference = shipped.forward(images[:, None])
    predictions = []
    for image, scores in zip(images, reference, strict=True):
        reading = read(weight_sharing_copy(shipped), image)
        np.testing.assert_allclose(reading.scores, scores, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(reading.probabilities, softmax(scores[None])[0], rtol=1e-5, atol=1e-7)
        assert reading.prediction == scores.argmax() and reading.gradients is None
        predictions.append(reading.prediction)
    assert (np.array(predictions) == labels).sum() >= 19  # test digit 18, a 3, is read as an 8


def test_every_stage_is_the_output_of_its_engine_layer(shipped: Sequential, digits) -> None:
    image = digits[0][0]
    reading = read(weight_sharing_copy(shipped), image)
    shipped.forward(image[None, None], trace=True)
    outputs = {record.name: record.output[0] for record in shipped.trace}
    np.testing.assert_array_equal(reading.activations["input"], image[None])
    for stage, source in TRACE_SOURCES.items():
        np.testing.assert_allclose(reading.activations[stage], outputs[source], rtol=1e-6, atol=1e-6)
    shapes = {name: values.shape for name, values in reading.activations.items()}
    assert shapes == {
        "input": (1, 28, 28),
        "conv1": (6, 28, 28),
        "pool1": (6, 14, 14),
        "conv2": (16, 10, 10),
        "pool2": (16, 5, 5),
        "fc1": (120,),
        "fc2": (84,),
        "fc3": (10,),
    }


def test_gradients_equal_the_engines_backward_pass(shipped: Sequential, digits) -> None:
    image = digits[0][1]
    reading = read(weight_sharing_copy(shipped), image, explain=True, target=3)
    scores = shipped.forward(image[None, None], trace=True)
    dout = np.zeros_like(scores)
    dout[0, 3] = 1
    dx = shipped.backward(dout)
    np.testing.assert_array_equal(reading.gradients["input"], dx[0])
    trace = {record.name: record for record in shipped.trace}
    for stage, source in TRACE_SOURCES.items():
        np.testing.assert_array_equal(reading.gradients[stage], trace[source].grad_output[0])
    assert reading.target == 3


def test_explaining_defaults_to_the_predicted_class(shipped: Sequential, digits) -> None:
    images, labels = digits
    reading = read(weight_sharing_copy(shipped), images[2], explain=True)
    assert reading.target == reading.prediction == labels[2]
    np.testing.assert_array_equal(reading.gradients["fc3"], np.eye(10)[labels[2]])


def test_saliency_matches_finite_differences_on_input_pixels(shipped: Sequential, digits) -> None:
    model = in_float64(shipped)
    image = without_ties(digits[0][0])
    target = int(digits[1][0])
    saliency = read(model, image, explain=True, target=target).gradients["input"][0]
    pixels = np.argsort(np.abs(saliency).ravel())[-6:]  # where the score is most sensitive
    x = image.copy()

    def score() -> float:
        return float(model.forward(x[None, None])[0, target])

    numeric = numerical_gradient(score, x)
    rows, cols = np.unravel_index(pixels, x.shape)
    assert relative_error(saliency[rows, cols], numeric[rows, cols]) < 1e-6
    assert np.abs(saliency[rows, cols]).min() > 1e-3


def test_gradient_at_pool1_matches_finite_differences_through_the_rest_of_the_network(
    shipped: Sequential, digits
) -> None:
    model = in_float64(shipped)
    image = without_ties(digits[0][3])
    reading = read(model, image, explain=True)
    pool1 = reading.activations["pool1"].copy()[None]
    rest = Sequential(model.layers[3:])  # conv2 onwards

    def score() -> float:
        return float(rest.forward(pool1)[0, reading.target])

    units = np.argsort(np.abs(reading.gradients["pool1"]).ravel())[-5:]
    numeric = numerical_gradient(score, pool1)[0].ravel()[units]
    assert relative_error(reading.gradients["pool1"].ravel()[units], numeric) < 1e-6


def test_receptive_fields_come_from_the_engines_receptive_fields(shipped: Sequential) -> None:
    table = receptive_field_table(shipped)
    from_input = shipped.receptive_fields()
    for stage in STAGES[1:5]:
        field = {key: value for key, value in table[stage.name]["input"].items() if key != "channels"}
        assert field == asdict(from_input[TRACE_SOURCES[stage.name]])
    after_pool1 = Sequential(shipped.layers[3:]).receptive_fields()
    assert table["conv2"]["pool1"] == {**asdict(after_pool1["relu2"]), "channels": "all"}
    assert table["conv2"]["input"]["size"] == 14
    assert table["pool1"]["conv1"] == {"size": 2, "jump": 2, "start": 0, "channels": "same"}
    assert set(table) == {"conv1", "pool1", "conv2", "pool2"}


def test_a_conv2_unit_depends_only_on_the_input_pixels_of_its_field(shipped: Sequential) -> None:
    field = receptive_field_table(shipped)["conv2"]["input"]
    prefix = Sequential(weight_sharing_copy(shipped).layers[:4])  # conv1 relu1 pool1 conv2
    x = np.random.default_rng(3).uniform(0, 1, (1, 1, 28, 28)).astype(np.float32)
    out = prefix.forward(x)
    for channel, row, col in [(0, 4, 4), (7, 0, 9), (15, 9, 0)]:
        dout = np.zeros_like(out)
        dout[0, channel, row, col] = 1
        support = np.argwhere(prefix.backward(dout)[0, 0] != 0)
        first_row, first_col = field["start"] + row * field["jump"], field["start"] + col * field["jump"]
        assert support[:, 0].min() >= first_row and support[:, 0].max() <= first_row + field["size"] - 1
        assert support[:, 1].min() >= first_col and support[:, 1].max() <= first_col + field["size"] - 1


def test_prepare_uses_the_drawing_preprocessing_or_the_raw_downscale() -> None:
    canvas = canvas_with_a_bar()
    np.testing.assert_array_equal(prepare(canvas, "mnist").image, preprocess_drawing(canvas).image)
    np.testing.assert_array_equal(prepare(canvas, "raw").image, raw_downscale(canvas))
    assert prepare(canvas, "mnist").drawing["box"] == (28, 64, 112, 76)
    assert prepare(np.zeros((140, 140), np.uint8), "raw").empty


def test_draw_frame_carries_exact_probabilities_and_every_stage(shipped: Sequential) -> None:
    session = LeNetSession(shipped)
    header, arrays = unpack_frame(session.draw(canvas_with_a_bar(), "mnist", explain=False, target=None, seq=41))
    reading = read(weight_sharing_copy(shipped), preprocess_drawing(canvas_with_a_bar()).image)
    assert header["type"] == "prediction" and header["seq"] == 41 and not header["empty"]
    assert header["prediction"] == reading.prediction == 1
    assert header["probabilities"] == reading.probabilities.tolist()
    assert header["model"] == "shared" and header["explain"] is None
    assert list(arrays) == [stage.name for stage in STAGES]
    for name, values in reading.activations.items():
        span = float(values.max() - values.min())
        np.testing.assert_allclose(arrays[name], values, atol=span / 255 / 2 + 1e-6)


def test_explained_frame_adds_a_gradient_map_per_stage(shipped: Sequential) -> None:
    header, arrays = unpack_frame(LeNetSession(shipped).draw(canvas_with_a_bar(), "mnist", True, 7, 0))
    assert header["explain"]["target"] == 7
    assert header["explain"]["score"] == pytest.approx(header["scores"][7])
    assert [name for name in arrays if name.startswith("grad.")] == [f"grad.{stage.name}" for stage in STAGES]
    assert arrays["grad.input"].shape == (1, 28, 28) and np.abs(arrays["grad.input"]).max() > 0


def test_a_conv1_units_computation_is_its_window_times_its_kernel_plus_the_bias(shipped: Sequential) -> None:
    session = LeNetSession(shipped)
    header, _ = unpack_frame(session.draw(canvas_with_a_bar(), "mnist", False, None, 0, Unit("conv1", 3, 0, 12)))
    unit = header["unit"]
    image = preprocess_drawing(canvas_with_a_bar()).image
    kernel = shipped.layer("conv1").params["w"][3]
    assert unit["previous"] == "input" and unit["rows"] == [-2, 2] and unit["cols"] == [10, 14]
    padding = np.array(unit["padding"])
    assert padding[:2].all() and not padding[2:].any()  # rows −2 and −1 lie outside the image: zero padding
    window = np.array(unit["window"], np.float32)
    np.testing.assert_array_equal(window[0, 2:], image[0:3, 10:15])
    assert not window[0, :2].any()
    np.testing.assert_array_equal(np.array(unit["kernel"], np.float32), kernel)
    np.testing.assert_array_equal(np.array(unit["products"], np.float32), window * kernel)
    engine = weight_sharing_copy(shipped)
    engine.forward(image.reshape(1, 1, 28, 28), trace=True)
    assert unit["z"] == float(engine.trace[0].output[0, 3, 0, 12])  # conv1's own output, before relu1
    assert unit["sum"] == pytest.approx(unit["z"], abs=1e-5)
    assert unit["sum"] == pytest.approx(sum(unit["subtotals"]) + unit["bias"])
    assert unit["value"] == pytest.approx(max(unit["z"], 0.0))


def test_a_conv2_unit_reads_a_window_of_all_six_pool1_maps(shipped: Sequential) -> None:
    session = LeNetSession(shipped)
    header, _ = unpack_frame(session.draw(canvas_with_a_bar(), "mnist", False, None, 0, Unit("conv2", 5, 4, 4)))
    unit = header["unit"]
    reading = read(weight_sharing_copy(shipped), preprocess_drawing(canvas_with_a_bar()).image)
    assert unit["previous"] == "pool1" and unit["rows"] == [4, 8] and not np.array(unit["padding"]).any()
    np.testing.assert_array_equal(np.array(unit["window"], np.float32), reading.activations["pool1"][:, 4:9, 4:9])
    assert len(unit["subtotals"]) == 6
    assert unit["sum"] == pytest.approx(unit["z"], abs=1e-5)
    assert unit["value"] == float(reading.activations["conv2"][5, 4, 4])


@pytest.mark.parametrize("unit", [Unit("pool1", 0, 0, 0), Unit("conv1", 6, 0, 0), Unit("conv2", 0, 10, 0)])
def test_only_units_of_conv_stages_can_be_zoomed_into(shipped: Sequential, unit: Unit) -> None:
    session = LeNetSession(shipped)
    with pytest.raises(NoSuchUnit):
        session.draw(canvas_with_a_bar(), "mnist", False, None, 0, unit)
    assert session.model.trace is None  # the pass is released all the same


def test_an_empty_pad_has_no_unit_to_zoom_into(shipped: Sequential) -> None:
    blank = np.zeros((140, 140), np.uint8)
    header, _ = unpack_frame(LeNetSession(shipped).draw(blank, "mnist", False, None, 0, Unit("conv1", 0, 0, 0)))
    assert header["empty"] and header["unit"] is None


def test_a_session_keeps_no_arrays_of_its_last_pass_and_answers_the_same_again(shipped: Sequential) -> None:
    session = LeNetSession(shipped)
    first = unpack_frame(session.draw(canvas_with_a_bar(), "mnist", True, None, 0))
    assert session.model.trace is None
    assert all(layer.cache is None and not layer.grads for layer in session.model.layers)
    again = unpack_frame(session.draw(canvas_with_a_bar(), "mnist", True, None, 0))
    assert again[0]["probabilities"] == first[0]["probabilities"]
    for name, values in first[1].items():
        np.testing.assert_array_equal(again[1][name], values)


def test_an_empty_canvas_gets_no_prediction_and_cannot_be_taught(shipped: Sequential) -> None:
    session = LeNetSession(shipped)
    header, arrays = unpack_frame(session.draw(np.zeros((140, 140), np.uint8), "mnist", True, None, 0))
    assert header["empty"] and header["prediction"] is None and header["probabilities"] is None
    assert arrays == {}
    with pytest.raises(NothingDrawn):
        session.teach(np.zeros((140, 140), np.uint8), "mnist", 3, 1, 0.001)


def test_teaching_moves_only_the_private_copy_and_reset_restores_the_shared_weights(
    shipped: Sequential, digits
) -> None:
    image, label = digits[0][0], int(digits[1][0])
    original = {name: value.copy() for name, value in shipped.params().items()}
    canvas = (image * 255).astype(np.uint8)
    session, bystander = LeNetSession(shipped), LeNetSession(shipped)
    wrong = (label + 1) % 10
    lesson = session.teach(canvas, "mnist", wrong, 3, 0.001)
    for name, value in shipped.params().items():
        np.testing.assert_array_equal(value, original[name])
    assert lesson.after[wrong] > lesson.before[wrong] and lesson.loss_after < lesson.loss_before
    taught = session.model.params()
    for movement in lesson.moved:
        delta = np.concatenate([(taught[k] - original[k]).ravel() for k in taught if k.startswith(movement.layer)])
        assert movement.change == pytest.approx(float(np.linalg.norm(delta)), rel=1e-5)
        assert movement.change > 0
    assert session.state == {"model": "taught", "taught_steps": 3}
    header, _ = unpack_frame(session.draw(canvas, "mnist", False, None, 0))
    assert header["model"] == "taught"
    np.testing.assert_allclose(header["probabilities"], lesson.after, rtol=1e-5, atol=1e-7)
    header, _ = unpack_frame(bystander.draw(canvas, "mnist", False, None, 0))
    assert header["model"] == "shared" and header["prediction"] == label
    session.reset()
    assert session.state == {"model": "shared", "taught_steps": 0}
    assert all(session.model.params()[name] is value for name, value in shipped.params().items())
    header, _ = unpack_frame(session.draw(canvas, "mnist", False, None, 0))
    assert header["prediction"] == label


def test_teach_is_plain_sgd_on_cross_entropy(shipped: Sequential, digits) -> None:
    image, label = digits[0][4], int(digits[1][4])
    model = weight_sharing_copy(shipped, private=True)
    reference = weight_sharing_copy(shipped, private=True)
    lesson = teach(model, image, label, steps=1, lr=0.01)
    logits = reference.forward(image[None, None])
    probabilities = softmax(logits)
    dlogits = probabilities - np.eye(10)[[label]]
    reference.backward(dlogits.astype(np.float32), input_grad=False)
    for name, value in reference.params().items():
        np.testing.assert_allclose(model.params()[name], value - 0.01 * reference.grads()[name], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(lesson.before, probabilities[0], rtol=1e-6)
    assert lesson.loss_before == pytest.approx(-np.log(probabilities[0, label]), rel=1e-5)


def test_copies_share_the_weights_but_not_the_caches(shipped: Sequential, digits) -> None:
    first, second = weight_sharing_copy(shipped), weight_sharing_copy(shipped)
    assert first.layer("conv1").params["w"] is shipped.layer("conv1").params["w"]
    read(first, digits[0][0])
    read(second, digits[0][1])
    assert first.layer("fc3").cache is not second.layer("fc3").cache
    assert not np.array_equal(first.layer("fc3").cache, second.layer("fc3").cache)
    private = weight_sharing_copy(shipped, private=True)
    assert private.layer("conv1").params["w"] is not shipped.layer("conv1").params["w"]
