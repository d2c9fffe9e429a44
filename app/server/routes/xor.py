"""Websocket endpoints of the pages built on the recitation's small networks: /ws/neuron, /ws/xor, /ws/why-backprop.

Each connection gets its own conversation (app/services), so every network is private to one page; the messages
are in app/wire/xor.py and docs/protocol/xor.md.
"""

from fastapi import APIRouter, WebSocket

from app.server.deps import AppSettings
from app.server.ws import run_socket
from app.services.neuron import NeuronConversation
from app.services.why_backprop import WhyConversation
from app.services.xor import XorConversation
from app.wire.xor import NEURON_REQUESTS, WHY_LATEST_WINS, WHY_REQUESTS, XOR_LATEST_WINS, XOR_REQUESTS

router = APIRouter()


@router.websocket("/ws/neuron")
async def neuron_socket(websocket: WebSocket, settings: AppSettings) -> None:
    """The neuron page: slider positions in (latest wins), h over the input plane out."""
    limits = {"max_param": settings.neuron_max_param, "grid": settings.surface_grid}
    await run_socket(websocket, NEURON_REQUESTS, NeuronConversation(settings), frozenset({"neuron"}), limits)


@router.websocket("/ws/xor")
async def xor_socket(websocket: WebSocket, settings: AppSettings) -> None:
    """The XOR page: training controls and derivation requests in, training frames and derivations out."""
    limits = {
        "max_lr": settings.xor_max_lr,
        "max_steps_per_frame": settings.xor_max_steps_per_frame,
        "max_run_steps": settings.xor_max_run_steps,
        "grid": settings.surface_grid,
    }
    await run_socket(websocket, XOR_REQUESTS, XorConversation(settings), XOR_LATEST_WINS, limits)


@router.websocket("/ws/why-backprop")
async def why_socket(websocket: WebSocket, settings: AppSettings) -> None:
    """The why-backprop page: network sizes in, term counts and measured timings out."""
    limits = {"max_width": settings.why_max_width, "max_depth": settings.why_max_depth}
    await run_socket(websocket, WHY_REQUESTS, WhyConversation(settings), WHY_LATEST_WINS, limits)
