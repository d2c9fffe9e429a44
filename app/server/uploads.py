"""Request bodies of REST endpoints, read with a size limit: the whole body, or the file of a multipart/form-data
upload (parsed by Starlette with python-multipart); and the bounded queue that admits such uploads at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message

from app.server.memory import TRIMMER


class UploadError(ValueError):
    """A body that cannot be read, with a code and a sentence."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def limited(request: Request, limit: int) -> Request:
    """The request, its body refused (code too_large) as soon as it is declared or found longer than limit bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise UploadError("too_large", f"the body is {declared} bytes, over the limit of {limit}")
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise UploadError("too_large", f"the body is over the limit of {limit} bytes")
        return message

    return Request(request.scope, receive)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused (code too_large) as soon as it is longer than limit bytes."""
    try:
        return await limited(request, limit).body()
    except ClientDisconnect:
        raise UploadError("disconnected", "the client left before sending the whole body") from None


async def form_file(request: Request, limit: int) -> bytes:
    """The first file of a multipart/form-data body of at most limit bytes (code bad_upload when there is none)."""
    try:
        async with limited(request, limit).form() as form:
            files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
            if not files:
                raise UploadError(
                    "bad_upload",
                    "the form holds no file; send the image as a file field (e.g. curl -F file=@digit.png)",
                )
            return await files[0].read()
    except HTTPException as exc:  # Starlette's answer to a malformed multipart body
        raise UploadError("bad_upload", f"the multipart body cannot be read: {exc.detail}") from None
    except ClientDisconnect:
        raise UploadError("disconnected", "the client left before sending the whole body") from None


def media_type(request: Request) -> str:
    """The Content-Type without its parameters, lower case ("" when missing)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


class Busy(Exception):
    """A request refused because the server's queue of heavy requests is full (answered 503 busy at once)."""


class Admission:
    """A bounded queue of heavy requests (uploads that wait for the compute threads): at most `limit` are admitted
    at once, from the first byte of their body read to their answer, and at most `per_client` of them from one
    client address, so one script cannot take every place; one more is refused at once, before its body is read,
    so the memory held by waiting uploads is at most `limit` bodies.

    Used from the event loop only, so plain counters suffice.
    """

    def __init__(self, limit: int, setting: str, per_client: int, per_client_setting: str) -> None:
        self.limit, self.setting, self.admitted = limit, setting, 0
        self.per_client, self.per_client_setting = per_client, per_client_setting
        self.holding: dict[str, int] = {}  # client address -> its requests admitted now

    @contextmanager
    def admit(self, client: str) -> Iterator[None]:
        """Hold one place in the queue for the block, or raise Busy with a sentence when every place is taken or
        `client` holds its share already."""
        if self.admitted >= self.limit:
            raise Busy(
                f"the server is busy: {self.limit} requests like this one are already waiting or being computed "
                f"({self.setting}); try again in a moment"
            )
        if self.holding.get(client, 0) >= self.per_client:
            raise Busy(
                f"the server is busy with {self.per_client} requests like this one from your address "
                f"({self.per_client_setting}); send the next once one is answered"
            )
        self.admitted += 1
        self.holding[client] = self.holding.get(client, 0) + 1
        try:
            yield
        finally:
            TRIMMER.closed()
            self.admitted -= 1
            self.holding[client] -= 1
            if not self.holding[client]:
                del self.holding[client]
