"""Drawings of many connections answered together (app/services/lenet_together.py): each frame is the one its
connection's LeNetSession.draw makes alone, up to the float rounding of the batched pass, on real MNIST digits;
a taught connection answers with its own weights; answers are kept in and found in the shared answer cache; one
request's problem is its own (LeNetConversation.handle_together)."""

import numpy as np
import pytest

from app.data.mnist import Mnist
from app.models.lenet import load_lenet5
from app.models.shared import SharedModel
from app.nn import Sequential
from app.services.answer_cache import cache_of
from app.services.lenet import LeNetSession, prepare, prepare_many, read, read_many
from app.services.lenet_conversation import LeNetConversation
from app.services.lenet_together import PlainDrawing, draw_together
from app.settings import Settings
from app.wire.frames import unpack_frame
from app.wire.lenet import Draw
from app.wire.protocol import Problem


@pytest.fixture
def shared() -> Sequential:
    """A fresh copy of the shipped LeNet-5 (so its answer cache starts empty)."""
    return load_lenet5()[0]


@pytest.fixture(scope="module")
def canvases(mnist: Mnist) -> list[np.ndarray]:
    """Twelve official test digits drawn on the page's 140×140 pad (each pixel 5×5, placed off-centre)."""
    pads = []
    for index, digit in enumerate(mnist.test_images[:12]):
        pad = np.zeros((140, 140), np.uint8)
        top, left = 5 * (index % 4), 7 * (index % 3)
        pad[top : top + 140 - 20, left : left + 140 - 21] = np.kron(digit, np.ones((5, 5), np.uint8))[:120, :119]
        pads.append(pad)
    return pads


def without_time(frame: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    header, arrays = unpack_frame(frame)
    header.pop("server_ms")
    return header, arrays


def assert_same_answer(together: bytes, alone: bytes) -> None:
    """The same header and maps, up to float rounding: probabilities to 1e-6, the centre of mass to 1e-4 pixels,
    each map to one quantization step."""
    (header, arrays), (expected, expected_arrays) = without_time(together), without_time(alone)
    for field in ("probabilities", "scores"):
        np.testing.assert_allclose(header.pop(field), expected.pop(field), rtol=1e-5, atol=1e-6)
    header.pop("arrays"), expected.pop("arrays")  # their ranges: compared below, as the maps they scale
    if expected["drawing"]["center_of_mass"] is not None:
        centre, expected_centre = header["drawing"].pop("center_of_mass"), expected["drawing"].pop("center_of_mass")
        np.testing.assert_allclose(centre, expected_centre, atol=1e-4)
    assert header == expected
    assert arrays.keys() == expected_arrays.keys()
    for name, values in arrays.items():
        step = (expected_arrays[name].max() - expected_arrays[name].min()) / 255
        np.testing.assert_allclose(values, expected_arrays[name], atol=1.01 * step + 1e-6, err_msg=name)


def test_each_drawing_answered_together_gets_the_frame_it_gets_alone(shared, canvases) -> None:
    sessions = [LeNetSession(shared) for _ in canvases]
    frames = draw_together(
        [PlainDrawing(s, c, "mnist", seq) for seq, (s, c) in enumerate(zip(sessions, canvases, strict=True))]
    )
    cache_of(shared).answers.clear()
    alone = [s.draw(c, "mnist", False, None, seq) for seq, (s, c) in enumerate(zip(sessions, canvases, strict=True))]
    for together_frame, alone_frame in zip(frames, alone, strict=True):
        assert_same_answer(together_frame, alone_frame)
    predictions = [unpack_frame(frame)[0]["prediction"] for frame in frames]
    assert len(set(predictions)) >= 5  # real, different digits


def test_a_batched_reading_is_each_images_own_reading(shared, canvases) -> None:
    images = np.stack([prepare(canvas).image for canvas in canvases])
    for image, reading in zip(images, read_many(LeNetSession(shared).model, images), strict=True):
        alone = read(LeNetSession(shared).model, image)
        np.testing.assert_allclose(reading.probabilities, alone.probabilities, rtol=1e-5, atol=1e-7)
        for name, values in alone.activations.items():
            np.testing.assert_allclose(reading.activations[name], values, rtol=1e-4, atol=1e-5, err_msg=name)


def test_a_taught_connection_answers_with_its_own_weights_beside_the_others(shared, canvases) -> None:
    taught, plain = LeNetSession(shared), LeNetSession(shared)
    taught.teach(canvases[0], "mnist", label=3, steps=5, lr=0.1)
    frames = draw_together(
        [PlainDrawing(taught, canvases[0], "mnist", 1), PlainDrawing(plain, canvases[0], "mnist", 2)]
    )
    (mine, _), (theirs, _) = without_time(frames[0]), without_time(frames[1])
    assert (mine["model"], mine["taught_steps"], theirs["model"]) == ("taught", 5, "shared")
    assert mine["probabilities"][3] > theirs["probabilities"][3]
    header, arrays = without_time(taught.draw(canvases[0], "mnist", False, None, 1))  # alone: exactly the same
    assert mine == header
    for name, values in unpack_frame(frames[0])[1].items():
        np.testing.assert_array_equal(values, arrays[name], err_msg=name)


def test_answers_are_kept_in_the_shared_cache_and_found_there(shared, canvases) -> None:
    sessions = [LeNetSession(shared) for _ in range(3)]
    first = draw_together([PlainDrawing(s, canvases[i], "mnist", i) for i, s in enumerate(sessions)])
    assert len(cache_of(shared).answers) == 3
    again = draw_together([PlainDrawing(sessions[0], canvases[2], "mnist", 2)])  # from the cache: the same maps
    (header, arrays), (kept_header, kept_arrays) = without_time(again[0]), without_time(first[2])
    assert header == kept_header
    assert all(np.array_equal(arrays[name], kept_arrays[name]) for name in kept_arrays)
    alone = sessions[1].draw(canvases[1], "mnist", False, None, 1)  # the single path finds it too
    assert unpack_frame(alone)[1]["conv1"].tobytes() == unpack_frame(first[1])[1]["conv1"].tobytes()
    assert len(cache_of(shared).answers) == 3


def test_an_empty_pad_gets_no_guess_among_drawings(shared, canvases) -> None:
    sessions = [LeNetSession(shared) for _ in range(3)]
    pads = [canvases[0], np.zeros((140, 140), np.uint8), canvases[1]]
    headers = [
        unpack_frame(f)[0]
        for f in draw_together([PlainDrawing(s, p, "mnist", 0) for s, p in zip(sessions, pads, strict=True)])
    ]
    assert [h["empty"] for h in headers] == [False, True, False]
    assert headers[1]["prediction"] is None and headers[0]["prediction"] is not None


def test_one_requests_problem_is_its_own_and_the_others_are_answered(shared, canvases) -> None:
    settings = Settings(lenet_max_canvas=120)
    loaded, missing = SharedModel(shared, {}), SharedModel(None, {}, "no weights here")
    conversations = [LeNetConversation(loaded, settings) for _ in range(2)] + [LeNetConversation(missing, settings)]
    small = canvases[3][10:130, 10:130]
    requests = [
        (conversations[0], Draw(type="draw", canvas=small, seq=1)),
        (conversations[1], Draw(type="draw", canvas=canvases[3], seq=2)),  # 140 > 120
        (conversations[2], Draw(type="draw", canvas=small, seq=3)),
    ]
    first, too_large, unavailable = LeNetConversation.handle_together(requests)
    assert isinstance(first, list) and unpack_frame(first[0])[0]["seq"] == 1
    assert isinstance(too_large, Problem) and too_large.code == "bad_shape"
    assert isinstance(unavailable, Problem) and unavailable.code == "unavailable"


def test_pads_of_other_sizes_and_modes_are_each_prepared_as_alone(shared, canvases) -> None:
    small = canvases[5][20:120, 20:120].copy()  # another size: a group of its own
    floats = canvases[6].astype(np.float32) / 255  # not the page's bytes: prepared alone
    requests = [(canvases[4], "mnist"), (small, "mnist"), (canvases[7], "raw"), (floats, "mnist"), (small, "mnist")]
    together = prepare_many([canvas for canvas, _ in requests], [mode for _, mode in requests])
    for (canvas, mode), answer in zip(requests, together, strict=True):
        alone = prepare(canvas, mode)
        assert (answer.mode, answer.drawing["box"], answer.drawing["size"]) == (
            mode,
            *[alone.drawing[k] for k in ("box", "size")],
        )
        np.testing.assert_allclose(answer.image, alone.image, atol=1e-5)
