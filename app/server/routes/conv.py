"""Routes of the conv page: the websocket /ws/conv that walks through a convolution window by window."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from app.server.deps import AppSettings, SharedLenet
from app.server.ws import run_socket
from app.services.conv_conversation import ConvConversation
from app.wire.conv import CONV_MESSAGES, LATEST_WINS, welcome_limits

router = APIRouter()


@router.websocket("/ws/conv")
async def conv_socket(websocket: WebSocket, settings: AppSettings, shared: SharedLenet) -> None:
    """The conv page's websocket: walkthrough plans (latest wins) and preset assets."""
    conversation = ConvConversation(settings, shared)
    await run_socket(websocket, CONV_MESSAGES, conversation, latest_wins=LATEST_WINS, limits=welcome_limits(settings))
