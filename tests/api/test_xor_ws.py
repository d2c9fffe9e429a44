"""The websockets of /neuron, /xor and /why-backprop: valid requests, hostile ones, streaming and privacy."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.nn import ACTIVATIONS
from app.server.app import create_app
from app.settings import Settings
from app.wire.frames import unpack_frame
from app.wire.protocol import PROTOCOL_VERSION

NEURON = {"type": "neuron", "w1": 1.0, "w2": -1.0, "b": 0.5, "g": "tanh"}
DERIVE = {"type": "xor_derive", "example": 1}
COUNTS = {"type": "why_counts", "width": 2, "depth": 3}
CONFIG = {"type": "xor_config", "model": "network", "lr": 1.0, "mode": "batch", "steps_per_frame": 1}


@pytest.fixture
def client() -> Iterator[TestClient]:
    """An app whose streams do not pause between frames."""
    with TestClient(create_app(Settings(stream_interval_s=0.0))) as test_client:
        yield test_client


def greet(ws) -> dict:
    ws.send_json({"type": "hello", "version": PROTOCOL_VERSION})
    welcome = ws.receive_json()
    assert welcome["type"] == "welcome"
    return welcome


def frame(ws) -> dict:
    """The header of the next message, which must be a binary frame."""
    return unpack_frame(ws.receive_bytes())[0]


def next_json(ws) -> dict:
    """The next JSON message, skipping the binary frames streamed meanwhile."""
    while (message := ws.receive()).get("text") is None:
        pass
    return json.loads(message["text"])


def state(ws, until=lambda header: True) -> dict:
    """Read frames until one satisfies until."""
    while not until(header := frame(ws)):
        pass
    return header


# ---- /ws/neuron ----


def test_neuron_answers_a_surface_frame_and_announces_its_limits(client: TestClient) -> None:
    with client.websocket_connect("/ws/neuron") as ws:
        assert greet(ws)["limits"] == {"max_param": 10, "grid": 41}
        ws.send_json(NEURON)
        header, arrays = unpack_frame(ws.receive_bytes())
        assert header["type"] == "neuron_surface" and header["g"] == "tanh"
        assert arrays["h"].shape == (41, 41)


@pytest.mark.parametrize(
    "raw, code, words",
    [
        ("{nope", "bad_json", "not JSON"),
        ("", "bad_json", "not JSON"),
        ("{}", "bad_message", "type"),
        (json.dumps({**NEURON, "g": "softplus"}), "bad_message", "g"),
        (json.dumps({**NEURON, "w1": "big"}), "bad_message", "w1"),
        (json.dumps({k: v for k, v in NEURON.items() if k != "b"}), "bad_message", "b"),
        (json.dumps({**NEURON, "extra": 1}), "bad_message", "extra"),
        (json.dumps(NEURON).replace("1.0", "NaN", 1), "bad_value", "NaN"),
        (json.dumps({**NEURON, "w1": 11}), "bad_value", "BACKPROP_LAB_NEURON_MAX_PARAM"),
        (json.dumps({**NEURON, "b": -10.5}), "bad_value", "between −10 and 10"),
        (json.dumps({"type": "xor_run", "model": "network"}), "bad_message", "unknown message type"),
    ],
)
def test_neuron_refuses_bad_messages_and_stays_usable(client: TestClient, raw: str, code: str, words: str) -> None:
    with client.websocket_connect("/ws/neuron") as ws:
        greet(ws)
        ws.send_text(raw)
        error = ws.receive_json()
        assert (error["type"], error["code"]) == ("error", code)
        assert words in error["message"]
        ws.send_json(NEURON)
        assert frame(ws)["type"] == "neuron_surface"


# ---- /ws/xor ----


def test_xor_reset_config_step_and_derive(client: TestClient) -> None:
    with client.websocket_connect("/ws/xor") as ws:
        assert greet(ws)["limits"] == {"max_lr": 20, "max_steps_per_frame": 200, "max_run_steps": 200_000, "grid": 41}
        ws.send_json({"type": "xor_reset", "model": "network", "seed": 3, "task": "xor"})
        header = frame(ws)
        assert (header["model"], header["seed"], header["step"], header["grads"]) == ("network", 3, 0, None)
        ws.send_json({"type": "xor_config", "model": "network", "lr": 0.5, "mode": "example", "steps_per_frame": 4})
        configured = frame(ws)
        settings = (configured["lr"], configured["mode"], configured["steps_per_frame"], configured["step"])
        assert settings == (0.5, "example", 4, 0)
        ws.send_json({"type": "xor_step", "model": "network"})
        stepped = frame(ws)
        assert (stepped["step"], stepped["example"], set(stepped["grads"])) == (1, 0, set(stepped["params"]))
        ws.send_json(DERIVE)
        derivation = ws.receive_json()
        assert derivation["type"] == "xor_derivation" and derivation["step"] == 1
        assert derivation["steps"][1]["target"]["wrt"] == "w5"


def test_xor_run_streams_until_paused(client: TestClient) -> None:
    with client.websocket_connect("/ws/xor") as ws:
        greet(ws)
        ws.send_json({"type": "xor_run", "model": "network"})
        first, second = frame(ws), frame(ws)
        assert first["running"] and second["step"] == first["step"] + 10
        ws.send_json({"type": "xor_pause", "model": "network"})
        paused = state(ws, until=lambda h: not h["running"])
        ws.send_json({"type": "xor_step", "model": "network"})
        assert frame(ws)["step"] == paused["step"] + 1


def test_xor_requests_during_a_run_are_answered_and_the_run_goes_on(client: TestClient) -> None:
    with client.websocket_connect("/ws/xor") as ws:
        greet(ws)
        ws.send_json({"type": "xor_run", "model": "network"})
        before = frame(ws)["step"]
        ws.send_json(DERIVE)
        assert next_json(ws)["type"] == "xor_derivation"
        assert state(ws, until=lambda h: h["step"] > before + 50)["running"]
        ws.send_json({"type": "xor_run", "model": "neuron"})
        models = {state(ws)["model"] for _ in range(6)}
        assert models == {"network", "neuron"}


def test_xor_run_stops_at_the_step_limit() -> None:
    with (
        TestClient(create_app(Settings(stream_interval_s=0.0, xor_max_run_steps=35))) as client,
        client.websocket_connect("/ws/xor") as ws,
    ):
        greet(ws)
        ws.send_json({"type": "xor_run", "model": "neuron"})
        last = state(ws, until=lambda h: not h["running"])
        assert last["step"] == 35 and "35" in last["stopped"]
        ws.send_json({"type": "xor_run", "model": "neuron"})
        assert "reset" in frame(ws)["stopped"]


def test_each_connection_trains_its_own_network(client: TestClient) -> None:
    with client.websocket_connect("/ws/xor") as one, client.websocket_connect("/ws/xor") as two:
        greet(one)
        greet(two)
        for _ in range(3):
            one.send_json({"type": "xor_step", "model": "network"})
            frame(one)
        two.send_json({"type": "xor_step", "model": "network"})
        assert frame(two)["step"] == 1


@pytest.mark.parametrize(
    "message, code, words",
    [
        ({**CONFIG, "lr": 50}, "bad_value", "BACKPROP_LAB_XOR_MAX_LR"),
        ({**CONFIG, "steps_per_frame": 500}, "bad_value", "steps_per_frame"),
        ({**CONFIG, "lr": 0}, "bad_message", "lr"),
        ({**CONFIG, "mode": "sometimes"}, "bad_message", "mode"),
        ({"type": "xor_reset", "model": "network", "seed": -1, "task": "xor"}, "bad_message", "seed"),
        ({"type": "xor_reset", "model": "network", "seed": 2**40, "task": "xor"}, "bad_message", "seed"),
        ({"type": "xor_reset", "model": "network", "seed": 1, "task": "nand"}, "bad_message", "task"),
        ({"type": "xor_run", "model": "cnn"}, "bad_message", "model"),
        ({"type": "xor_derive", "example": 4}, "bad_message", "example"),
        ({"type": "xor_derive", "example": 1.5}, "bad_message", "example"),
        ({"type": "xor_derive"}, "bad_message", "example"),
        ({"type": "neuron", "w1": 1, "w2": 1, "b": 1, "g": "relu"}, "bad_message", "unknown message type"),
    ],
)
def test_xor_refuses_bad_messages_and_stays_usable(client: TestClient, message: dict, code: str, words: str) -> None:
    with client.websocket_connect("/ws/xor") as ws:
        greet(ws)
        ws.send_json(message)
        error = ws.receive_json()
        assert (error["code"], error["request"]) == (code, message["type"])
        assert words in error["message"]
        ws.send_json({"type": "xor_step", "model": "network"})
        assert frame(ws)["step"] == 1


def test_xor_refuses_binary_garbage_and_nan(client: TestClient) -> None:
    with client.websocket_connect("/ws/xor") as ws:
        greet(ws)
        ws.send_bytes(b"\x01\x02")
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_text('{"type": "xor_config", "model": "network", "lr": NaN, "mode": "batch", "steps_per_frame": 1}')
        assert ws.receive_json()["code"] == "bad_value"
        ws.send_json(DERIVE)
        assert ws.receive_json()["type"] == "xor_derivation"


# ---- /ws/why-backprop ----


def test_why_slide_counts_and_timings(client: TestClient) -> None:
    with client.websocket_connect("/ws/why-backprop") as ws:
        assert greet(ws)["limits"] == {"max_width": 8, "max_depth": 12}
        ws.send_json({"type": "why_slide"})
        slide = ws.receive_json()
        assert [layer["counted"] for layer in slide["forward"]] == [4, 12, 20, 14, 14]
        assert [layer["slide_count"] for layer in slide["forward"]] == [4, 12, 28, 14, 14]
        ws.send_json(COUNTS)
        counts = ws.receive_json()
        assert (counts["weights"], counts["forward_total"], counts["reverse_total"]) == (14, 64, 21)
        ws.send_json({"type": "why_time", "width": 2, "depth": 3})
        assert [ws.receive_json()["depth"] for _ in range(3)] == [1, 2, 3]


@pytest.mark.parametrize(
    "message, code, words",
    [
        ({"type": "why_counts", "width": 9, "depth": 3}, "bad_value", "BACKPROP_LAB_WHY_MAX_WIDTH"),
        ({"type": "why_counts", "width": 2, "depth": 13}, "bad_value", "BACKPROP_LAB_WHY_MAX_DEPTH"),
        ({"type": "why_time", "width": 0, "depth": 3}, "bad_message", "width"),
        ({"type": "why_time", "width": 2, "depth": "deep"}, "bad_message", "depth"),
        ({"type": "why_counts", "width": 2}, "bad_message", "depth"),
        ({"type": "why_slide", "width": 2}, "bad_message", "width"),
    ],
)
def test_why_refuses_bad_messages_and_stays_usable(client: TestClient, message: dict, code: str, words: str) -> None:
    with client.websocket_connect("/ws/why-backprop") as ws:
        greet(ws)
        ws.send_json(message)
        error = ws.receive_json()
        assert error["code"] == code and words in error["message"]
        ws.send_json(COUNTS)
        assert ws.receive_json()["type"] == "why_counts"


def test_a_new_request_stops_a_timing_stream(client: TestClient) -> None:
    with client.websocket_connect("/ws/why-backprop") as ws:
        greet(ws)
        ws.send_json({"type": "why_time", "width": 8, "depth": 12})
        assert ws.receive_json()["depth"] == 1
        ws.send_json(COUNTS)
        depths = []
        while (message := ws.receive_json())["type"] == "why_timing":
            depths.append(message["depth"])
        assert message["type"] == "why_counts" and len(depths) < 11


# ---- the pages ----


def test_neuron_page_menu_offers_every_activation_of_the_registry(client: TestClient) -> None:
    html = client.get("/neuron").text
    start = html.index('<select id="neuron-g"')
    menu = html[start : html.index("</select>", start)]
    assert re.findall(r'<option value="([a-z]+)"', menu) == list(ACTIVATIONS)


@pytest.mark.parametrize(
    "path, script",
    [("/neuron", "neuron/neuron.js"), ("/xor", "xor/xor.js"), ("/why-backprop", "why-backprop/why-backprop.js")],
)
def test_pages_load_their_controller_and_stylesheet(client: TestClient, path: str, script: str) -> None:
    html = client.get(path).text
    assert f'src="/static/js/pages/{script}"' in html and "/static/css/pages/xor.css" in html
    assert client.get(f"/static/js/pages/{script}").status_code == 200
