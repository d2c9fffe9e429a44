"""/ws/kernels end to end through the app: the welcome's limits, state and network frames, typed errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.server.app import create_app
from app.settings import Settings
from app.wire.frames import unpack_frame
from app.wire.protocol import PROTOCOL_VERSION

SVM = {"type": "kernels_svm", "kernel": "rbf", "C": 1.0, "gamma": 1.0, "degree": 3, "coef0": 0.0}


@pytest.fixture
def client() -> Iterator[TestClient]:
    """An app whose streams do not pause between frames and whose network runs briefly."""
    with TestClient(create_app(Settings(stream_interval_s=0.0, kernels_net_steps=200))) as test_client:
        yield test_client


def header(ws) -> dict:
    """The header of the next message, which must be a binary frame."""
    return unpack_frame(ws.receive_bytes())[0]


def until_state(ws) -> dict:
    """Read frames until a kernels_state."""
    while (frame := header(ws))["type"] != "kernels_state":
        pass
    return frame


def test_the_welcome_names_the_limits_and_a_request_gets_a_state_then_the_networks_training(client: TestClient) -> None:
    with client.websocket_connect("/ws/kernels") as ws:
        ws.send_json({"type": "hello", "version": PROTOCOL_VERSION})
        welcome = ws.receive_json()
        assert welcome["limits"] == {
            "max_points": 200, "max_degree": 6, "max_c": 1000, "max_gamma": 100, "max_coef0": 10, "grid": 61,
            "net_steps": 200,
        }  # fmt: skip
        ws.send_json(SVM)
        state = header(ws)
        assert state["type"] == "kernels_state" and state["svm"]["kernel"] == "rbf" and state["count"] == 4
        assert [header(ws)["step"] for _ in range(2)] == [100, 200]  # a new page's network learns its points


def test_bad_requests_get_typed_errors_and_the_socket_goes_on(client: TestClient) -> None:
    with client.websocket_connect("/ws/kernels") as ws:
        ws.send_json({"type": "hello", "version": PROTOCOL_VERSION})
        ws.receive_json()
        for message, code, words in (
            ({**SVM, "C": 0}, "bad_message", "C: Input should be greater than 0"),
            (
                {**SVM, "C": 5000},
                "bad_value",
                "C must be at most 1000 on this server (BACKPROP_LAB_KERNELS_MAX_C), got 5000",
            ),
            ({**SVM, "kernel": "sigmoid"}, "bad_message", "kernel"),
            ({"type": "kernels_add", "x1": 9, "x2": 0, "label": 1}, "bad_value", "x1 = 9 is outside the plane"),
            ({"type": "kernels_add", "x1": 0, "x2": 0, "label": 2}, "bad_message", "label"),
            ({"type": "kernels_remove", "index": 99}, "bad_value", "index 99 is not a point"),
            ({"type": "kernels_feature", "feature": "poly", "degree": 2, "extra": 1}, "bad_message", "extra"),
        ):
            ws.send_json(message)
            while (reply := ws.receive()).get("text") is None:
                pass  # the network's first training frames
            error = json.loads(reply["text"])
            assert (error["type"], error["code"]) == ("error", code), error
            assert words in error["message"]
        ws.send_json({"type": "kernels_add", "x1": 0.5, "x2": 0.5, "label": 1})
        assert until_state(ws)["count"] == 5
