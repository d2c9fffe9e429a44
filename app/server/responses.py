"""The error body every REST endpoint answers with: a code for programs and a sentence for people."""

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


class ApiError(BaseModel):
    """Every error of the REST API: a code for programs and a sentence for people."""

    code: str = Field(description="what went wrong, e.g. bad_json, bad_png, too_large, empty, room_not_found or "
                                  "forbidden (each endpoint lists its own)")
    message: str


def problem(status: int, code: str, message: str) -> JSONResponse:
    """An ApiError response."""
    return JSONResponse(ApiError(code=code, message=message).model_dump(), status_code=status)
