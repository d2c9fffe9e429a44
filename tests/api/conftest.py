"""The toy conversation that drives the shared websocket loop (app/server/ws.py) in several test files: it adds
numbers, counts (streaming, as JSON or as binary frames of a chosen size), and fails on request."""

import threading
from collections.abc import Callable, Iterator
from typing import Annotated, Literal

import numpy as np
import pytest
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient
from pydantic import Field, TypeAdapter

from app.server.app import create_app
from app.server.ws import run_socket
from app.settings import Settings
from app.wire.frames import pack_frame
from app.wire.protocol import Message, Problem, Reply


class Add(Message):
    type: Literal["add"]
    a: float
    b: float = Field(ge=0)


class Count(Message):
    type: Literal["count"]
    upto: int = Field(ge=1, le=1000)
    size: int = Field(0, ge=0, le=65_536)  # 0: each step is a JSON total; else a binary frame of about this many bytes


class Fail(Message):
    type: Literal["fail"]
    how: Literal["problem", "crash"]


class Total(Message):
    type: Literal["total"] = "total"
    value: float


MESSAGES = TypeAdapter(Annotated[Add | Count | Fail, Field(discriminator="type")])


class ToyStats:
    """What every toy conversation of one app has produced: the steps its streams took (frames made)."""

    def __init__(self) -> None:
        self.steps = 0
        self.threads: dict[str, str] = {}  # request type -> the name of the thread that last handled one


class Toy:
    """Adds numbers, counts (streaming), and fails on request."""

    def __init__(self, stats: ToyStats) -> None:
        self.stats = stats

    def handle(self, message):
        self.stats.threads[message.type] = threading.current_thread().name
        if message.type == "add":
            return [Total(value=message.a + message.b)]
        if message.type == "count":
            return self.count(message.upto, message.size)
        if message.how == "problem":
            raise Problem("impossible", "asked to fail")
        raise RuntimeError("boom")

    def count(self, upto: int, size: int) -> Iterator[Reply]:
        """1 … upto, one reply per step, each step counted in the app's ToyStats when it is made."""
        for i in range(1, upto + 1):
            self.stats.steps += 1
            if size:
                yield pack_frame({"type": "total", "value": i}, {"pad": np.zeros(size // 4, np.float32)})
            else:
                yield Total(value=i)


def make_toy_app(quick: frozenset[str] = frozenset(), **settings) -> FastAPI:
    """A fresh app with the toy on /ws/toy (count is latest-wins, the `quick` types run in the event loop);
    app.state.toy_stats counts stream steps."""
    app = create_app(Settings(**settings))
    app.state.toy_stats = ToyStats()

    @app.websocket("/ws/toy")
    async def toy(websocket: WebSocket) -> None:
        conversation = Toy(app.state.toy_stats)
        await run_socket(
            websocket, MESSAGES, conversation, latest_wins=frozenset({"count"}), quick=lambda m: m.type in quick
        )

    return app


@pytest.fixture
def toy_app() -> Callable[..., FastAPI]:
    """Factory of toy apps: toy_app(**settings)."""
    return make_toy_app


@pytest.fixture
def toy() -> Iterator[TestClient]:
    """An in-process client of a toy app that streams without pauses."""
    with TestClient(make_toy_app(stream_interval_s=0.0)) as client:
        yield client
