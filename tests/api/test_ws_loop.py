"""The websocket loop every page shares, driven by a toy conversation: hello, validation, errors, latest wins."""

import json
import logging
import struct
import threading
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import app.server.ws as ws_loop
from app.wire.frames import pack_frame, read_frame, unpack_frame
from app.wire.protocol import PROTOCOL_VERSION


def greeted(ws) -> dict:
    ws.send_json({"type": "hello", "version": PROTOCOL_VERSION})
    return ws.receive_json()


def test_hello_is_answered_with_the_agreed_version(toy: TestClient) -> None:
    with toy.websocket_connect("/ws/toy") as ws:
        assert greeted(ws) == {"type": "welcome", "version": PROTOCOL_VERSION, "limits": {}}
        ws.send_json({"type": "add", "a": 1, "b": 2})
        assert ws.receive_json() == {"type": "total", "value": 3.0}


@pytest.mark.parametrize(
    "raw, code, words",
    [
        ("{nope", "bad_json", "not JSON"),
        ("[1, 2]", "bad_json", "JSON object"),
        ('{"type": "add", "a": NaN, "b": 1}', "bad_value", "NaN"),
        ('{"type": "add", "a": 1}', "bad_message", "b"),
        ('{"type": "add", "a": 1, "b": -1}', "bad_message", "greater than or equal to 0"),
        ('{"type": "add", "a": 1, "b": 1, "c": 3}', "bad_message", "c"),
        ('{"type": "mul", "a": 1}', "bad_message", "unknown message type 'mul'"),
        ('{"a": 1}', "bad_message", "type"),
        ('{"type": "hello", "version": 99}', "unsupported_version", "99"),
        ('{"type": "fail", "how": "problem"}', "impossible", "asked to fail"),
        ('{"type": "fail", "how": "crash"}', "internal", "logged"),
    ],
)
def test_bad_messages_get_a_typed_error_and_the_connection_stays_usable(toy: TestClient, raw, code, words) -> None:
    with toy.websocket_connect("/ws/toy") as ws:
        greeted(ws)
        ws.send_text(raw)
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == code
        assert words in error["message"]
        ws.send_json({"type": "add", "a": 2, "b": 2})
        assert ws.receive_json()["value"] == 4


def test_requests_before_hello_are_refused_politely(toy: TestClient) -> None:
    with toy.websocket_connect("/ws/toy") as ws:
        ws.send_json({"type": "add", "a": 1, "b": 2})
        assert ws.receive_json()["code"] == "hello_first"
        assert greeted(ws)["type"] == "welcome"


def test_oversized_message_is_refused_and_closes_1009(toy_app) -> None:
    with TestClient(toy_app(max_message_bytes=1024)) as client, client.websocket_connect("/ws/toy") as ws:
        greeted(ws)
        ws.send_text(json.dumps({"type": "add", "a": 1, "b": 1, "pad": "x" * 2000}))
        assert ws.receive_json()["code"] == "too_large"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1009


def test_streamed_answer_arrives_in_order(toy: TestClient) -> None:
    with toy.websocket_connect("/ws/toy") as ws:
        greeted(ws)
        ws.send_json({"type": "count", "upto": 5})
        assert [ws.receive_json()["value"] for _ in range(5)] == [1, 2, 3, 4, 5]


def test_a_new_request_stops_a_stream(toy_app) -> None:
    with TestClient(toy_app(stream_interval_s=0.01)) as client, client.websocket_connect("/ws/toy") as ws:
        greeted(ws)
        ws.send_json({"type": "count", "upto": 1000})
        assert ws.receive_json()["value"] == 1
        ws.send_json({"type": "add", "a": 100, "b": 0})
        values = []
        while (value := ws.receive_json()["value"]) != 100:
            values.append(value)
        assert len(values) < 999


def test_cross_origin_handshake_is_refused_and_same_origin_accepted(toy: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        toy.websocket_connect("/ws/toy", headers={"origin": "http://evil.example"}) as ws,
    ):
        ws.receive_json()
    assert refused.value.code == 1008
    with toy.websocket_connect("/ws/toy", headers={"origin": "http://testserver"}) as ws:
        assert greeted(ws)["type"] == "welcome"


def test_configured_origin_is_accepted(toy_app) -> None:
    with (
        TestClient(toy_app(allowed_origins="https://lab.example, https://other.example")) as client,
        client.websocket_connect("/ws/toy", headers={"origin": "https://lab.example"}) as ws,
    ):
        assert greeted(ws)["type"] == "welcome"


def test_quick_requests_are_answered_in_the_event_loop_and_the_rest_in_a_worker_thread(toy_app) -> None:
    app = toy_app(quick=frozenset({"add"}), stream_interval_s=0.0)
    with TestClient(app) as client, client.websocket_connect("/ws/toy") as ws:
        greeted(ws)
        ws.send_json({"type": "add", "a": 1, "b": 2})
        assert ws.receive_json() == {"type": "total", "value": 3.0}
        ws.send_json({"type": "count", "upto": 1})
        assert ws.receive_json() == {"type": "total", "value": 1.0}
    threads = app.state.toy_stats.threads
    assert threads["count"].startswith("compute")  # FairShare's pool of compute threads
    assert not threads["add"].startswith("compute") and threads["add"] != threading.current_thread().name


def test_binary_frames_round_trip_floats_exactly_and_maps_to_a_byte() -> None:
    rng = np.random.default_rng(0)
    maps, vector = rng.standard_normal((3, 5, 5)).astype(np.float32), rng.standard_normal(7).astype(np.float32)
    header, arrays = unpack_frame(
        pack_frame({"type": "x", "n": 1}, {"maps": maps, "v": vector}, u8=frozenset({"maps"}))
    )
    assert header["type"] == "x" and header["n"] == 1
    np.testing.assert_array_equal(arrays["v"], vector)
    span = maps.reshape(3, -1).max(axis=1) - maps.reshape(3, -1).min(axis=1)
    assert np.all(np.abs(arrays["maps"] - maps).reshape(3, -1).max(axis=1) <= span / 255 / 2 + 1e-6)


def u8_frame(codes: np.ndarray, lo: list[float], hi: list[float]) -> bytes:
    """A client's binary frame holding one u8 array "canvas" with the given ranges."""
    entry = {"name": "canvas", "shape": list(codes.shape), "dtype": "u8", "offset": 0, "lo": lo, "hi": hi}
    text = json.dumps({"type": "x", "arrays": [entry]}).encode()
    return struct.pack("<I", len(text)) + text + codes.tobytes()


def test_a_canvas_with_one_range_for_the_whole_array_reads_as_the_browser_sends_it() -> None:
    """The browser's encodeFrame sends a 2-D canvas as u8 with one lo/hi ([0], [255]), not one per row: its codes
    are its values, read as uint8 without a float pass."""
    canvas = (np.arange(12, dtype=np.uint8).reshape(3, 4) * 23).astype(np.uint8)
    _, arrays = read_frame(u8_frame(canvas, [0], [255]))
    assert arrays["canvas"].dtype == np.uint8
    np.testing.assert_array_equal(arrays["canvas"], canvas)


@pytest.mark.parametrize("lo, hi", [([0], [1]), ([0.5], [255]), ([0, 0, 0], [255, 255, 255]), ([-255], [0])])
def test_any_other_u8_range_reads_as_float32_values(lo: list[float], hi: list[float]) -> None:
    codes = (np.arange(12, dtype=np.uint8).reshape(3, 4) * 23).astype(np.uint8)
    _, arrays = read_frame(u8_frame(codes, lo, hi))
    expected = np.array(lo)[:, None] + codes.reshape(len(lo), -1) / 255 * (np.array(hi) - np.array(lo))[:, None]
    assert arrays["canvas"].dtype == np.float32
    np.testing.assert_allclose(arrays["canvas"], expected.reshape(3, 4), rtol=1e-6)


@pytest.mark.parametrize(
    "raw, code",
    [
        ('{"type": "add", "a": 1e999, "b": 1}', "bad_value"),
        ('{"type": "add", "a": ' + "9" * 5000 + ', "b": 1}', "bad_json"),
        ("[" * 100_000 + "]" * 100_000, "bad_json"),
        ('{"type": "add", "a": Infinity, "b": 1}', "bad_value"),
        ('{"type": "add", "a": 1, "b": 1', "bad_json"),
    ],
    ids=["overflowing-float", "huge-int", "deep-nesting", "infinity", "truncated"],
)
def test_hostile_json_gets_a_typed_error(toy_app, toy: TestClient, raw: str, code: str) -> None:
    with TestClient(toy_app(max_message_bytes=1_000_000)) as client, client.websocket_connect("/ws/toy") as ws:
        greeted(ws)
        ws.send_text(raw)
        assert ws.receive_json()["code"] == code
        ws.send_json({"type": "add", "a": 1, "b": 1})
        assert ws.receive_json()["value"] == 2


@pytest.mark.parametrize(
    "garbage", [b"", b"\x01", b"\xff\xff\xff\xff rest", b"\x02\x00\x00\x00[]", b"\x04\x00\x00\x00nope"]
)
def test_binary_garbage_gets_a_typed_error(toy: TestClient, garbage: bytes) -> None:
    with toy.websocket_connect("/ws/toy") as ws:
        greeted(ws)
        ws.send_bytes(garbage)
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({"type": "add", "a": 1, "b": 1})
        assert ws.receive_json()["value"] == 2


def test_a_flood_gets_rate_errors_then_close_1008(toy_app) -> None:
    with (
        TestClient(toy_app(rate_per_s=1, rate_burst=3, rate_strikes=5)) as client,
        client.websocket_connect("/ws/toy") as ws,
    ):
        greeted(ws)
        for _ in range(20):
            ws.send_json({"type": "add", "a": 1, "b": 1})
        replies = []
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                replies.append(ws.receive_json())
        assert closed.value.code == 1008
        codes = [reply.get("code") for reply in replies]
        assert codes.count("rate_limited") == 5  # one error per refused message, then the close
        assert codes.count(None) <= 2  # at most the burst (3, the hello took one) was answered


def test_connections_beyond_the_cap_are_closed_1013_while_others_work(toy_app) -> None:
    with TestClient(toy_app(max_connections=2)) as client:
        with client.websocket_connect("/ws/toy") as first, client.websocket_connect("/ws/toy") as second:
            greeted(first)
            greeted(second)
            with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/ws/toy") as third:
                greeted(third)  # the cap is checked at the hello: only greeted sockets hold a seat
                third.receive_json()
            assert refused.value.code == 1013
            first.send_json({"type": "add", "a": 2, "b": 3})
            assert first.receive_json()["value"] == 5
        assert eventually(lambda: client.app.state.clients == set())


def eventually(condition, seconds: float = 5.0) -> bool:
    """Whether condition() becomes true within seconds (the server finishes a socket after the client leaves)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_an_idle_socket_is_closed_normally(toy_app) -> None:
    with TestClient(toy_app(idle_timeout_s=0.2)) as client, client.websocket_connect("/ws/toy") as ws:
        greeted(ws)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1000


def test_sockets_that_never_greet_hold_no_seat_and_are_closed_after_the_hello_timeout(toy_app) -> None:
    with (
        TestClient(toy_app(max_connections=2, hello_timeout_s=0.5)) as client,
        client.websocket_connect("/ws/toy") as silent1,
        client.websocket_connect("/ws/toy") as silent2,
        client.websocket_connect("/ws/toy") as first,
        client.websocket_connect("/ws/toy") as second,
    ):
        assert greeted(first)["type"] == greeted(second)["type"] == "welcome"  # the silent ones took none
        for silent in (silent1, silent2):
            with pytest.raises(WebSocketDisconnect) as closed:
                silent.receive_json()
            assert closed.value.code == 1008
        time.sleep(0.3)  # past the hello timeout: greeted sockets are not affected by it
        first.send_json({"type": "add", "a": 1, "b": 1})
        assert first.receive_json()["value"] == 2


def test_a_request_before_the_hello_does_not_extend_the_hello_timeout(toy_app) -> None:
    with TestClient(toy_app(hello_timeout_s=0.4)) as client, client.websocket_connect("/ws/toy") as ws:
        codes = []
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(50):
                ws.send_json({"type": "add", "a": 1, "b": 2})
                codes.append(ws.receive_json()["code"])
                time.sleep(0.05)
        assert closed.value.code == 1008 and set(codes) == {"hello_first"} and len(codes) < 20


def test_sockets_per_client_address_are_capped_greeted_or_not(toy_app) -> None:
    with TestClient(toy_app(max_connections_per_address=2)) as client:
        with client.websocket_connect("/ws/toy") as first, client.websocket_connect("/ws/toy") as silent:
            assert greeted(first)["type"] == "welcome"
            with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/ws/toy") as third:
                third.receive_json()
            assert refused.value.code == 1013
            silent.close()
            assert eventually(lambda: sum(client.app.state.ws_seats.by_address.values()) == 1)
            with client.websocket_connect("/ws/toy") as again:  # a seat freed is a seat again
                assert greeted(again)["type"] == "welcome"
        assert eventually(lambda: not client.app.state.ws_seats.by_address)


def frame(header: dict | str, payload: bytes = b"") -> bytes:
    """A binary frame with exactly this header (a dict as JSON, or raw text) and payload."""
    text = (header if isinstance(header, str) else json.dumps(header)).encode()
    return struct.pack("<I", len(text)) + text + payload


F32 = {"name": "v", "dtype": "f32", "offset": 0}
U8 = {"name": "v", "dtype": "u8", "offset": 0}


@pytest.mark.parametrize(
    "data, code",
    [
        (frame({"type": "add", "a": 1, "b": 1, "arrays": [{**F32, "shape": [2**64, 2**64]}]}, b"\0" * 8), "bad_shape"),
        (frame({"type": "add", "a": 1, "b": 1, "arrays": [{**F32, "shape": [10**400]}]}), "bad_shape"),
        (frame({"type": "add", "a": 1, "b": 1, "arrays": [{**F32, "shape": [-2, -2]}]}, b"\0" * 16), "bad_shape"),
        (frame({"type": "add", "a": 1, "b": 1, "arrays": [{**F32, "shape": [0] * 100}]}), "bad_shape"),
        (frame({"type": "add", "a": 1, "b": 1, "arrays": [{**F32, "shape": [3]}]}, b"\0" * 8), "bad_shape"),
        (frame('{"type": "add", "a": NaN, "b": 1, "arrays": []}'), "bad_value"),
        (frame('{"type": "add", "a": 1e999, "b": 1, "arrays": []}'), "bad_value"),
        (frame('{"type": "add", "a": -Infinity, "b": 1, "arrays": []}'), "bad_value"),
        (
            frame({"type": "add", "a": 1, "b": 1, "arrays": [{**F32, "shape": [1]}]}, struct.pack("<f", float("nan"))),
            "bad_value",
        ),
        (frame({"type": "add", "a": 1, "b": 1, "arrays": [{**F32, "shape": [True]}]}, b"\0" * 4), "bad_message"),
        (
            frame({"type": "add", "a": 1, "b": 1, "arrays": [{**F32, "shape": [1], "offset": 2}]}, b"\0" * 8),
            "bad_message",
        ),
        (
            frame({"type": "add", "a": 1, "b": 1, "arrays": [{**F32, "shape": [1], "extra": 1}]}, b"\0" * 4),
            "bad_message",
        ),
        (
            frame({"type": "add", "a": 1, "b": 1, "arrays": [{**F32, "dtype": "f64", "shape": [1]}]}, b"\0" * 8),
            "bad_message",
        ),
        (
            frame({"type": "add", "a": 1, "b": 1, "arrays": [{**F32, "name": "a", "shape": [1]}]}, b"\0" * 4),
            "bad_message",
        ),
        (
            frame(
                {"type": "add", "a": 1, "b": 1, "arrays": [{**U8, "shape": [2, 2], "lo": [0] * 3, "hi": [1] * 3}]},
                b"\0" * 4,
            ),
            "bad_shape",
        ),
        (
            frame(
                {"type": "add", "a": 1, "b": 1, "arrays": [{**U8, "shape": [1], "lo": [0], "hi": [10**400]}]}, b"\0" * 4
            ),
            "bad_value",
        ),
        (
            frame(
                {"type": "add", "a": 1, "b": 1, "arrays": [{**U8, "shape": [1], "lo": [0], "hi": [1e39]}]},
                b"\xff" * 4,
            ),
            "bad_value",
        ),
        (frame({"type": "add", "a": 1, "b": 1, "arrays": "none"}), "bad_message"),
        (frame({"type": "add", "a": 1, "b": 1}), "bad_message"),
        (frame({"type": "add", "a": 1, "b": 1, "arrays": []})[:-2], "bad_message"),
    ],
    ids=[
        "shape-overflowing-int64",
        "shape-of-400-digits",
        "negative-shape",
        "100-dimensions",
        "shape-past-the-payload",
        "nan-in-header",
        "overflowing-float-in-header",
        "infinity-in-header",
        "nan-in-array",
        "bool-side",
        "unaligned-offset",
        "extra-entry-field",
        "unknown-dtype",
        "array-named-like-a-field",
        "u8-lo-per-map-count",
        "u8-huge-hi",
        "u8-values-over-float32",
        "arrays-not-a-list",
        "arrays-missing",
        "header-past-the-end",
    ],
)
def test_binary_headers_are_validated_as_strictly_as_json(toy: TestClient, data: bytes, code: str) -> None:
    with toy.websocket_connect("/ws/toy") as ws:
        greeted(ws)
        ws.send_bytes(data)
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == code, error
        ws.send_bytes(frame({"type": "add", "a": 1, "b": 2, "arrays": []}))  # a valid binary request still works
        assert ws.receive_json()["value"] == 3


def test_an_exception_anywhere_in_a_handler_is_answered_internal_and_logged_once_per_kind(
    toy: TestClient, monkeypatch, caplog
) -> None:
    monkeypatch.setattr(ws_loop, "FAILURES", ws_loop.Failures())

    def explode(data: bytes) -> tuple[dict, dict]:
        raise OverflowError("as an unforeseen bug would")

    monkeypatch.setattr(ws_loop, "read_frame", explode)
    with caplog.at_level(logging.INFO, logger="app.server.ws"), toy.websocket_connect("/ws/toy") as ws:
        greeted(ws)
        for _ in range(5):
            ws.send_json({"type": "fail", "how": "crash"})
            assert ws.receive_json()["code"] == "internal"
            ws.send_bytes(b"\0\0\0\0")
            error = ws.receive_json()
            assert error["code"] == "internal" and "logged" in error["message"]
        ws.send_json({"type": "add", "a": 2, "b": 2})
        assert ws.receive_json()["value"] == 4
    internal = [record for record in caplog.records if record.getMessage().startswith("ws_internal")]
    assert [record.getMessage() for record in internal] == [
        "ws_internal where=work request=fail exception=RuntimeError",
        "ws_internal where=receive request=none exception=OverflowError",
    ]
    assert all(record.exc_info for record in internal)
