"""POST /api/backprop: the backward pass of the /lenet page for scripts and notebooks (docs/protocol/lenet.md)."""

from __future__ import annotations

from typing import Annotated, Any, cast

import anyio
import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.server.deps import AppSettings, ClientAddress, Compute, SharedLenet, Uploads
from app.server.responses import ApiProblem
from app.server.routes.lenet import (
    ERRORS,
    IMAGE_TYPES,
    MULTIPART,
    REQUEST_BODY,
    drawing_image,
    json_request,
    unsupported,
)
from app.server.uploads import Busy, UploadError, form_file, media_type, read_body
from app.services.lenet_backward import backprop_answer
from app.settings import Settings
from app.wire.backprop import BackpropRequest, BackpropResponse
from app.wire.lenet import Preprocessing

router = APIRouter()

BODY = {
    **REQUEST_BODY,
    "description": (
        "One of: a JSON object with the 28×28 image LeNet reads (no preprocessing) and the `label`; or, with the "
        "label as the `label` query parameter, a PNG, JPEG or WebP of a drawing of any size as the whole body or "
        "as a file field of a `multipart/form-data` form, which goes through the drawing preprocessing chosen by "
        "`preprocess` (as POST /api/predict reads it)."
    ),
    "content": {
        **cast(dict[str, Any], REQUEST_BODY["content"]),
        "application/json": {"schema": BackpropRequest.model_json_schema()},
    },
}


@router.post(
    "/api/backprop",
    response_model=BackpropResponse,
    summary="Backpropagate the cross-entropy loss of a label through LeNet-5",
    description=(
        "The loss l = −log p(label) of the image on the shipped weights, ∂l/∂scores = p − onehot, ∂l/∂ every "
        "parameter (shaped as the weights file: conv (F, C, K, K), dense in × out) and δ = ∂l/∂ the values of "
        "every stage of the /lenet page, computed by the app's engine in float64."
    ),
    responses=ERRORS,
    openapi_extra={"requestBody": BODY},
)
async def backprop(
    request: Request,
    settings: AppSettings,
    shared: SharedLenet,
    compute: Compute,
    uploads: Uploads,
    client: ClientAddress,
    label: Annotated[
        int | None, Query(ge=0, le=9, description="for an image body: the digit the drawing should be")
    ] = None,
    preprocess: Annotated[
        Preprocessing, Query(description="for images: `mnist` (crop, scale, centre by mass) or `raw` (shrunk)")
    ] = "mnist",
) -> Response:
    """The loss of `label` for one image and its gradient at every parameter and every stage of LeNet-5."""
    if shared.model is None:
        raise ApiProblem(503, "unavailable", shared.error or "LeNet-5 is not loaded")
    model = shared.model
    try:
        with uploads.admit(client):  # before the body is read: a full queue holds no more bodies
            kind, limit = media_type(request), settings.lenet_max_upload_bytes
            body = await (form_file(request, limit) if kind == MULTIPART else read_body(request, limit))
            image, digit = await anyio.to_thread.run_sync(
                labelled_image, kind, body, label, preprocess, settings, limiter=compute
            )
            del body
            answer = await anyio.to_thread.run_sync(
                lambda: backprop_answer(model, image, digit).model_dump_json().encode(), limiter=compute
            )
    except Busy as exc:
        # the body was not read, so the connection is closed; the client may retry after a second
        raise ApiProblem(503, "busy", str(exc), {"Retry-After": "1", "Connection": "close"}) from None
    except UploadError as exc:
        raise ApiProblem(413 if exc.code == "too_large" else 400, exc.code, str(exc)) from None
    return Response(answer, media_type="application/json")


def labelled_image(
    kind: str, body: bytes, label: int | None, mode: Preprocessing, settings: Settings
) -> tuple[np.ndarray, int]:
    """LeNet's 28×28 input and the label: from a JSON body, or an image body and the `label` query parameter."""
    if kind == "application/json":
        if label is not None:
            raise ApiProblem(422, "bad_query", "label: a JSON body carries its label; leave out the query parameter")
        request = json_request(body, BackpropRequest)
        return np.array(request.image, dtype=np.float32), request.label
    if kind in IMAGE_TYPES or kind == MULTIPART:
        if label is None:
            raise ApiProblem(422, "bad_query", "label: an image body needs ?label= with the digit it should be")
        return drawing_image(body, mode, settings), label
    raise unsupported(kind)
