"""Liveness check for scripts, tests and container orchestrators."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from app import __version__
from app.server.deps import SharedLenet

router = APIRouter()


class Health(BaseModel):
    """The server is up, which version it runs, and whether LeNet-5's weights loaded ("loaded" or the reason)."""

    status: Literal["ok"] = "ok"
    version: str
    lenet: str


@router.get("/healthz")
def healthz(lenet: SharedLenet) -> Health:
    """Report that the server answers, with its version and the state of the LeNet-5 weights."""
    return Health(version=__version__, lenet=lenet.error or "loaded")
