"""What the routes share, as FastAPI dependencies: `settings: AppSettings` in a route's signature instead of a
read of app.state. create_app and its lifespan (app.py) put each of these on app.state once.

Each is an `async def` although it only reads an attribute: FastAPI runs a plain `def` dependency in a worker
thread, a thread hop (and GIL hand-offs with the event loop) per dependency per request or websocket: about a
fifth of the server's CPU for opening a /ws/lenet socket.
"""

from typing import Annotated

import anyio
from fastapi import Depends
from fastapi.requests import HTTPConnection
from fastapi.templating import Jinja2Templates

from app.models.shared import SharedModel
from app.rooms.lookup import RoomLimits
from app.rooms.store import RoomStore
from app.server.fair import FairLimiter, FairShare
from app.server.uploads import Admission
from app.settings import Settings


async def _settings(connection: HTTPConnection) -> Settings:
    """The app's settings."""
    return connection.app.state.settings


async def _lenet(connection: HTTPConnection) -> SharedModel:
    """The LeNet-5 every connection shares (or why it did not load)."""
    return connection.app.state.lenet


async def _rooms(connection: HTTPConnection) -> RoomStore:
    """Where rooms live (in this process, or in Redis)."""
    return connection.app.state.rooms


async def _room_limits(connection: HTTPConnection) -> RoomLimits:
    """What one client address may still do to rooms (wrong codes, new members), for REST and websockets alike."""
    return connection.app.state.room_limits


async def _compute(connection: HTTPConnection) -> anyio.CapacityLimiter:
    """The worker threads that run NumPy, as this client address's fair turn at them (app/server/fair.py)."""
    return FairLimiter(FairShare.of(connection.app.state), address_of(connection))


async def _uploads(connection: HTTPConnection) -> Admission:
    """The bounded queue that admits uploads to the compute threads."""
    return connection.app.state.uploads


async def _templates(connection: HTTPConnection) -> Jinja2Templates:
    """The page templates."""
    return connection.app.state.templates


def address_of(connection: HTTPConnection) -> str:
    """The client's IP address ("unknown" when the server was not told)."""
    return connection.client.host if connection.client else "unknown"


async def client_address(connection: HTTPConnection) -> str:
    """The client's IP address, as a dependency."""
    return address_of(connection)


AppSettings = Annotated[Settings, Depends(_settings)]
SharedLenet = Annotated[SharedModel, Depends(_lenet)]
Rooms = Annotated[RoomStore, Depends(_rooms)]
RoomThrottles = Annotated[RoomLimits, Depends(_room_limits)]
Compute = Annotated[anyio.CapacityLimiter, Depends(_compute)]
Uploads = Annotated[Admission, Depends(_uploads)]
Templates = Annotated[Jinja2Templates, Depends(_templates)]
ClientAddress = Annotated[str, Depends(client_address)]
