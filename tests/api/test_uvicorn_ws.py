"""The guard around uvicorn's private websocket protocol (app/server/uvicorn_ws.py): the installed uvicorn has what
it relies on, and a uvicorn that changed gets its stock protocol and a warning instead of a crash."""

import asyncio
import importlib
from collections.abc import Iterator
from types import ModuleType

import pytest
import uvicorn
from packaging.specifiers import SpecifierSet
from uvicorn.protocols.websockets import websockets_sansio_impl

from app.server import uvicorn_ws


@pytest.fixture
def fresh_import(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The module, imported again by the test (after its changes to uvicorn); imported once more at the end."""
    yield uvicorn_ws
    monkeypatch.undo()
    importlib.reload(uvicorn_ws)


def test_the_installed_uvicorn_has_everything_the_aborting_protocol_relies_on() -> None:
    """When this fails, uvicorn changed its websocket protocol: bring app/server/uvicorn_ws.py up to date (or drop
    it for a supported way), then move the `uvicorn<…` bound in pyproject.toml."""
    assert uvicorn_ws.missing() == [], f"uvicorn {uvicorn.__version__} changed: {uvicorn_ws.missing()}"
    assert issubclass(uvicorn_ws.WebSocketProtocol, websockets_sansio_impl.WebSocketsSansIOProtocol)
    assert SpecifierSet(">=0.54,<0.55").contains(uvicorn.__version__)


def test_a_uvicorn_without_the_attributes_gets_its_stock_protocol_and_a_warning(
    fresh_import: ModuleType, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Rewritten(asyncio.Protocol):
        """A websocket protocol that keeps its state under other names."""

        def __init__(self) -> None:
            self.open = False

        async def send(self, message: dict) -> None:
            """Sends."""

    monkeypatch.setattr(websockets_sansio_impl, "WebSocketsSansIOProtocol", Rewritten)
    with caplog.at_level("WARNING", logger="app.server.uvicorn_ws"):
        module = importlib.reload(fresh_import)
    assert module.WebSocketProtocol == "auto"
    assert module.MISSING == [
        "Rewritten.shutdown()",
        "Rewritten.handle_connect()",
        "Rewritten.send_receive_event_to_app()",
        "Rewritten.handshake_complete",
        "Rewritten.writable",
        "Rewritten.transport",
        "Rewritten.read_paused",
        "Rewritten.scope",
        "Rewritten.conn",
    ]
    assert "using uvicorn's stock websocket protocol" in caplog.text


def test_a_uvicorn_without_the_module_gets_its_stock_protocol(
    fresh_import: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(websockets_sansio_impl, "WebSocketsSansIOProtocol")
    module = importlib.reload(fresh_import)
    assert module.WebSocketProtocol == "auto" and "WebSocketsSansIOProtocol" in module.MISSING[0]
