"""Faults must not lose a class's work, on real servers (`python -m app serve`): a restart of a server on its SQLite
file keeps the room, its gallery and its question, and the teacher and a student reconnect into it as themselves;
Redis stopped under a server gives typed `unavailable` errors on an open room socket (which stays open), JSON 503 on
the room REST endpoints and a degraded /healthz while other pages work, and all of it recovers when Redis is back.
In process: the outage is logged once and its recovery once, and a heartbeat during it does not close the socket."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from websockets.sync.client import ClientConnection, connect

from app.server.app import create_app
from app.settings import Settings
from app.wire.protocol import PROTOCOL_VERSION
from tests.conftest import free_port
from tests.redis_server import RedisServer

StartServer = Callable[..., AbstractContextManager[str]]
WAIT_S = 20.0  # generous bound on a wait for the server


def drawing() -> list[list[int]]:
    """A 140×140 canvas with a vertical bar, a one."""
    canvas = np.zeros((140, 140), dtype=int)
    canvas[25:115, 64:76] = 255
    return canvas.tolist()


def receive(ws: ClientConnection, *types: str, timeout: float = WAIT_S) -> dict:
    """The next message of one of these types (room events such as student counts may come first)."""
    for _ in range(50):
        message = json.loads(ws.recv(timeout=timeout))
        if message["type"] in types:
            return message
    raise AssertionError(f"no {types} message")


@contextmanager
def member(base_url: str, code: str, **join: str) -> Iterator[tuple[ClientConnection, dict]]:
    """A room socket on the server, joined (teacher with key=..., student otherwise), and its joined message."""
    with connect(base_url.replace("http", "ws", 1) + "/ws/room", open_timeout=WAIT_S) as ws:
        ws.send(json.dumps({"type": "hello", "version": PROTOCOL_VERSION}))
        assert receive(ws, "welcome")
        ws.send(json.dumps({"type": "join", "code": code, **join}))
        yield ws, receive(ws, "joined", "error")


def test_a_restarted_server_keeps_the_room_its_gallery_and_its_members(
    start_server: StartServer, tmp_path: Path
) -> None:
    env = {"BACKPROP_LAB_ROOMS_DB": str(tmp_path / "rooms.sqlite3")}
    with start_server(env) as base_url:
        room = httpx.post(f"{base_url}/api/rooms", timeout=WAIT_S).json()
        code, key = room["code"], room["key"]
        with member(base_url, code, key=key) as (teacher, _), member(base_url, code, name="Ana") as (student, joined):
            ana = joined["member"]
            teacher.send(json.dumps({"type": "ask", "prompt": "Which digit?", "kind": "digit"}))
            question = receive(student, "question")["question"]
            student.send(json.dumps({"type": "answer", "question": question["id"], "value": "1"}))
            assert receive(student, "answered")["value"] == "1"
            student.send(json.dumps({"type": "submit", "canvas": drawing(), "tag": 1}))
            sent = receive(student, "submitted")["submission"]
            assert receive(teacher, "submission")["submission"]["id"] == sent["id"]

    with start_server(env) as base_url:  # a new process on the same file: a crash or a restart
        assert httpx.get(f"{base_url}/api/rooms/{code}", timeout=WAIT_S).status_code == 200
        with member(base_url, code, key=key, private=True) as (teacher, joined):
            assert joined["type"] == "joined" and joined["role"] == "teacher"
            assert [(item["id"], item["author"], item["tag"]) for item in joined["gallery"]] == [(sent["id"], "Ana", 1)]
            assert joined["question"]["id"] == question["id"] and joined["answers"]["counts"] == {"1": 1}
            with member(base_url, code, member=ana, name="Ana") as (student, rejoined):
                assert rejoined["type"] == "joined", rejoined
                assert rejoined["member"] == ana and rejoined["name"] == "Ana"  # the same member, not "Ana (2)"
                assert [item["id"] for item in rejoined["mine"]] == [sent["id"]]
                assert rejoined["answered"] == "1"
                assert receive(teacher, "students")["count"] == 1
        export = httpx.get(f"{base_url}/api/rooms/{code}/export.zip", headers={"X-Teacher-Key": key}, timeout=WAIT_S)
        assert export.status_code == 200 and export.headers["content-type"] == "application/zip"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, with its append-only file, which the test stops and starts again."""
    server = RedisServer(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_redis_stopped_under_a_server_is_unavailable_and_recovers(
    start_server: StartServer, redis_server: RedisServer
) -> None:
    with start_server({"BACKPROP_LAB_REDIS_URL": redis_server.url}) as base_url:
        assert httpx.get(f"{base_url}/healthz", timeout=WAIT_S).json()["rooms_reachable"] is True
        room = httpx.post(f"{base_url}/api/rooms", timeout=WAIT_S).json()
        code, key = room["code"], room["key"]
        with member(base_url, code, key=key) as (teacher, _), member(base_url, code, name="Bo") as (student, _):
            redis_server.stop()

            teacher.send(json.dumps({"type": "names", "visible": True}))
            error = receive(teacher, "error")
            assert error["code"] == "unavailable" and error["request"] == "names" and "try again" in error["message"]
            lookup = httpx.get(f"{base_url}/api/rooms/{code}", timeout=WAIT_S)
            assert lookup.status_code == 503 and lookup.json()["code"] == "unavailable"
            assert "Retry-After" in lookup.headers
            opened = httpx.post(f"{base_url}/api/rooms", timeout=WAIT_S)
            assert opened.status_code == 503 and opened.json()["code"] == "unavailable"
            health = httpx.get(f"{base_url}/healthz", timeout=WAIT_S)
            assert health.status_code == 200
            assert health.json()["status"] == "degraded"
            assert health.json()["rooms"] == "redis" and health.json()["rooms_reachable"] is False
            assert httpx.get(f"{base_url}/lenet", timeout=WAIT_S).status_code == 200  # other pages work on

            redis_server.start()  # its append-only file brings the room back
            deadline = time.monotonic() + WAIT_S
            while not httpx.get(f"{base_url}/healthz", timeout=WAIT_S).json()["rooms_reachable"]:
                assert time.monotonic() < deadline, "the server did not see Redis come back"
                time.sleep(0.2)
            assert httpx.get(f"{base_url}/api/rooms/{code}", timeout=WAIT_S).status_code == 200
            # The same sockets, never closed: the teacher's message goes through, and the student hears it once the
            # server's subscriber is back on the room's channel (it tries again each second; events published before
            # that are lost, which a teacher's next change makes good, as every event carries the whole state).
            deadline = time.monotonic() + WAIT_S
            while True:
                teacher.send(json.dumps({"type": "names", "visible": True}))
                try:
                    assert receive(student, "names", timeout=0.5)["visible"] is True
                    break
                except TimeoutError:
                    assert time.monotonic() < deadline, "room events did not come back with Redis"


def reply_to(ws) -> dict:
    """The next message on a TestClient socket that is not a student count."""
    while (message := ws.receive_json())["type"] == "students":
        pass
    return message


def test_an_outage_is_logged_once_and_a_heartbeat_during_it_keeps_the_socket(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.rooms.session.HEARTBEAT_S", 0.2)  # beats every 0.2 s instead of every 30 s
    with TestClient(create_app(Settings(redis_url=redis_server.url))) as client:
        room = client.post("/api/rooms").json()
        with client.websocket_connect("/ws/room") as ws:
            ws.send_json({"type": "hello", "version": PROTOCOL_VERSION})
            ws.receive_json()
            ws.send_json({"type": "join", "code": room["code"], "name": "Cy"})
            assert ws.receive_json()["type"] == "joined"
            with caplog.at_level(logging.INFO):
                redis_server.stop()
                time.sleep(1.5)  # several heartbeats fail meanwhile, and the subscriber once a second
                for _ in range(3):
                    ws.send_json({"type": "answer", "question": 1, "value": "3"})
                    assert reply_to(ws)["code"] == "unavailable"
                assert client.get(f"/api/rooms/{room['code']}").status_code == 503
                redis_server.start()
                assert client.get("/healthz").json()["rooms_reachable"] is True
            ws.send_json({"type": "answer", "question": 1, "value": "3"})
            reply = reply_to(ws)
            assert reply["type"] == "error" and reply["code"] == "impossible"  # answered: no question is open
    events = [record.message.split()[0] for record in caplog.records if record.name == "app.rooms.store"]
    assert events == ["rooms_store_unavailable", "rooms_store_recovered"]
    assert not [record for record in caplog.records if record.exc_info or record.message.startswith("ws_internal")]


@pytest.mark.parametrize("rooms", ["sqlite", "memory"])
def test_healthz_says_where_rooms_live_and_that_they_answer(rooms: str) -> None:
    with TestClient(create_app(Settings(rooms=rooms))) as client:
        health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["rooms"] == rooms and health["rooms_reachable"] is True
    assert health["lenet"] == "loaded"  # the fields it had stay
