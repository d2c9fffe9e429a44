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
"""

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class WebSocketProtocol(WebSocketsSansIOProtocol):
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
