"""A REST error as a response: the ApiError body (app/wire/protocol.py) with its HTTP status."""

from fastapi.responses import JSONResponse

from app.wire.protocol import ApiError


def problem(status: int, code: str, message: str) -> JSONResponse:
    """An ApiError response."""
    return JSONResponse(ApiError(code=code, message=message).model_dump(), status_code=status)
