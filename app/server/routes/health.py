"""Liveness check for scripts, tests and container orchestrators."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from app import __version__

router = APIRouter()


class Health(BaseModel):
    """The server is up, and which version it runs."""

    status: Literal["ok"] = "ok"
    version: str


@router.get("/healthz")
def healthz() -> Health:
    """Report that the server answers, with its version."""
    return Health(version=__version__)
