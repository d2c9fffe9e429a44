"""uvicorn's websocket protocol with one change: a client that has stopped reading is cut off (the TCP connection
aborted) when the app closes it or the server shuts down, instead of being waited for.

uvicorn (websockets-sansio, what its "auto" picks) waits for the transport to drain below its high-water mark
before every ASGI send, the close included, with no deadline. The app drops a client that does not take a
reply within BACKPROP_LAB_SEND_TIMEOUT_S by closing it (app/server/ws.py); as uvicorn is, that close frame
never goes out and the connection keeps its socket and buffers until the client's machine gives up — hours, or
never for a client whose kernel keeps acknowledging a zero window. At shutdown uvicorn writes its 1012 close and
then waits for every connection to end, so one such client held the shutdown to its timeout and made uvicorn log
an error. A close frame cannot reach a client that does not read anyway: here the connection is aborted, and
uvicorn reports the disconnect (1006) to the app and forgets the connection as usual.
Measured by tests/api/test_ws_real_server.py.

A second change: a client that has gone is noticed while its socket is not being read. uvicorn stops reading a
socket while a message waits for the app (it reads one message ahead), and the app leaves the socket of an address
over its share of the event loop unread on purpose (app/server/time_share.py), so a client that vanished (its
process ended, its machine reset the connection) went unnoticed until the next keepalive ping, up to
BACKPROP_LAB_PING_INTERVAL_S later, and its connection, its waiting frames and its parsed requests were kept all
that time: after an attack from 400 sockets, the server held them 20–35 s while they waited, one by one, for a
departed address's turn (benchmarks/soak.py --attacker). Here a connection whose reading is paused asks the kernel
every PROBE_S whether the client has hung up or reset the connection (a poll of its socket, nothing read), and
aborts it when it has; and the app learns of a lost connection without reading it: the scope's extension GONE holds
an asyncio.Future done when the connection is lost, which the app's waits for a turn watch (app/server/ws.py).

This leans on uvicorn's private protocol class (hence `uvicorn<0.55` in pyproject.toml). At import the parts it
uses are checked; when one is gone, WebSocketProtocol is uvicorn's stock "auto" protocol and a warning says so,
and tests/api/test_uvicorn_ws.py fails until this module is brought up to date.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import re
import select
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import h11
import uvicorn
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE, H11Protocol
from uvicorn.server import ServerState

from app.server.time_share import OPEN_S, TimeShare
from app.settings import Settings

if TYPE_CHECKING:
    from uvicorn._types import ASGISendEvent

logger = logging.getLogger(__name__)

BASE = "uvicorn.protocols.websockets.websockets_sansio_impl.WebSocketsSansIOProtocol"
DISCONNECTED = "uvicorn.protocols.utils.ClientDisconnected"
METHODS = ("send", "shutdown", "handle_connect", "send_receive_event_to_app", "connection_lost")  # overridden
# here, each calling uvicorn's through super()
STATE = ("handshake_complete", "writable", "transport", "read_paused", "scope", "conn")  # uvicorn's attributes used
SANS_IO = "websockets.protocol.Protocol"  # uvicorn's `conn` is one: its `parser` generator is closed here
GONE = "backprop_lab.gone"  # the scope's extension: {"lost": an asyncio.Future done once the connection is lost}
PROBE_S = 1.0  # how often a connection whose reading is paused is checked for a client that has gone
HUNG_UP = select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0)  # a reset, or the client's FIN (Linux)


def hung_up(transport: asyncio.BaseTransport) -> bool:
    """Whether the client of a connection has reset it or closed its side: asked of the kernel (a poll of the
    socket that returns at once), nothing read; False when the transport has no socket."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return False
    poller = select.poll()
    poller.register(sock.fileno(), HUNG_UP)
    return bool(poller.poll(0))


def departure(scope: Mapping[str, Any]) -> asyncio.Future[None] | None:
    """The future done once the client's connection is lost (GONE), or None under a server that does not set one
    (Starlette's TestClient, uvicorn's stock protocol)."""
    lost = (scope.get("extensions") or {}).get(GONE, {}).get("lost")
    return lost if isinstance(lost, asyncio.Future) else None


def located(path: str) -> object:
    """The object at a dotted path (module, then attribute); ImportError or AttributeError when it is gone."""
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def missing() -> list[str]:
    """What this module relies on that the installed uvicorn lacks: empty when everything is there."""
    try:
        base, _ = located(BASE), located(DISCONNECTED)
    except (ImportError, AttributeError) as exc:
        return [str(exc)]
    if not isinstance(base, type):
        return [f"{BASE} is not a class"]
    source, sans_io = inspect.getsource(base), located(SANS_IO)
    return (
        [f"{base.__name__}.{name}()" for name in METHODS if not callable(getattr(base, name, None))]
        + [f"{base.__name__}.{name}" for name in STATE if not re.search(rf"self\.{name}(: [^=\n]+)? = ", source)]
        + ([] if "self.parser = " in inspect.getsource(sans_io) else [f"{SANS_IO}.parser"])  # type: ignore[arg-type]
    )


MISSING = missing()
WebSocketProtocol: type[asyncio.Protocol] | str
if MISSING:
    logger.warning(
        "uvicorn %s has changed what app/server/uvicorn_ws.py relies on (%s missing): using uvicorn's "
        "stock websocket protocol, so a client that stops reading is waited for instead of cut off, and one that "
        "has gone while its socket was not read is noticed only by the next keepalive ping",
        uvicorn.__version__,
        ", ".join(MISSING),
    )
    WebSocketProtocol = "auto"
else:
    from uvicorn.protocols.utils import ClientDisconnected
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    class AbortingProtocol(WebSocketsSansIOProtocol):
        """uvicorn's default websocket protocol, aborting the connections whose send buffer does not drain and
        those whose client has gone while they were not read, and telling the app when a connection is lost."""

        probe: asyncio.TimerHandle | None = None  # the next check of a paused connection's client

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.gone: asyncio.Future[None] = self.loop.create_future()

        def handle_connect(self, event: Any) -> None:
            """As uvicorn's, then GONE in the scope of the app about to run (its task has not started yet)."""
            super().handle_connect(event)
            if not self.handshake_complete:  # a websocket the app will be called for, not a refused handshake
                self.scope["extensions"][GONE] = {"lost": self.gone}

        def send_receive_event_to_app(self) -> None:
            """As uvicorn's (a message for the app; reading paused until the app takes it), then the probe of the
            client while its socket is not read."""
            super().send_receive_event_to_app()
            if self.read_paused and self.probe is None:
                self.probe = self.loop.call_later(PROBE_S, self.check_client)

        def check_client(self) -> None:
            """While reading stays paused, every PROBE_S: abort the connection if its client has gone."""
            self.probe = None
            if not self.read_paused or self.transport.is_closing():
                return
            if hung_up(self.transport):
                self.transport.abort()  # connection_lost follows: the app is told, uvicorn forgets the connection
                return
            self.probe = self.loop.call_later(PROBE_S, self.check_client)

        def connection_lost(self, exc: Exception | None) -> None:
            """As uvicorn's (a disconnect for the app, after the messages already waiting), then GONE set so that
            the app need not read those first, and the websockets parser closed.

            The parser is a generator that refers to its protocol (a reference cycle) and holds the last frame it
            parsed, up to max_message_bytes, beside the protocol's buffer of bytes not parsed yet: left as it was,
            all of it stayed until a full garbage collection, which the app makes rare (app/server/app.py,
            GC_YOUNG_THRESHOLD): 15 s after an attack from 400 sockets (benchmarks/soak.py --attacker) a full
            collection still freed 25-40 MB. Closed, the cycle is gone and the connection's memory is freed as soon
            as uvicorn lets go of it."""
            if self.probe is not None:
                self.probe.cancel()
                self.probe = None
            super().connection_lost(exc)
            self.conn.parser.close()
            if not self.gone.done():
                self.gone.set_result(None)

        async def send(self, message: ASGISendEvent) -> None:
            """As uvicorn's send, except a close while the send buffer is full aborts the connection at once."""
            if message["type"] == "websocket.close" and self.handshake_complete and not self.writable.is_set():
                self.transport.abort()
                raise ClientDisconnected
            await super().send(message)

        def shutdown(self) -> None:
            """As uvicorn's shutdown (a 1012 close), then an abort if that close could not be handed to the kernel."""
            super().shutdown()
            if self.transport.get_write_buffer_size():
                self.transport.abort()

    WebSocketProtocol = AbortingProtocol


def served_state(app: object) -> Any | None:
    """The state (app.state, holding its Settings) of the app uvicorn serves, found through the middlewares uvicorn
    wraps it in; None when there is none."""
    for _ in range(16):
        state = getattr(app, "state", None)
        if isinstance(getattr(state, "settings", None), Settings):
            return state
        app = getattr(app, "app", None)
        if app is None:
            break
    return None


class HeadDeadlineProtocol(H11Protocol):
    """uvicorn's h11 HTTP protocol with a deadline on each request head and a size limit on it.

    h11, not httptools (what uvicorn's "auto" picks when installed): httptools accepts headers of any size. h11
    checks a head's size only while it is incomplete, so a large head arriving in one read passed: here a head over
    `h11_max_incomplete_event_size` (uvicorn_options sets it from http_max_header_bytes) is answered 431 and the
    connection closed, however it arrives. uvicorn times out only a keep-alive connection that is idle after a
    response, and any byte resets that; a connection that sends nothing, or trickles its head a byte at a time,
    was held for ever. Here a connection has the app's http_header_timeout_s, from when it opens or finishes a
    response, to deliver a whole request head; then it is closed. A connection from an address over its share of the
    loop's reading is not read until the address's turn (wait_for_turn). A module-level class, so `serve --workers`
    can hand it to its worker processes."""

    head_deadline: asyncio.TimerHandle | None = None
    head = b""  # the start of the request head being received, up to max_header_bytes + 4 bytes
    turn: asyncio.Future[bool] | None = None  # the connection's place among its address's waiting to be read
    held = b""  # what arrived before its turn (one read at most)

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(config, server_state, app_state, **kwargs)
        state = served_state(config.loaded_app)  # a worker of `serve --workers` builds its app from the environment:
        settings = state.settings if state is not None else Settings.from_env()  # without one found, its settings
        self.header_timeout_s = settings.http_header_timeout_s
        self.max_header_bytes = config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        self.reads = TimeShare.reading(state) if state is not None else None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.arm_head_deadline()
        self.wait_for_turn()

    def wait_for_turn(self) -> None:
        """Charge the address the opening of a connection in its turn, and parse nothing of it until then (its first
        read is held, nothing more is read: its request head, a websocket's handshake, wait) while the address is
        over its share of the loop's reading (app/server/time_share.py): 400 websockets opened at once from one
        address cost the loop about 0.3 s of handshakes, routes and hellos before any of them was accepted, and
        every other student's answer waited for them. The head deadline runs meanwhile."""
        if self.reads is None or self.client is None:
            return
        self.turn = self.reads.turn(self.client[0])
        if self.turn is None:
            self.reads.charge(self.client[0], OPEN_S)
        else:
            self.turn.add_done_callback(self.turn_taken)

    def turn_taken(self, turn: asyncio.Future[bool]) -> None:
        """The connection's turn: charged now (charged on arrival, a burst's connections all waited for the first
        of them, then went in at once), and read on, starting with what arrived meanwhile."""
        self.turn = None
        if turn.cancelled() or self.transport.is_closing() or self.reads is None or self.client is None:
            return
        self.reads.charge(self.client[0], OPEN_S)
        self.flow.resume_reading()
        held, self.held = self.held, b""
        if held:
            self.data_received(held)

    def arm_head_deadline(self) -> None:
        self.disarm_head_deadline()
        self.head_deadline = self.loop.call_later(self.header_timeout_s, self.head_too_slow)

    def disarm_head_deadline(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def head_too_slow(self) -> None:
        """No whole request head in time: close, as uvicorn's keep-alive timeout does."""
        self.head_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.turn is not None:  # not its turn yet: the first read is held (pausing in connection_made would be
            self.held += data  # ignored: the loop starts reading after it), and nothing more is read
            self.flow.pause_reading()
            return
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.head = (self.head + data)[: self.max_header_bytes + 4]
            end = self.head.find(b"\r\n\r\n")
            if end > self.max_header_bytes or (end == -1 and len(self.head) > self.max_header_bytes):
                self.refuse_head()
                return
            if end != -1:
                self.head = b""
        super().data_received(data)
        # a head has arrived (the client's state moved on) or the connection became a websocket
        if self.conn.their_state is not h11.IDLE or self.transport.get_protocol() is not self:
            self.disarm_head_deadline()

    def refuse_head(self) -> None:
        """431 and close: the request head is over max_header_bytes."""
        self.disarm_head_deadline()
        self.head = b""
        self.logger.warning("HTTP request head over %d bytes refused", self.max_header_bytes)
        message = f"request line and headers over {self.max_header_bytes} bytes\n".encode()
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
        length = [(b"content-length", str(len(message)).encode())]
        reason = b"Request Header Fields Too Large"
        response = h11.Response(status_code=431, headers=headers + length, reason=reason)
        self.transport.write(self.conn.send(response) + self.conn.send(h11.Data(data=message)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self.arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm_head_deadline()
        if self.turn is not None:
            self.turn.cancel()
        super().connection_lost(exc)
