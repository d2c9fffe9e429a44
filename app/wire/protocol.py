"""What every websocket shares (the hello that agrees the protocol version, typed errors, what a reply is), and
the error body of the REST API.

Each page adds its own message models (app/wire/conv.py, lenet.py, room.py, xor.py) with a Literal `type` tag; the
JavaScript side mirrors the type names in static/js/lib/protocol.js. The whole protocol is described in
docs/protocol.md.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal, Protocol, TypeGuard, get_args

from pydantic import BaseModel, ConfigDict, Field

PROTOCOL_VERSION = 1

ErrorCode = Literal[
    "bad_json",  # the text frame is not JSON, or not a JSON object
    "bad_message",  # unknown type, missing or extra fields, wrong types or values
    "bad_shape",  # an array of the wrong size
    "bad_value",  # NaN, infinity or a number out of range
    "hello_first",  # a request before the hello that agrees the protocol version
    "unsupported_version",  # a hello with a protocol version this server does not speak
    "too_large",  # a message over the size limit
    "binary_not_accepted",  # a binary frame where only JSON text is read
    "busy",  # too many requests waiting on this connection
    "rate_limited",  # more messages a second than the limit; a sustained flood is closed with 1008
    "unavailable",  # the server cannot serve this now (e.g. LeNet's weights did not load)
    "impossible",  # valid numbers that describe something impossible (the sentence says why)
    "not_joined",  # a room message before joining a room
    "room_not_found",  # no room has this code (a typo, or not a code at all)
    "room_expired",  # the room ended or was idle too long
    "room_full",  # the room's gallery holds as many drawings as the server allows
    "too_many_drawings",  # this member (or client address) sent as many drawings to the room as it may
    "paused",  # the teacher paused the class: a student's changes wait until it resumes
    "too_many_attempts",  # too many wrong room codes or new members from this address lately; the sentence says when
    "forbidden",  # a student (or a wrong teacher key) asking for what only the room's teacher may do
    "internal",  # the server failed; the failure is logged
]
ERROR_CODES = frozenset(get_args(ErrorCode))


def is_error_code(text: str) -> TypeGuard[ErrorCode]:
    """Whether text is one of the error codes (a validation error's type may be one)."""
    return text in ERROR_CODES


class Message(BaseModel):
    """Base of every message: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Hello(Message):
    """Client → server, first: the protocol version the page speaks."""

    type: Literal["hello"]
    version: int


class Welcome(Message):
    """Server → client: the version agreed, and the limits the page should respect."""

    type: Literal["welcome"] = "welcome"
    version: int = PROTOCOL_VERSION
    limits: dict[str, int] = Field(default_factory=dict)


class Error(Message):
    """Server → client: what was wrong, as a code for programs and a sentence for people."""

    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    request: str | None = None  # the type of the message that caused it, when known


class ApiError(BaseModel):
    """Every error of the REST API: a code for programs and a sentence for people."""

    code: str = Field(
        description="what went wrong, e.g. bad_json, bad_png, too_large, empty, room_not_found or "
        "forbidden (each endpoint lists its own)"
    )
    message: str


Reply = BaseModel | bytes | str  # a JSON message (a model, or already JSON text), or a binary frame (pack_frame)


class Request(Protocol):
    """What the websocket loop reads of every page's validated requests: the type tag."""

    @property
    def type(self) -> str: ...


class Problem(Exception):
    """A message that cannot be served, with the error code and sentence to send back."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class Sender(Protocol):
    """The sending side of one connection, for a conversation that also sends what was not asked (a room's feed)."""

    async def send(self, reply: Reply) -> None:
        """Send one reply."""

    async def close(self, code: int, reason: str) -> None:
        """Close the connection with a websocket close code and a reason."""


def reject_constant(name: str) -> None:
    """json.loads hook: NaN and Infinity are not JSON, and never valid input here."""
    raise Problem("bad_value", f"{name} is not a number this server accepts")


def finite_float(text: str) -> float:
    """json.loads hook: a number too large for a float (1e999) is refused instead of becoming infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise Problem("bad_value", f"{text} is too large for a number")
    return value


# The decoder of strict_json, made once (json.loads with hooks makes one per call).
STRICT = json.JSONDecoder(parse_constant=reject_constant, parse_float=finite_float)


def strict_json(text: str | bytes) -> Any:
    """A client's JSON, read the one strict way every message is (text frames and binary frames' headers alike):
    NaN, Infinity and overflowing numbers are `bad_value`; anything unreadable (bad syntax, bytes not UTF-8, an integer
    of thousands of digits, nesting too deep) is `bad_json`."""
    try:
        return STRICT.decode(text.decode() if isinstance(text, bytes) else text)
    except json.JSONDecodeError as exc:
        raise Problem("bad_json", f"not JSON: {exc.msg} at character {exc.pos}") from None
    except RecursionError:
        raise Problem("bad_json", "JSON nested too deeply") from None
    except ValueError as exc:  # bad UTF-8, an integer over Python's digit limit
        raise Problem("bad_json", f"not usable JSON: {exc}") from None
