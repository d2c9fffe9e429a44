"""REST errors: a route raises ApiProblem and the app's exception handlers answer with the ApiError body
(app/wire/protocol.py) and its HTTP status, so every handler returns only its success model."""

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.rooms.store import StoreUnavailable
from app.wire.protocol import ApiError

STORE_RETRY_S = 5  # Retry-After of a request the rooms' store could not answer


class ApiProblem(Exception):
    """A request a route cannot answer: the HTTP status, a code, a sentence and any extra response headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.headers = status, code, headers


def problem(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An ApiError response."""
    return JSONResponse(ApiError(code=code, message=message).model_dump(), status_code=status, headers=headers)


async def answer_problem(request: Request, exc: ApiProblem) -> JSONResponse:
    """The exception handler of ApiProblem."""
    return problem(exc.status, exc.code, str(exc), exc.headers)


async def answer_store_unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
    """The exception handler of StoreUnavailable: the rooms' store (Redis) does not answer, 503 unavailable."""
    return problem(503, "unavailable", str(exc), {"Retry-After": str(STORE_RETRY_S)})


async def answer_bad_parameters(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's own parameter validation (a query, header or path value) answered as ApiError, naming the first."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return problem(422, "bad_query", f"{where}: {first['msg']}")
