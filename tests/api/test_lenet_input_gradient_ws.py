"""/ws/lenet's input-gradient panel with the TestClient: `input_gradient` answered by a `gradient_faces` frame
(saliency, gradient × input, FGSM and its smallest ε, the iterated attack), `dream` by a `dreamt` frame, latest
wins for the ε slider, and typed errors that leave the connection usable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

import app.services.input_gradient_frames as frames_module
from app.models.lenet import load_lenet5
from app.services.input_gradient_frames import epsilon_free
from app.services.input_gradients import Objective, dream, fgsm, saliency, smallest_flip
from app.services.lenet import LeNetSession, prepare
from app.wire.frames import pack_frame, unpack_frame
from app.wire.protocol import PROTOCOL_VERSION


def bar(size: int = 140) -> np.ndarray:
    """A canvas of ink levels with one upright stroke (a "1")."""
    canvas = np.zeros((size, size), np.uint8)
    canvas[size // 5 : size * 4 // 5, size // 2 - 6 : size // 2 + 6] = 255
    return canvas


def request(kind: str, canvas: np.ndarray, **fields: Any) -> bytes:
    """A binary request carrying a drawing, as the page's encodeFrame sends it."""
    return pack_frame({"type": kind, **fields}, {"canvas": canvas.astype(np.float32)}, u8=frozenset({"canvas"}))


@pytest.fixture
def ws(client: TestClient) -> Iterator:
    with client.websocket_connect("/ws/lenet") as socket:
        socket.send_json({"type": "hello", "version": PROTOCOL_VERSION})
        assert socket.receive_json()["type"] == "welcome"
        yield socket


def frame(socket: Any) -> tuple[dict, dict]:
    """The next message, which must be a binary frame."""
    message = socket.receive()
    assert message.get("bytes") is not None, f"expected a binary frame, got {message.get('text')}"
    return unpack_frame(message["bytes"])


def test_gradient_faces_are_the_services_numbers(ws: Any) -> None:
    """The header's readings, scales and ε are the service's own for the same drawing; the pictures are its
    arrays within a u8 step."""
    ws.send_bytes(request("input_gradient", bar(), epsilon=0.2, seq=7))
    header, arrays = frame(ws)
    model = load_lenet5()[0]
    image = prepare(bar()).image
    assert image is not None
    faces, attack = saliency(model, image), fgsm(model, image, 0.2)
    assert header["type"] == "gradient_faces" and header["seq"] == 7 and not header["empty"]
    assert header["prediction"] == attack.prediction == 1
    assert header["saliency"]["target"] == 1
    assert header["saliency"]["scale"] == pytest.approx(np.abs(faces.gradient).max())
    assert header["fgsm"]["epsilon"] == 0.2 and header["fgsm"]["prediction"] == attack.one_shot.prediction
    assert header["fgsm"]["smallest_epsilon"] == smallest_flip(model, image)
    assert header["iterated"]["prediction"] != 1 and header["iterated"]["steps"] >= 1
    np.testing.assert_allclose(arrays["perturbation"][0], attack.one_shot.perturbation, atol=0.4 / 255 + 1e-6)
    np.testing.assert_allclose(arrays["saliency"][0], faces.gradient / np.abs(faces.gradient).max(), atol=1 / 255)
    assert set(arrays) == {
        "input",
        "saliency",
        "times_input",
        "adversarial",
        "perturbation",
        "iterated",
        "iterated_perturbation",
    }


def test_a_chosen_epsilon_flips_the_reading(ws: Any) -> None:
    """At the smallest ε the server reports, the one-shot example is read as another digit; below it, not."""
    ws.send_bytes(request("input_gradient", bar(), epsilon=0.0))
    header, _ = frame(ws)
    smallest = header["fgsm"]["smallest_epsilon"]
    assert smallest is not None and smallest <= 0.3
    ws.send_bytes(request("input_gradient", bar(), epsilon=smallest))
    assert frame(ws)[0]["fgsm"]["prediction"] != header["prediction"]
    ws.send_bytes(request("input_gradient", bar(), epsilon=0.0))
    assert frame(ws)[0]["fgsm"]["prediction"] == header["prediction"]


def test_an_empty_pad_gets_empty_faces(ws: Any) -> None:
    ws.send_bytes(request("input_gradient", np.zeros((140, 140))))
    header, arrays = frame(ws)
    assert header["empty"] and arrays == {}


def test_the_newest_epsilon_is_always_answered(ws: Any) -> None:
    """Latest wins: a burst of slider moves ends with the last one answered, in order, none twice."""
    for seq in range(1, 11):
        ws.send_bytes(request("input_gradient", bar(), epsilon=seq / 100, seq=seq))
    seqs: list[int] = []
    while not seqs or seqs[-1] != 10:
        seqs.append(frame(ws)[0]["seq"])
    assert seqs == sorted(set(seqs)) and len(seqs) <= 10


def test_dreaming_of_a_class_and_of_a_conv_map(ws: Any) -> None:
    """From blank paper the `dreamt` frame holds the service's snapshots and values; from the drawing too."""
    ws.send_bytes(request("dream", np.zeros((140, 140)), target=3))
    header, arrays = frame(ws)
    expected = dream(load_lenet5()[0], Objective(target=3))
    assert header["type"] == "dreamt" and header["objective"]["target"] == 3 and header["start"] == "blank"
    assert header["values"] == pytest.approx(expected.values) and header["steps"] == expected.steps
    assert header["values"][-1] > header["values"][0]
    np.testing.assert_allclose(arrays["frames"], expected.frames, atol=0.5 / 255 + 1e-6)
    ws.send_bytes(request("dream", bar(), map={"stage": "conv1", "channel": 2}, start="drawing"))
    header, arrays = frame(ws)
    objective = {"target": None, "stage": "conv1", "channel": 2, "label": "centre unit of conv1 map 2"}
    assert header["objective"] == objective
    assert header["values"][-1] > header["values"][0]
    assert arrays["frames"].min() >= 0 and arrays["frames"].max() <= 1 + 1e-6


@pytest.mark.parametrize(
    "message, code, words",
    [
        (request("input_gradient", bar(), epsilon=1.5), "bad_message", "epsilon"),
        (request("input_gradient", bar(), epsilon=-0.1), "bad_message", "epsilon"),
        (request("input_gradient", bar(), label=10), "bad_message", "label"),
        (request("dream", bar(), target=-1), "bad_message", "target"),
        (request("dream", bar(), start="noise"), "bad_message", "start"),
        (request("dream", bar(), map={"stage": "fc1", "channel": 0}), "bad_message", "map"),
        (request("dream", bar(), map={"stage": "conv1", "channel": 6}), "bad_value", "maps 0..5"),
        (request("dream", np.zeros((140, 140)), start="drawing"), "impossible", "draw a digit"),
        (request("input_gradient", np.zeros((401, 20))), "bad_shape", "401×20"),
        ('{"type": "input_gradient", "canvas": [[0]], "epsilon": NaN}', "bad_value", "NaN"),
    ],
    ids=[
        "eps-over-1",
        "eps-negative",
        "label-10",
        "target-negative",
        "start",
        "map-of-fc",
        "map-6",
        "dream-empty",
        "too-big",
        "nan",
    ],
)
def test_hostile_requests_get_typed_errors_and_the_connection_stays_usable(
    ws: Any, message: bytes | str, code: str, words: str
) -> None:
    ws.send_bytes(message) if isinstance(message, bytes) else ws.send_text(message)
    error = ws.receive_json()
    assert error["type"] == "error" and error["code"] == code, error
    assert words in error["message"]
    ws.send_bytes(request("input_gradient", bar(), seq=99))
    assert frame(ws)[0]["seq"] == 99


def test_json_requests_work_too(ws: Any) -> None:
    """Scripts may send the canvas as JSON rows."""
    ws.send_text(json.dumps({"type": "input_gradient", "canvas": bar().tolist(), "target": 4}))
    header, _ = frame(ws)
    assert header["saliency"]["target"] == 4


def test_what_does_not_depend_on_epsilon_is_computed_once_per_drawing_and_lesson(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Moving the slider reuses the smallest ε and the iterated attack; another drawing, label or a lesson does not."""
    calls: list[int | None] = []

    def counted(model: Any, image: np.ndarray, label: int | None = None) -> float | None:
        calls.append(label)
        return smallest_flip(model, image, label)

    monkeypatch.setattr(frames_module, "smallest_flip", counted)
    session = LeNetSession(load_lenet5()[0])
    one, other = prepare(bar()).image, prepare(bar()[::-1].T.copy()).image
    assert one is not None and other is not None
    first = epsilon_free(session, one, None)
    assert epsilon_free(session, one, None) == first and len(calls) == 1
    epsilon_free(session, one, 4)
    epsilon_free(session, other, 4)
    assert len(calls) == 3
    session.teach(bar(), "mnist", 1, 1, 0.01)
    epsilon_free(session, other, 4)
    assert len(calls) == 4


def test_after_a_lesson_the_faces_are_the_taught_copys(ws: Any) -> None:
    """The panel reads this connection's weights: after teaching, its answers say so and its numbers change."""
    ws.send_bytes(request("input_gradient", bar(), epsilon=0.1))
    before, _ = frame(ws)
    ws.send_bytes(request("teach", bar(), label=7, steps=5, lr=0.05))
    assert ws.receive_json()["type"] == "taught"
    assert frame(ws)[0]["type"] == "model"
    ws.send_bytes(request("input_gradient", bar(), epsilon=0.1))
    after, _ = frame(ws)
    assert before["model"] == "shared" and after["model"] == "taught" and after["taught_steps"] == 5
    assert after["probabilities"][7] > before["probabilities"][7]
    assert after["saliency"]["scale"] != before["saliency"]["scale"]
