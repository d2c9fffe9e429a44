"""Routes of the conv page: the websocket /ws/conv that walks through a convolution window by window."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from app.server.ws import run_socket
from app.services.conv_conversation import ConvConversation
from app.wire.conv import CONV_MESSAGES, LATEST_WINS, welcome_limits

router = APIRouter()


@router.websocket("/ws/conv")
async def conv_socket(websocket: WebSocket) -> None:
    """The conv page's websocket: walkthrough plans (latest wins) and preset assets."""
    settings = websocket.app.state.settings
    conversation = ConvConversation(settings, websocket.app.state.lenet)
    await run_socket(websocket, CONV_MESSAGES, conversation, latest_wins=LATEST_WINS, limits=welcome_limits(settings))
