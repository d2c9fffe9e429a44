"""uvicorn's websocket protocol with one change: a client that has stopped reading is cut off (the TCP connection
aborted) when the app closes it or the server shuts down, instead of being waited for.

uvicorn (websockets-sansio, what its "auto" picks) waits for the transport to drain below its high-water mark
before every ASGI send, the close included, with no deadline. The app drops a client that does not take a
reply within BACKPROP_LAB_SEND_TIMEOUT_S by closing it (app/server/ws.py); as uvicorn is, that close frame
never goes out and the connection keeps its socket and buffers until the client's machine gives up — hours, or
never for a client whose kernel keeps acknowledging a zero window. At shutdown uvicorn writes its 1012 close and
then waits for every connection to end, so one such client held the shutdown to its timeout and made uvicorn log
an error. A close frame cannot reach a client that does not read anyway: here the connection is aborted, and
uvicorn reports the disconnect (1006) to the app and forgets the connection as usual.
Measured by tests/api/test_ws_real_server.py.

This leans on uvicorn's private protocol class (hence `uvicorn<0.55` in pyproject.toml). At import the parts it
uses are checked; when one is gone, WebSocketProtocol is uvicorn's stock "auto" protocol and a warning says so,
and tests/api/test_uvicorn_ws.py fails until this module is brought up to date.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from uvicorn._types import ASGISendEvent

logger = logging.getLogger(__name__)

BASE = "uvicorn.protocols.websockets.websockets_sansio_impl.WebSocketsSansIOProtocol"
DISCONNECTED = "uvicorn.protocols.utils.ClientDisconnected"
METHODS = ("send", "shutdown")  # overridden here, each calling uvicorn's through super()
STATE = ("handshake_complete", "writable", "transport")  # uvicorn's attributes read here


def located(path: str) -> object:
    """The object at a dotted path (module, then attribute); ImportError or AttributeError when it is gone."""
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def missing() -> list[str]:
    """What this module relies on that the installed uvicorn lacks: empty when everything is there."""
    try:
        base, _ = located(BASE), located(DISCONNECTED)
    except (ImportError, AttributeError) as exc:
        return [str(exc)]
    if not isinstance(base, type):
        return [f"{BASE} is not a class"]
    source = inspect.getsource(base)
    return [f"{base.__name__}.{name}()" for name in METHODS if not callable(getattr(base, name, None))] + [
        f"{base.__name__}.{name}" for name in STATE if f"self.{name} = " not in source
    ]


MISSING = missing()
WebSocketProtocol: type[asyncio.Protocol] | str
if MISSING:
    logger.warning(
        "uvicorn %s has changed what app/server/uvicorn_ws.py relies on (%s missing): using uvicorn's "
        "stock websocket protocol, so a client that stops reading is waited for instead of cut off",
        uvicorn.__version__,
        ", ".join(MISSING),
    )
    WebSocketProtocol = "auto"
else:
    from uvicorn.protocols.utils import ClientDisconnected
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    class AbortingProtocol(WebSocketsSansIOProtocol):
        """uvicorn's default websocket protocol, aborting the connections whose send buffer does not drain."""

        async def send(self, message: ASGISendEvent) -> None:
            """As uvicorn's send, except a close while the send buffer is full aborts the connection at once."""
            if message["type"] == "websocket.close" and self.handshake_complete and not self.writable.is_set():
                self.transport.abort()
                raise ClientDisconnected
            await super().send(message)

        def shutdown(self) -> None:
            """As uvicorn's shutdown (a 1012 close), then an abort if that close could not be handed to the kernel."""
            super().shutdown()
            if self.transport.get_write_buffer_size():
                self.transport.abort()

    WebSocketProtocol = AbortingProtocol
