"""/ws/lenet with the TestClient: drawings in JSON and binary frames, explanations, lessons, and hostile messages
that get typed errors while the connection stays usable."""

import json
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.models.lenet import load_lenet5
from app.server.app import create_app
from app.services.lenet import STAGES, prepare, read
from app.settings import Settings
from app.wire.frames import pack_frame, unpack_frame
from app.wire.protocol import PROTOCOL_VERSION


def bar(size: int = 140) -> np.ndarray:
    """A canvas of ink levels with one upright stroke (a "1")."""
    canvas = np.zeros((size, size), np.uint8)
    canvas[size // 5 : size * 4 // 5, size // 2 - 6 : size // 2 + 6] = 255
    return canvas


def ring(size: int = 140) -> np.ndarray:
    """A canvas with a ring (a "0")."""
    y, x = np.mgrid[:size, :size] - size / 2
    radius = np.hypot(y / 1.3, x)
    return ((radius > size * 0.22) & (radius < size * 0.3)).astype(np.uint8) * 255


def draw_frame(canvas: np.ndarray, **fields) -> bytes:
    """A binary draw message, as the page's encodeFrame sends it."""
    return pack_frame({"type": "draw", **fields}, {"canvas": canvas.astype(np.float32)}, u8=frozenset({"canvas"}))


@pytest.fixture
def ws(client: TestClient) -> Iterator:
    with client.websocket_connect("/ws/lenet") as socket:
        socket.send_json({"type": "hello", "version": PROTOCOL_VERSION})
        assert socket.receive_json()["type"] == "welcome"
        yield socket


def frame(socket) -> tuple[dict, dict]:
    """The next message, which must be a binary frame."""
    message = socket.receive()
    assert message.get("bytes") is not None, f"expected a binary frame, got {message.get('text')}"
    return unpack_frame(message["bytes"])


def test_welcome_names_the_limits(client: TestClient) -> None:
    with client.websocket_connect("/ws/lenet") as socket:
        socket.send_json({"type": "hello", "version": PROTOCOL_VERSION})
        assert socket.receive_json()["limits"] == {"max_canvas": 400, "teach_max_steps": 20, "classes": 10}


def test_describe_sends_stages_fields_and_kernels(ws) -> None:
    ws.send_json({"type": "describe"})
    header, arrays = frame(ws)
    assert header["type"] == "model" and header["model"] == "shared"
    assert [stage["name"] for stage in header["stages"]] == [stage.name for stage in STAGES]
    assert header["fields"]["conv2"]["input"] == {"size": 14, "jump": 2, "start": -2, "channels": "all"}
    assert header["test_accuracy"] > 0.99
    shipped = load_lenet5()[0]
    np.testing.assert_array_equal(arrays["conv1.w"], shipped.layer("conv1").params["w"])
    assert arrays["fc1.w"].shape == (120, 400)


def test_a_json_drawing_is_answered_with_one_prediction_frame(ws) -> None:
    ws.send_json({"type": "draw", "canvas": bar().tolist(), "seq": 7})
    header, arrays = frame(ws)
    expected = read(load_lenet5()[0], prepare(bar()).image)
    assert header["seq"] == 7 and header["prediction"] == expected.prediction == 1
    # drawings are read together with other sockets' (app/services/lenet_together.py): the same up to float rounding
    np.testing.assert_allclose(header["probabilities"], expected.probabilities, rtol=1e-4, atol=1e-9)
    assert list(arrays) == [stage.name for stage in STAGES]
    assert header["drawing"]["box"] == [28, 64, 112, 76]


def test_binary_drawings_of_a_one_and_a_zero(ws) -> None:
    for canvas, digit in [(bar(), 1), (ring(), 0)]:
        ws.send_bytes(draw_frame(canvas))
        header, _ = frame(ws)
        assert header["prediction"] == digit


def test_the_browsers_frame_reads_exactly_as_the_same_drawing_in_json(ws) -> None:
    """The page's encodeFrame sends the canvas as u8 with one range [0]..[255]: the server reads those codes as the
    ink levels themselves, so the answer is the JSON drawing's to the last bit."""
    canvas = ring()
    canvas[40:60, 30:90] = 128
    entry = {"name": "canvas", "shape": list(canvas.shape), "dtype": "u8", "offset": 0, "lo": [0], "hi": [255]}
    text = json.dumps({"type": "draw", "seq": 1, "arrays": [entry]}, separators=(",", ":")).encode()
    text += b" " * (-(4 + len(text)) % 4)
    ws.send_bytes(struct.pack("<I", len(text)) + text + canvas.tobytes())
    binary, binary_maps = frame(ws)
    ws.send_json({"type": "draw", "canvas": canvas.tolist(), "seq": 2})
    rows, rows_maps = frame(ws)
    assert binary["probabilities"] == rows["probabilities"] and binary["drawing"] == rows["drawing"]
    for name in binary_maps:
        np.testing.assert_array_equal(binary_maps[name], rows_maps[name])


def test_a_drawing_sent_at_pen_up_is_answered_like_any_other_and_final_must_be_a_boolean(ws) -> None:
    ws.send_bytes(draw_frame(bar(), seq=5, final=True))
    header, _ = frame(ws)
    assert header["seq"] == 5 and header["prediction"] == 1
    ws.send_bytes(draw_frame(bar(), seq=6, final="yes"))
    error = ws.receive_json()
    assert error["type"] == "error" and error["code"] == "bad_message" and "final" in error["message"]


def test_an_empty_pad_gets_no_guess(ws) -> None:
    ws.send_bytes(draw_frame(np.zeros((140, 140), np.uint8), explain=True))
    header, arrays = frame(ws)
    assert header["empty"] is True and header["prediction"] is None and arrays == {}


def test_explain_adds_gradients_for_the_chosen_class(ws) -> None:
    ws.send_bytes(draw_frame(bar(), explain=True))
    header, arrays = frame(ws)
    assert header["explain"]["target"] == 1 and "grad.input" in arrays
    ws.send_bytes(draw_frame(bar(), explain=True, target=7))
    header7, arrays7 = frame(ws)
    assert header7["explain"]["target"] == 7
    assert not np.allclose(arrays["grad.input"], arrays7["grad.input"])


def test_a_zoomed_conv_unit_comes_with_its_computation(ws) -> None:
    ws.send_bytes(draw_frame(bar(), unit={"stage": "conv2", "channel": 3, "row": 4, "col": 5}))
    header, _ = frame(ws)
    unit = header["unit"]
    assert (unit["stage"], unit["channel"], unit["row"], unit["col"], unit["previous"]) == ("conv2", 3, 4, 5, "pool1")
    assert np.array(unit["window"]).shape == np.array(unit["kernel"]).shape == (6, 5, 5)
    assert unit["sum"] == pytest.approx(unit["z"], abs=1e-5)
    ws.send_bytes(draw_frame(bar()))
    assert frame(ws)[0]["unit"] is None


def test_raw_preprocessing_is_used_when_asked(ws) -> None:
    ws.send_bytes(draw_frame(bar(), preprocess="raw"))
    header, arrays = frame(ws)
    assert header["preprocess"] == "raw"
    expected = prepare(bar(), "raw").image
    np.testing.assert_allclose(arrays["input"][0], expected, atol=1 / 255)


def test_teaching_changes_only_this_connection_and_reset_restores(client: TestClient, ws) -> None:
    ws.send_json({"type": "teach", "canvas": bar().tolist(), "label": 7, "steps": 5, "lr": 0.003})
    taught = ws.receive_json()
    assert taught["type"] == "taught" and taught["label"] == 7 and taught["taught_steps"] == 5
    assert taught["after"][7] > taught["before"][7]
    assert [m["layer"] for m in taught["moved"]] == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    header, _ = frame(ws)
    assert header["type"] == "model" and header["model"] == "taught"
    ws.send_bytes(draw_frame(bar()))
    header, _ = frame(ws)
    assert header["model"] == "taught" and header["probabilities"][7] == pytest.approx(taught["after"][7], rel=1e-4)
    with client.websocket_connect("/ws/lenet") as other:
        other.send_json({"type": "hello", "version": PROTOCOL_VERSION})
        other.receive_json()
        other.send_bytes(draw_frame(bar()))
        header, _ = frame(other)
        assert header["model"] == "shared" and header["prediction"] == 1
    ws.send_json({"type": "reset"})
    header, _ = frame(ws)
    assert header["type"] == "model" and header["model"] == "shared" and header["taught_steps"] == 0
    ws.send_bytes(draw_frame(bar()))
    assert frame(ws)[0]["prediction"] == 1


UNIT = {"stage": "conv2", "channel": 0, "row": 0, "col": 0}


def nan_frame() -> bytes:
    canvas = np.zeros((140, 140), np.float32)
    canvas[5, 5] = np.nan
    return pack_frame({"type": "draw"}, {"canvas": canvas})


@pytest.mark.parametrize(
    "message, code, words",
    [
        ("{draw", "bad_json", "not JSON"),
        (json.dumps({"type": "paint"}), "bad_message", "unknown message type 'paint'"),
        (json.dumps({"type": "draw"}), "bad_message", "canvas"),
        (json.dumps({"type": "draw", "canvas": [[0, 255]], "brush": 3}), "bad_message", "brush"),
        (json.dumps({"type": "draw", "canvas": [0, 255, 0]}), "bad_shape", "2-D"),
        (json.dumps({"type": "draw", "canvas": [[0, 255], [0]]}), "bad_shape", "rectangular"),
        (json.dumps({"type": "draw", "canvas": [[0, 300]]}), "bad_value", "0..255"),
        (json.dumps({"type": "draw", "canvas": [[0, -1]]}), "bad_value", "0..255"),
        (json.dumps({"type": "draw", "canvas": [["a"]]}), "bad_value", "numbers"),
        ('{"type": "draw", "canvas": [[NaN]]}', "bad_value", "NaN"),
        (nan_frame(), "bad_value", "NaN or infinite"),
        (draw_frame(np.zeros((401, 20))), "bad_shape", "401×20"),
        (json.dumps({"type": "draw", "canvas": [[0]], "target": 10}), "bad_message", "target"),
        (json.dumps({"type": "draw", "canvas": [[0]], "explain": "yes"}), "bad_message", "explain"),
        (json.dumps({"type": "draw", "canvas": [[0]], "preprocess": "blur"}), "bad_message", "preprocess"),
        (json.dumps({"type": "draw", "canvas": [[0]], "unit": {**UNIT, "stage": "pool1"}}), "bad_message", "unit"),
        (json.dumps({"type": "draw", "canvas": bar().tolist(), "unit": {**UNIT, "channel": 16}}), "bad_value", "0..15"),
        (json.dumps({"type": "teach", "canvas": [[0]], "label": 3, "steps": 0, "lr": 0.01}), "bad_message", "steps"),
        (
            json.dumps({"type": "teach", "canvas": [[0]], "label": 3, "steps": 21, "lr": 0.01}),
            "bad_value",
            "at most 20",
        ),
        (json.dumps({"type": "teach", "canvas": [[0]], "label": 3, "steps": 1, "lr": 5}), "bad_value", "at most 0.1"),
        (
            json.dumps({"type": "teach", "canvas": [[0]], "label": 3, "steps": 1, "lr": 0.01}),
            "impossible",
            "draw a digit",
        ),
        (b"\x01\x00", "bad_message", "binary frame"),
    ],
    ids=[
        "not-json",
        "unknown-type",
        "no-canvas",
        "extra-field",
        "1-d",
        "ragged",
        "too-much-ink",
        "negative",
        "strings",
        "json-nan",
        "binary-nan",
        "too-big",
        "target-10",
        "explain-string",
        "preprocess",
        "unit-of-a-pool",
        "unit-map-16",
        "steps-0",
        "steps-over-limit",
        "lr-over-limit",
        "teach-empty",
        "broken-frame",
    ],
)
def test_hostile_messages_get_typed_errors_and_the_connection_stays_usable(ws, message, code: str, words: str) -> None:
    ws.send_bytes(message) if isinstance(message, bytes) else ws.send_text(message)
    error = ws.receive_json()
    assert error["type"] == "error" and error["code"] == code, error
    assert words in error["message"]
    ws.send_bytes(draw_frame(bar(), seq=99))
    header, _ = frame(ws)
    assert header["seq"] == 99 and header["prediction"] == 1


def test_the_newest_drawing_is_always_answered(ws) -> None:
    for seq in range(1, 21):
        ws.send_bytes(draw_frame(bar(), seq=seq))
    seqs = []
    while not seqs or seqs[-1] != 20:
        seqs.append(frame(ws)[0]["seq"])
    assert seqs == sorted(seqs) and len(seqs) <= 20


def test_missing_weights_make_requests_unavailable_with_the_reason(tmp_path: Path) -> None:
    with (
        TestClient(create_app(Settings(weights=tmp_path / "none.npz"))) as client,
        client.websocket_connect("/ws/lenet") as socket,
    ):
        socket.send_json({"type": "hello", "version": PROTOCOL_VERSION})
        assert socket.receive_json()["type"] == "welcome"
        socket.send_json({"type": "describe"})
        error = socket.receive_json()
        assert error["code"] == "unavailable" and error["message"] == client.app.state.lenet.error
