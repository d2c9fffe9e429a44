"""The websocket loop every page shares.

- The Origin of the handshake is checked by the app itself (nothing else in the stack does it).
- The first message is a hello that agrees the protocol version; the server answers welcome.
- Every frame is untrusted: size-limited, parsed and validated into a typed message, or answered with a typed
  error and a sentence; the connection stays open.
- A receive loop runs beside the work and the sends, so pings are answered and a slow computation never stops
  the socket being read; the event loop's reading is shared fairly by client address (app/server/time_share.py),
  so one address flooding frames on many sockets waits for its turn instead of leaving others unread.
- Latest wins: for message types that describe "the current state" (a drawing in progress, slider positions)
  only the newest waiting one is kept; other requests wait in a small bounded inbox.
- The page's Conversation answers each message with replies, computed in a worker thread so one connection's
  NumPy never holds up another's socket; the threads are shared fairly by client address, then by connection
  (app/server/fair.py), so one client's many sockets cannot make another's answers wait. A streaming answer (a
  generator) is abandoned as soon as a new request arrives.
- Quick requests (the page's `quick` says which: a plain drawing on /lenet, well under a millisecond) are answered
  in the event loop itself, in batches (app/server/together.py), in the order of a fair share of their own
  (Shares.loop): their NumPy is small arrays, mostly Python holding the GIL, so a worker thread bought no
  parallelism, only a thread hop and GIL hand-offs with the event loop that, at a class's 600 drawings a second,
  left the server waiting instead of working (README, "Classroom load"). A request the page marks with `hurry`
  (a drawing sent at pen-up) goes before the live updates of its address's other connections.
- Nothing is queued for a client that does not read: a stream makes its next frame only once the previous one
  is sent, and a send the client does not take within the send timeout closes the socket and ends both loops.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, NoReturn, Protocol, TypeVar

import anyio
from pydantic import TypeAdapter, ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.server.fair import Shares
from app.server.memory import TRIMMER
from app.server.security import origin_allowed
from app.server.time_share import TEXT_S, TimeShare, frame_cost
from app.server.together import Answer, Together
from app.server.uvicorn_ws import departure
from app.settings import Settings
from app.wire.frames import read_frame
from app.wire.latest import LatestWins
from app.wire.protocol import (
    PROTOCOL_VERSION,
    Error,
    ErrorCode,
    Hello,
    Problem,
    Reply,
    Request,
    Welcome,
    is_error_code,
    strict_json,
)

HELLO = TypeAdapter(Hello)

logger = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_TRY_LATER = 1013


M = TypeVar("M", bound=Request)  # one page's requests: the union its TypeAdapter validates
M_contra = TypeVar("M_contra", bound=Request, contravariant=True)


class Conversation(Protocol[M_contra]):
    """One page's side of one connection: replies to each valid message (a list, or a generator to stream).

    A NumPy conversation's handle runs in a worker thread; a coroutine handle (the rooms', which waits on their
    store) is awaited in the event loop and returns a list."""

    def handle(self, message: M_contra) -> Iterable[Reply] | Awaitable[Sequence[Reply]]: ...


def human(error: ValidationError) -> tuple[ErrorCode, str]:
    """The first validation problem as a code and a sentence naming the field."""
    first = error.errors()[0]
    code: ErrorCode = first["type"] if is_error_code(first["type"]) else "bad_message"
    where = ".".join(str(part) for part in first["loc"] if not isinstance(part, int) or len(first["loc"]) > 1)
    text = first["msg"].removeprefix("Value error, ")
    if first["type"] == "union_tag_invalid":
        return code, f"unknown message type {first['input'].get('type')!r}; {text}"
    return code, f"{where}: {text}" if where else text


def frame_size(frame: Mapping[str, Any], settings: Settings) -> int:
    """The bytes of a frame, or too_large when it is over the limit."""
    text: str | None = frame.get("text")
    size = len(text.encode()) if text is not None else len(frame.get("bytes") or b"")
    if size > settings.max_message_bytes:
        raise Problem("too_large", f"message of {size} bytes is over the limit of {settings.max_message_bytes}")
    return size


def parse(frame: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """The JSON object (text frame) or header-plus-arrays (binary frame) a client sent, both read as strictly
    (app/wire/protocol.py: strict_json; app/wire/frames.py: read_frame)."""
    text: str | None = frame.get("text")
    data: bytes | None = frame.get("bytes")
    frame_size(frame, settings)
    if data is not None:
        header, arrays = read_frame(data)
        return {**{k: v for k, v in header.items() if k != "arrays"}, **arrays}
    if text is None:
        raise Problem("bad_message", "a frame must carry text or bytes")
    obj = strict_json(text)
    if not isinstance(obj, dict):
        raise Problem("bad_json", f"a message must be a JSON object with a type, got {type(obj).__name__}")
    return obj


class Failures:
    """The log of unexpected exceptions, by kind (where, request type, exception class): the first of a kind is
    logged with its traceback, then at most one line a minute says how many more there were, so a client
    repeating a crashing request cannot fill the disk. Kinds come from the code, never from the client."""

    INTERVAL_S = 60.0
    MAX_KINDS = 512

    def __init__(self) -> None:
        self.last: dict[str, float] = {}
        self.unlogged: Counter[str] = Counter()

    def record(self, where: str, request: str | None, exc: BaseException) -> None:
        kind = f"where={where} request={request or 'none'} exception={type(exc).__name__}"
        now = time.monotonic()
        last = self.last.get(kind)
        if last is None and len(self.last) < self.MAX_KINDS:
            self.last[kind] = now
            logger.error("ws_internal %s", kind, exc_info=exc)
        elif last is not None and now - last >= self.INTERVAL_S:
            self.last[kind] = now
            logger.error("ws_internal %s repeated=%d", kind, self.unlogged.pop(kind, 0) + 1)
        else:
            self.unlogged[kind] += 1


FAILURES = Failures()
INTERNAL = "the server failed to answer this message; the failure is logged"


class Seats:
    """The websockets of one app: the greeted ones (app.state.clients, what max_connections counts) and every
    open one per client address (what max_connections_per_address counts, greeted or not)."""

    def __init__(self) -> None:
        self.by_address: Counter[str] = Counter()

    @staticmethod
    def of(websocket: WebSocket) -> Seats:
        """The app's Seats, made on first use."""
        state = websocket.app.state
        seats: Seats | None = getattr(state, "ws_seats", None)
        if seats is None:
            seats = state.ws_seats = Seats()
        return seats

    def take(self, host: str, limit: int) -> bool:
        """One more socket from host; False (nothing taken) when host has `limit` already."""
        if self.by_address[host] >= limit:
            return False
        self.by_address[host] += 1
        return True

    def give_back(self, host: str) -> None:
        self.by_address[host] -= 1
        if self.by_address[host] <= 0:
            del self.by_address[host]


class RateLimit:
    """Token bucket: `rate` messages a second on average with bursts up to `burst`; counts refusals in a row."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = float(burst), time.monotonic()
        self.refused = 0

    def allow(self) -> bool:
        """Take a token if there is one; a flood keeps finding none."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.refused = 0
            return True
        self.refused += 1
        return False


class Inbox(LatestWins[str | int, M]):
    """Requests waiting for the worker: newest-only for latest-wins types, a short queue for the rest."""

    def __init__(self, capacity: int, latest_wins: frozenset[str]) -> None:
        super().__init__(capacity)
        self.latest_wins = latest_wins
        self.counter = 0

    def offer(self, message: M) -> bool:
        """Add a request; False when the inbox is full (the caller answers busy)."""
        if message.type in self.latest_wins:
            self.put(message.type, message)
            return True
        if self.full:
            return False
        self.counter += 1
        self.put(self.counter, message)
        return True


class Link:
    """The sending side of a socket: one send or close at a time, each send with a timeout so a stuck client is
    dropped; after the close nothing more is sent (a send then raises WebSocketDisconnect)."""

    def __init__(self, websocket: WebSocket, settings: Settings) -> None:
        self.websocket, self.timeout = websocket, settings.send_timeout_s
        self.stream_interval = settings.stream_interval_s
        self.lock = asyncio.Lock()
        self.closed = False

    async def send(self, reply: Reply) -> None:
        """Send one reply; a client that does not take it within the timeout is closed (TimeoutError raised)."""
        async with self.lock:
            if self.closed:
                raise WebSocketDisconnect(CLOSE_NORMAL)
            try:
                async with asyncio.timeout(self.timeout):
                    if isinstance(reply, bytes):
                        await self.websocket.send_bytes(reply)
                    elif isinstance(reply, str):
                        await self.websocket.send_text(reply)
                    else:
                        await self.websocket.send_text(reply.model_dump_json())
            except RuntimeError:
                # The server closed the socket under the app (uvicorn does when keepalive pings go unanswered,
                # before the disconnect reaches the app): the client is gone, not a failure to log.
                raise WebSocketDisconnect(CLOSE_GOING_AWAY) from None
            except TimeoutError:
                logger.warning("ws_slow client=%s timeout_s=%g", address(self.websocket), self.timeout)
                await self.shut(CLOSE_POLICY, "too slow to read")
                raise

    async def close(self, code: int, reason: str) -> None:
        """Close the socket after the send in progress, so a close never races a send."""
        async with self.lock:
            await self.shut(code, reason)

    async def shut(self, code: int, reason: str) -> None:
        """Send the close frame once; a client already gone (or closed by the server: RuntimeError), or not
        reading it within a second, is just left."""
        if self.closed:
            return
        self.closed = True
        with anyio.move_on_after(1), contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self.websocket.close(code=code, reason=reason)

    async def error(self, code: ErrorCode, message: str, request: str | None = None) -> None:
        await self.send(Error(code=code, message=message, request=request))


async def run_socket(
    websocket: WebSocket,
    messages: TypeAdapter[M],
    conversation: Conversation[M],
    latest_wins: frozenset[str] = frozenset(),
    limits: dict[str, int] | None = None,
    feed: Callable[[Link], Awaitable[str]] | None = None,
    quick: Callable[[M], bool] = lambda message: False,
    hurry: Callable[[M], bool] = lambda message: False,
    together: Answer[Any, M] | None = None,
) -> None:
    """Serve one websocket until the client leaves; `messages` validates the page's request types. A `feed`
    runs beside the reading and the answering and sends what the client did not ask for (a room's broadcasts).
    A request for which `quick` is true is computed in the event loop: it must take well under a millisecond; with
    `together`, the quick requests of all connections granted in one round are answered by one call of it
    (app/server/together.py). One for which `hurry` is true goes before the requests of the address's other
    connections (FairShare.hurry)."""
    settings: Settings = websocket.app.state.settings
    clients: set[WebSocket] = websocket.app.state.clients
    where = f"path={websocket.url.path} client={address(websocket)}"
    if not origin_allowed(websocket.headers, settings):
        logger.warning("ws_refused reason=origin origin=%s %s", websocket.headers.get("origin"), where)
        await websocket.close(code=CLOSE_POLICY)
        return
    seats, host = Seats.of(websocket), websocket.client.host if websocket.client else "unknown"
    if not seats.take(host, settings.max_connections_per_address):
        await websocket.accept()
        logger.warning("ws_refused reason=address_full limit=%d %s", settings.max_connections_per_address, where)
        await websocket.close(code=CLOSE_TRY_LATER, reason="too many connections from your address; try again later")
        return
    try:
        await websocket.accept()  # in its address's turn of the loop's reading: uvicorn_ws.HeadDeadlineProtocol
    except BaseException:
        seats.give_back(host)
        raise
    link, inbox = Link(websocket, settings), Inbox[M](settings.max_pending, latest_wins)
    welcome = Welcome(limits=limits or {})
    ending = "left"

    def admit() -> bool:
        """At the hello: a seat for this socket, unless every one of max_connections is taken by greeted ones."""
        if websocket in clients:
            return True
        if len(clients) >= settings.max_connections:
            logger.warning("ws_refused reason=full connections=%d %s", len(clients), where)
            return False
        clients.add(websocket)
        logger.info("ws_open %s connections=%d", where, len(clients))
        return True

    async def until_done(job: Callable[[], Awaitable[str]], name: str) -> None:
        """Run the reading, the answering or the feed; whichever ends first (the client left or was closed, a send
        timed out, a failure) ends the others, so a dropped client never leaves a task behind."""
        nonlocal ending
        try:
            ending = await job()
        except WebSocketDisconnect:
            pass
        except TimeoutError:
            ending = "send timed out"
        except asyncio.CancelledError:
            # Ended by another loop's end (or the server's shutdown): return instead of ending with the
            # cancellation, whose traceback would hold this connection's frames and their last message (up to
            # 256 KB, and its arrays) in a reference cycle until a full collection.
            return
        except Exception as exc:  # a bug below: logged (rate-limited), the socket closed as a server error
            FAILURES.record(name, None, exc)
            ending = "internal"
            await link.close(CLOSE_INTERNAL, "server error")
        for task in tasks:  # at once, before another can end too and say why in its place
            if task is not asyncio.current_task():
                task.cancel()

    tasks: list[asyncio.Task[None]] = []
    try:
        shares, reads = Shares.of(websocket.app.state), TimeShare.reading(websocket.app.state)
        hurried = functools.partial(shares.hurry, host, link)
        reading = functools.partial(
            receive, websocket, host, link, inbox, messages, settings, welcome, admit, reads, hurry, hurried
        )
        batch = None if together is None else Together.of(websocket.app.state, together)
        answering = functools.partial(work, link, inbox, conversation, shares, host, quick, batch)
        jobs = [until_done(reading, "receive"), until_done(answering, "work")]
        if feed is not None:
            jobs.append(until_done(functools.partial(feed, link), "feed"))
        # Plain asyncio tasks, not an anyio task group: its cancel scopes, task handles and their events were
        # 4.5 KB of small objects a connection, which an attack's 400 sockets left fragmenting the heap after it.
        tasks.extend(asyncio.create_task(job) for job in jobs)
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)  # until_done returns; one never started is cancelled
    except asyncio.CancelledError:
        # uvicorn cancels what is still running when its graceful shutdown times out (sockets whose frames still
        # wait for their share of the compute threads, e.g. an attacker's abandoned ones): ended, not a failure
        # with a traceback each.
        ending = "shutdown"
    finally:
        TRIMMER.closed()
        seats.give_back(host)
        if websocket in clients:
            clients.discard(websocket)
            logger.info("ws_close %s reason=%s", where, ending.replace(" ", "_"))
        else:
            logger.debug("ws_close_ungreeted %s reason=%s", where, ending.replace(" ", "_"))


def address(websocket: WebSocket) -> str:
    """host:port of the client, for the log."""
    client = websocket.client
    return f"{client.host}:{client.port}" if client else "unknown"


async def receive(
    websocket: WebSocket,
    host: str,
    link: Link,
    inbox: Inbox[M],
    messages: TypeAdapter[M],
    settings: Settings,
    welcome: Welcome,
    admit: Callable[[], bool],
    reads: TimeShare,
    hurry: Callable[[M], bool],
    hurried: Callable[[], None],
) -> str:
    """Read frames until the client leaves or is closed: answer problems at once, hand valid requests to the
    worker. A socket that has not said hello within hello_timeout_s is closed; the hello takes a seat (admit), or
    the server is full. Every frame is parsed and validated here, as it arrives, so that a newer drawing can replace
    a waiting one in the inbox (latest wins) however far behind the compute threads are: parsing in a compute
    thread's turn instead made frames queue unread, in order, behind the threads (seconds of backlog, answers to
    replaced drawings, at 300 students × 10 drawings/s). The rate limit bounds what one socket can make the event
    loop parse, the reading TimeShare what one address can: a frame of an address over its share waits before it is
    parsed (and the socket is not read meanwhile: uvicorn reads one message ahead of the app only), however many
    of its sockets were waiting for a frame when it went over (`host`: the client's address). Returns why the loop
    ended."""
    gone = departure(websocket.scope)
    greeted = False
    limit = RateLimit(settings.rate_per_s, settings.rate_burst)
    hello_deadline = time.monotonic() + settings.hello_timeout_s
    while True:
        wait = settings.idle_timeout_s if greeted else max(hello_deadline - time.monotonic(), 0)
        try:
            async with asyncio.timeout(wait):  # a third of anyio.move_on_after's cost, paid on every frame
                frame = await websocket.receive()
        except TimeoutError:
            if not greeted:
                await link.close(CLOSE_POLICY, f"no hello within {settings.hello_timeout_s:g} s")
                return "no hello"
            await link.close(CLOSE_NORMAL, f"idle for {settings.idle_timeout_s:g} s")
            return "idle"
        if frame["type"] == "websocket.disconnect":
            return "left"
        text = len(frame.get("text") or "")  # characters: a cheap stand-in for its UTF-8 bytes
        reads.charge(host, frame_cost(text or len(frame.get("bytes") or b""), text))
        if not await reads.take_turn(host, gone):  # the frame is read, not parsed; the socket is not read meanwhile
            return "left"  # the connection was lost while the frame waited: nobody to answer
        kind = None
        try:
            if not limit.allow():
                if limit.refused > settings.rate_strikes:
                    await link.close(CLOSE_POLICY, "too many messages")
                    return "rate limit"
                raise Problem("rate_limited", f"more than {settings.rate_per_s:g} messages a second; slow down")
            started = time.perf_counter()
            kind, read = read_message(frame, settings, messages, greeted)
            reads.charge(host, time.perf_counter() - started - text * TEXT_S)  # measured instead of estimated
            if isinstance(read, Problem):
                problem, read = read, None  # raised from the name `except Problem as problem` unbinds: left in a
                raise problem  # local, it kept this frame (its traceback's) and the frame's message in a cycle
            if isinstance(read, Hello):
                hello = read
                if hello.version != PROTOCOL_VERSION:
                    raise Problem(
                        "unsupported_version", f"this server speaks protocol {PROTOCOL_VERSION}, not {hello.version}"
                    )
                if not admit():
                    await link.close(CLOSE_TRY_LATER, "the server is full; try again in a minute")
                    return "full"
                greeted = True
                await link.send(welcome)
                continue
            if read is None:
                raise Problem("hello_first", f'send {{"type": "hello", "version": {PROTOCOL_VERSION}}} first')
            if not inbox.offer(read):
                raise Problem("busy", f"{settings.max_pending} requests are already waiting; wait for their answers")
            if hurry(read):
                hurried()
        except Problem as problem:
            known = kind is None or kind == "hello" or kind in request_types(messages)
            where = address(websocket)
            logger.info("ws_error code=%s request=%s client=%s", problem.code, kind if known else "unknown", where)
            await link.error(problem.code, str(problem), kind)
            if problem.code == "too_large":
                await link.close(CLOSE_TOO_BIG, "message too large")
                return "too large"
        except (WebSocketDisconnect, TimeoutError):
            raise
        except Exception as exc:  # a bug in reading or validating: answered, logged (rate-limited), socket kept
            named = kind if kind is None or kind == "hello" or kind in request_types(messages) else "unknown"
            FAILURES.record("receive", named, exc)
            await link.error("internal", INTERNAL, named)


def read_message(
    frame: Mapping[str, Any], settings: Settings, messages: TypeAdapter[M], greeted: bool
) -> tuple[str | None, Hello | M | Problem | None]:
    """A frame's type (None when it has none) and what it holds: a Hello, a valid request once greeted (None
    before), or the Problem that refuses it."""
    kind = None
    try:
        obj = parse(frame, settings)
        kind = obj.get("type") if isinstance(obj.get("type"), str) else None
        if kind == "hello":
            return kind, validate(HELLO, obj)
        return kind, validate(messages, obj) if greeted else None
    except Problem as problem:
        return kind, problem


@functools.cache
def request_types(adapter: TypeAdapter[Any]) -> frozenset[str]:
    """The type tags a page's messages may have (the choices of its tagged unions): the log names a request's type
    only when it is one of them, so nothing a client wrote reaches the log."""
    found: set[str] = set()
    todo: list[Any] = [adapter.core_schema]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            if node.get("type") == "tagged-union":
                found.update(key for key in node["choices"] if isinstance(key, str))
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return frozenset(found)


def validate(adapter: TypeAdapter[M], obj: dict[str, Any]) -> M:
    """The typed message, or a Problem with a sentence saying what is wrong."""
    try:
        return adapter.validate_python(obj)
    except ValidationError as exc:
        code, sentence = human(exc)
    # raised after the except clause has unbound exc: raised inside it, this frame (holding the message) and the
    # ValidationError (whose traceback holds this frame) stayed in a reference cycle until a full collection
    raise Problem(code, sentence)


async def compute(
    inbox: Inbox[M],
    conversation: Conversation[M],
    shares: Shares,
    address: str,
    link: Link,
    quick: Callable[[M], bool],
    together: Together[Conversation[M], M] | None,
) -> Any:
    """What the conversation answers to the oldest waiting request, taken in its turn: in the event loop in its
    turn of the loop's share when it is quick (with the round's other quick requests, when together), else in a
    worker thread in its turn of the threads' share (also when, while it waited, it was replaced by a newer
    request that is not quick)."""
    if quick(inbox.peek()[1]):
        async with shares.loop.slot(address, link):
            key, message = inbox.take_now()
            if quick(message):
                if together is None:
                    return conversation.handle(message)
                return await together.handle(conversation, message)
            inbox.first(key, message)
    return await shares.threads.run_made(
        address, link, lambda: functools.partial(conversation.handle, inbox.take_now()[1])
    )


async def work(
    link: Link,
    inbox: Inbox[M],
    conversation: Conversation[M],
    shares: Shares,
    address: str,
    quick: Callable[[M], bool],
    together: Together[Conversation[M], M] | None,
) -> NoReturn:
    """Answer requests one at a time, until the client leaves (WebSocketDisconnect) or is dropped (TimeoutError);
    a streamed answer (a generator) stops when a newer request is waiting.

    A NumPy request, and each frame of a stream, waits for this connection's turn in one of the app's fair shares
    (app/server/fair.py: by client address, then by connection; the event loop's for a quick request, the
    threads' for the rest) and is taken from the inbox only once its slot is granted: meanwhile a newer request
    still replaces a waiting one, so what is computed is never older than the wait for the inbox, however long
    the queue."""
    threaded = not inspect.iscoroutinefunction(conversation.handle)
    share = shares.threads
    while True:
        await inbox.wait()
        kind = inbox.peek()[1].type  # what is taken next is of this type, even if a newer one replaces it meanwhile
        try:
            if threaded:
                result = await compute(inbox, conversation, shares, address, link, quick, together)
            else:
                result = conversation.handle(inbox.take_now()[1])
            answer = await result if inspect.isawaitable(result) else result
            if isinstance(answer, list | tuple):
                for reply in answer:  # computed already: no thread hop per reply
                    await link.send(reply)
                continue
            replies = iter(answer)
            while (reply := await share.run(address, link, next, replies, None)) is not None:
                await link.send(reply)
                if inbox.waiting:
                    break
                await asyncio.sleep(link.stream_interval)
        except Problem as problem:
            await link.error(problem.code, str(problem), kind)
        except (WebSocketDisconnect, TimeoutError):
            raise
        except Exception as exc:
            FAILURES.record("work", kind, exc)
            await link.error("internal", INTERNAL, kind)
