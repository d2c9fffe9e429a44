"""Routes of the lenet page: its websocket /ws/lenet and the REST endpoint POST /api/predict."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import anyio
import numpy as np
from fastapi import APIRouter, Query, Request, WebSocket
from pydantic import TypeAdapter, ValidationError

from app.data.drawing import NOISE_LEVEL
from app.models.lenet import CLASSES
from app.server.deps import AppSettings, ClientAddress, Compute, SharedLenet, Uploads
from app.server.responses import ApiProblem
from app.server.uploads import Busy, UploadError, form_file, media_type, read_body
from app.server.ws import run_socket
from app.services.images import ImageError, ImageTooLarge, decode_image
from app.services.lenet import prepare, read, weight_sharing_copy
from app.services.lenet_conversation import LeNetConversation
from app.settings import Settings
from app.wire.backprop import BackpropRequest
from app.wire.lenet import Activations, LenetMessage, LenetRequest, PredictRequest, PredictResponse, Preprocessing
from app.wire.protocol import ApiError

MESSAGES: TypeAdapter[LenetMessage] = TypeAdapter(LenetRequest)


router = APIRouter()


@router.websocket("/ws/lenet")
async def lenet_socket(websocket: WebSocket, settings: AppSettings, shared: SharedLenet) -> None:
    """The /lenet page's websocket: drawings in; predictions, activations, gradients and lessons out."""
    conversation = LeNetConversation(shared, settings)
    limits = {
        "max_canvas": settings.lenet_max_canvas,
        "teach_max_steps": settings.lenet_teach_max_steps,
        "classes": CLASSES,
    }
    await run_socket(
        websocket,
        MESSAGES,
        conversation,
        latest_wins=frozenset({"draw", "input_gradient"}),
        limits=limits,
        quick=LeNetConversation.quick,
        hurry=LeNetConversation.hurry,
        together=LeNetConversation.handle_together,
    )


IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp", "application/octet-stream"}
MULTIPART = "multipart/form-data"
REQUEST_BODY = {
    "required": True,
    "description": (
        "One of: a JSON object with the 28×28 image LeNet reads (no preprocessing); a PNG, JPEG or WebP of a drawing "
        "of any size as the whole body (`Content-Type: image/png`, `image/jpeg` or `image/webp`); or such an image "
        "uploaded as a file field of a `multipart/form-data` form (any field name, e.g. `curl -F file=@digit.png`). "
        "An image goes through the drawing preprocessing chosen by `preprocess`; dark-on-light and light-on-dark "
        "drawings both work, and transparency counts as paper."
    ),
    "content": {
        "application/json": {"schema": PredictRequest.model_json_schema()},
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "image/webp": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary", "description": "the image"}},
            }
        },
    },
}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ApiError,
        "description": "not JSON, a corrupt image or not a PNG, JPEG or WebP (code bad_png), or an unreadable upload",
    },
    413: {"model": ApiError, "description": "the body, the image's pixel count or a side is over the server's limit"},
    415: {"model": ApiError, "description": "a Content-Type other than JSON, an image or multipart/form-data"},
    422: {"model": ApiError, "description": "wrong shape or values, an empty drawing, or a bad query parameter"},
    503: {
        "model": ApiError,
        "description": "LeNet-5's weights did not load (code unavailable, the message says how to fix it), or too many "
        "uploads are waiting for the compute threads (code busy: try again in a moment)",
    },
}


@router.post(
    "/api/predict",
    response_model=PredictResponse,
    response_model_exclude_none=True,
    summary="Classify a digit with LeNet-5",
    responses=ERRORS,
    openapi_extra={"requestBody": REQUEST_BODY},
)
async def predict(
    request: Request,
    settings: AppSettings,
    shared: SharedLenet,
    compute: Compute,
    uploads: Uploads,
    client: ClientAddress,
    activations: Annotated[bool, Query(description="also return every layer's activations")] = False,
    preprocess: Annotated[
        Preprocessing,
        Query(
            description="for images: `mnist` (crop, scale to 20 px, centre by mass, "
            "as MNIST was made) or `raw` (the canvas shrunk to 28×28)"
        ),
    ] = "mnist",
) -> PredictResponse:
    """The same prediction as the /lenet page, for scripts: one forward pass of the shared LeNet-5."""
    if shared.model is None:
        raise ApiProblem(503, "unavailable", shared.error or "LeNet-5 is not loaded")
    try:
        with uploads.admit(client):  # before the body is read: a full queue holds no more bodies
            kind, limit = media_type(request), settings.lenet_max_upload_bytes
            body = await (form_file(request, limit) if kind == MULTIPART else read_body(request, limit))
            image, asked = await anyio.to_thread.run_sync(
                input_image, kind, body, preprocess, settings, limiter=compute
            )
            del body
            reading = await anyio.to_thread.run_sync(read, weight_sharing_copy(shared.model), image, limiter=compute)
    except Busy as exc:
        # the body was not read, so the connection is closed; the client may retry after a second
        raise ApiProblem(503, "busy", str(exc), {"Retry-After": "1", "Connection": "close"}) from None
    except UploadError as exc:
        raise ApiProblem(413 if exc.code == "too_large" else 400, exc.code, str(exc)) from None
    maps = None
    if activations or asked:
        maps = Activations(**{name: values.tolist() for name, values in reading.activations.items()})
    return PredictResponse(
        prediction=reading.prediction, probabilities=reading.probabilities.tolist(), activations=maps
    )


def input_image(kind: str, body: bytes, mode: Preprocessing, settings: Settings) -> tuple[np.ndarray, bool]:
    """LeNet's 28×28 input from a body (of multipart: the uploaded file), and whether the body asked for activations."""
    if kind == "application/json":
        request = json_request(body, PredictRequest)
        return np.array(request.image, dtype=np.float32), request.activations
    if kind in IMAGE_TYPES or kind == MULTIPART:
        return drawing_image(body, mode, settings), False
    raise unsupported(kind)


def unsupported(kind: str) -> ApiProblem:
    """The 415 for a Content-Type an image endpoint does not read."""
    return ApiProblem(
        415,
        "unsupported_media_type",
        f"Content-Type {kind or 'missing'}: send application/json, "
        "image/png, image/jpeg, image/webp or multipart/form-data",
    )


ImageRequest = TypeVar("ImageRequest", PredictRequest, BackpropRequest)


def json_request(body: bytes, model: type[ImageRequest]) -> ImageRequest:
    """A JSON body validated as `model`, its 28×28 image holding some ink; else the ApiProblem saying what is wrong."""
    try:
        request = model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise ApiProblem(400, "bad_json", f"the body is not JSON ({first['msg']})") from None
        code = first["type"] if first["type"] in ("bad_shape", "bad_value") else "bad_value"
        where = ".".join(str(part) for part in first["loc"])
        raise ApiProblem(422, code, f"{where}: {first['msg']}" if where else first["msg"]) from None
    if max(max(row) for row in request.image) <= NOISE_LEVEL:
        raise ApiProblem(422, "empty", f"the image has no ink (no value above {NOISE_LEVEL}); nothing to classify")
    return request


def drawing_image(data: bytes, mode: Preprocessing, settings: Settings) -> np.ndarray:
    """An uploaded drawing (PNG, JPEG or WebP) decoded and preprocessed into LeNet's input."""
    try:
        pixels = decode_image(data, settings.lenet_max_png_pixels, settings.lenet_max_image_side)
    except ImageTooLarge as exc:
        raise ApiProblem(413, "too_large", str(exc)) from None
    except ImageError as exc:
        raise ApiProblem(400, "bad_png", str(exc)) from None
    prepared = prepare(pixels, mode)
    if prepared.image is None:
        raise ApiProblem(422, "empty", "the drawing has no ink (it is one colour); nothing to classify")
    return prepared.image
