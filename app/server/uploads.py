"""Request bodies of REST endpoints, read with a size limit: the whole body, or the file of a multipart/form-data
upload (parsed by Starlette with python-multipart)."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message


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
    return await limited(request, limit).body()


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


def media_type(request: Request) -> str:
    """The Content-Type without its parameters, lower case ("" when missing)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()
