"""Liveness check for scripts, tests and container orchestrators."""

from typing import Literal

import anyio
from fastapi import APIRouter
from pydantic import BaseModel

from app import __version__
from app.server.deps import AppSettings, Rooms, SharedLenet
from app.settings import RoomBackend

router = APIRouter()
STORE_CHECK_S = 2.0  # a rooms' store that does not answer a ping within this is reported unreachable


class Health(BaseModel):
    """The server is up ("ok", or "degraded" while the rooms' store does not answer: every other page works), which
    version it runs, whether LeNet-5's weights loaded ("loaded" or the reason), and where rooms live."""

    status: Literal["ok", "degraded"] = "ok"
    version: str
    lenet: str
    rooms: RoomBackend
    rooms_reachable: bool


@router.get("/healthz")
async def healthz(lenet: SharedLenet, settings: AppSettings, store: Rooms) -> Health:
    """Report that the server answers, with its version, the state of the LeNet-5 weights and of the rooms' store.
    Always 200: a Redis outage is no reason to restart the server or to take its other pages away."""
    reachable = False
    with anyio.move_on_after(STORE_CHECK_S):
        reachable = await store.reachable()
    return Health(
        status="ok" if reachable else "degraded",
        version=__version__,
        lenet=lenet.error or "loaded",
        rooms=settings.rooms,
        rooms_reachable=reachable,
    )
