"""POST /api/svm: a kernel SVM trained by the engine of the /kernels page on points a script sends (app/wire/svm.py
has the fields, app/services/svm.py the work)."""

from __future__ import annotations

import json
from typing import Any

import anyio
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from app.kernels.svm import SVMError
from app.server.deps import AppSettings, ClientAddress, Compute, Uploads
from app.server.responses import ApiProblem
from app.server.uploads import Busy, UploadError, read_body
from app.services.svm import train
from app.settings import Settings
from app.wire.protocol import ApiError, Problem
from app.wire.svm import SvmRequest, SvmResponse

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "the body is not JSON (bad_json)"},
    413: {"model": ApiError, "description": "the body is over the server's limit (too_large)"},
    422: {
        "model": ApiError,
        "description": "a missing or unknown field, a wrong type, or a value the SVM cannot take (bad_value: C ≤ 0, "
        "γ ≤ 0, a degree below 1, a label not 0 or 1, one class only, NaN, a kernel that overflows, or more points, "
        "a higher degree or a larger grid than the server allows; bad_shape: not one label per point); the message "
        "names the value, and the variable of a server limit",
    },
    503: {"model": ApiError, "description": "too many heavy requests are waiting for the compute threads (busy)"},
}


@router.post(
    "/api/svm",
    response_model=SvmResponse,
    summary="Train a kernel SVM",
    responses=ERRORS,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": SvmRequest.model_json_schema()}}}
    },
)
async def svm(
    request: Request, settings: AppSettings, compute: Compute, uploads: Uploads, client: ClientAddress
) -> Response:
    """The soft-margin SVM of the points, as scikit-learn's SVC finds it: α, b, the support vectors, the dual
    objective and f(x) = Σᵢ αᵢ yᵢ K(xᵢ, x) + b at every point (positive for label 1), and over a grid if asked."""
    try:
        with uploads.admit(client):  # a fit can take seconds: a bounded queue waits for the compute threads
            body = await read_body(request, settings.svm_max_body_bytes)
            content = await anyio.to_thread.run_sync(answer, body, settings, limiter=compute)
    except Busy as exc:
        raise ApiProblem(503, "busy", str(exc), {"Retry-After": "1", "Connection": "close"}) from None
    except UploadError as exc:
        raise ApiProblem(413 if exc.code == "too_large" else 400, exc.code, str(exc)) from None
    except (SVMError, Problem) as exc:
        raise ApiProblem(422, exc.code, str(exc)) from None
    return Response(content, media_type="application/json")


def answer(body: bytes, settings: Settings) -> bytes:
    """The JSON answer to a body, parsed, trained and encoded in a compute thread (a 201×201 grid is 0.8 MB of JSON,
    which the event loop should not spend its time on)."""
    return train(parse(body), settings).model_dump_json(exclude_none=True).encode()


def parse(body: bytes) -> SvmRequest:
    """The request a JSON body describes; bad_json (400) or bad_value (422) naming the field and the value sent."""
    try:
        return SvmRequest.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise ApiProblem(400, "bad_json", f"the body is not JSON ({first['msg']})") from None
        where = ".".join(str(part) for part in first["loc"])
        sent = first.get("input")
        named = f"{where} = {json.dumps(sent)[:80]}" if isinstance(sent, int | float | str | bool) else where
        message = f"{named}: {first['msg'][0].lower()}{first['msg'][1:]}"
        raise ApiProblem(422, "bad_value", message if where else first["msg"]) from None
