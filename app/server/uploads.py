"""Request bodies of REST endpoints: read with a size limit, and the file out of a multipart/form-data upload.

The multipart reader is the few lines a file upload needs (python-multipart is not a dependency): the body is
split on the boundary from the Content-Type header, and the first part with a filename (else the first part)
is the file.
"""

from __future__ import annotations

import re

from starlette.requests import Request


class UploadError(ValueError):
    """A body that cannot be read, with a code and a sentence."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused (code too_large) as soon as it is longer than limit bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise UploadError("too_large", f"the body is {declared} bytes, over the limit of {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise UploadError("too_large", f"the body is over the limit of {limit} bytes")
    return bytes(body)


def media_type(request: Request) -> str:
    """The Content-Type without its parameters, lower case ("" when missing)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def multipart_file(content_type: str, body: bytes) -> bytes:
    """The uploaded file's bytes in a multipart/form-data body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise UploadError("bad_upload", "a multipart/form-data body needs a boundary in its Content-Type")
    delimiter = b"--" + match.group(1).encode("latin-1")
    parts = []
    for section in body.split(delimiter)[1:]:
        if section.startswith(b"--"):
            break
        head, separator, content = section.partition(b"\r\n\r\n")
        if separator:
            parts.append((head, content.removesuffix(b"\r\n")))
    if not parts:
        raise UploadError("bad_upload", "the multipart body holds no part; send the PNG as a file field")
    return next((content for head, content in parts if b"filename=" in head), parts[0][1])
