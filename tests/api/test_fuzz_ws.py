"""Fuzzing every websocket endpoint: thousands of generated messages — wrong types, missing and extra fields,
huge and negative numbers, NaN and infinity, deep nesting, truncated JSON, binary garbage — each answered with a
typed error or a valid result, never an unhandled failure, and a valid request still works afterwards."""

import json
import struct
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from starlette.routing import WebSocketRoute

from app.server.app import create_app
from app.server.routes.lenet import MESSAGES as LENET_MESSAGES
from app.settings import Settings
from app.wire.conv import CONV_MESSAGES
from app.wire.frames import unpack_frame
from app.wire.kernels import KERNELS_REQUESTS
from app.wire.protocol import PROTOCOL_VERSION, ErrorCode
from app.wire.room import ROOM_REQUESTS
from app.wire.xor import NEURON_REQUESTS, WHY_REQUESTS, XOR_REQUESTS

BATCH = 50
BATCHES = 45  # 7 endpoints × 45 batches × 50 messages = 15,750 messages
SENTINEL = "fuzz-sentinel"

# path -> (the endpoint's request adapter, a valid request, the type of its answer)
ENDPOINTS: dict[str, tuple[TypeAdapter, dict, str]] = {
    "/ws/lenet": (LENET_MESSAGES, {"type": "describe"}, "model"),
    "/ws/conv": (CONV_MESSAGES, {"type": "conv_asset", "name": "lenet_conv1"}, "conv_asset"),
    "/ws/neuron": (NEURON_REQUESTS, {"type": "neuron", "w1": 1, "w2": 1, "b": -1, "g": "sigmoid"}, "neuron_surface"),
    "/ws/xor": (XOR_REQUESTS, {"type": "xor_step", "model": "network"}, "xor_state"),
    "/ws/why-backprop": (WHY_REQUESTS, {"type": "why_slide"}, "why_slide"),
    "/ws/kernels": (KERNELS_REQUESTS, {"type": "kernels_feature", "feature": "radius", "degree": 2}, "kernels_state"),
    "/ws/room": (ROOM_REQUESTS, {"type": "submit", "canvas": [[0, 255, 0]] * 3, "tag": 1}, "submitted"),
}


def join_a_room(client: TestClient, ws) -> None:
    """/ws/room: the fuzzer speaks as a student who joined a real room (before joining, all is not_joined)."""
    ws.send_json({"type": "join", "code": client.post("/api/rooms").json()["code"]})
    while ws.receive_json()["type"] != "joined":
        pass


SETUP = {"/ws/room": join_a_room}  # what a connection does after the welcome, before the fuzzing

ERROR_CODES = set(ErrorCode.__args__) - {"internal"}


def variants(adapter: TypeAdapter) -> dict[str, list[str]]:
    """Each request type of an endpoint with its field names, read from the adapter's JSON schema."""
    schema = adapter.json_schema()
    found = {}
    for definition in [schema, *schema.get("$defs", {}).values()]:
        properties = definition.get("properties", {})
        tag = properties.get("type", {}).get("const")
        if tag:
            found[tag] = [name for name in properties if name != "type"]
    return found


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from([0, -1, 1, 2**31, -(2**63), 1e308, -1e-308, 28, 7, 3]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)


def requests(fields: dict[str, list[str]]) -> st.SearchStrategy[str | bytes]:
    """Raw frames aimed at an endpoint: mostly well-typed-looking requests with wrong contents, plus junk."""
    shaped = st.sampled_from(sorted(fields)).flatmap(
        lambda tag: st.fixed_dictionaries(
            {"type": st.just(tag)},
            optional={**{name: json_values for name in fields[tag]}, "extra": json_values},
        )
    )
    as_text = st.one_of(shaped, st.dictionaries(st.text(max_size=6), json_values, max_size=4), json_values).map(
        json.dumps
    )
    truncated = as_text.flatmap(lambda text: st.integers(0, max(len(text) - 1, 0)).map(lambda n: text[:n]))
    nested = st.integers(50, 5000).map(lambda depth: "[" * depth + "]" * depth)
    binary = st.one_of(
        st.binary(max_size=64),
        st.tuples(json_values.map(json.dumps), st.binary(max_size=32)).map(
            lambda pair: struct.pack("<I", len(pair[0].encode())) + pair[0].encode() + pair[1]
        ),
    )
    return st.one_of(shaped.map(json.dumps), as_text, truncated, nested, binary)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """One app for all endpoints, with the rate limit out of the fuzzer's way and /kernels' network run short."""
    settings = Settings(rate_per_s=1e6, rate_burst=1_000_000, max_pending=1000, kernels_net_steps=200)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def websocket_paths(routes: list) -> set[str]:
    """Paths of every websocket route, looking inside included routers."""
    paths = set()
    for route in routes:
        if isinstance(route, WebSocketRoute):
            paths.add(route.path)
        inner = getattr(route, "original_router", None) or getattr(route, "routes", None)
        if inner is not None:
            paths |= websocket_paths(getattr(inner, "routes", inner))
    return paths


def test_every_websocket_endpoint_is_fuzzed(client: TestClient) -> None:
    assert websocket_paths(client.app.routes) == set(ENDPOINTS)


def answers_until_sentinel(ws) -> list[dict]:
    """Every message the server sent (binary frames as their headers) up to the error answering the sentinel."""
    ws.send_text(json.dumps({"type": SENTINEL}))
    received = []
    while True:
        message = ws.receive()
        reply = unpack_frame(message["bytes"])[0] if message.get("bytes") is not None else json.loads(message["text"])
        if reply.get("type") == "error" and SENTINEL in reply.get("message", ""):
            return received
        received.append(reply)


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_fuzzed_messages_get_typed_errors_and_the_socket_keeps_working(client: TestClient, path: str) -> None:
    adapter, valid, answer = ENDPOINTS[path]
    fields = variants(adapter)
    with client.websocket_connect(path) as ws:
        ws.send_json({"type": "hello", "version": PROTOCOL_VERSION})
        assert ws.receive_json()["type"] == "welcome"
        if path in SETUP:
            SETUP[path](client, ws)

        @settings(max_examples=BATCHES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(requests(fields), min_size=BATCH, max_size=BATCH))
        def throw(frames: list[str | bytes]) -> None:
            for frame in frames:
                ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_text(frame)
            for reply in answers_until_sentinel(ws):
                if reply.get("type") == "error":
                    assert reply["code"] in ERROR_CODES, reply
                    assert reply["message"], reply

        throw()
        ws.send_json(valid)
        assert answer_arrives(ws, answer)


def answer_arrives(ws, answer: str, patience: int = 10_000) -> bool:
    """Whether a message of type answer arrives (answers to earlier fuzz requests may come first; the valid
    request is answered by the worker, after any errors the receive loop sends at once)."""
    for _ in range(patience):
        message = ws.receive()
        reply = unpack_frame(message["bytes"])[0] if message.get("bytes") is not None else json.loads(message["text"])
        assert reply.get("code") != "internal", reply
        if reply.get("type") == answer:
            return True
    return False
