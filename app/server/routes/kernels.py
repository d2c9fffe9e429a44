"""The websocket of the kernels page, /ws/kernels: points, a feature map and a kernel SVM in, what they give out.

Each connection gets its own conversation (app/services/kernels.py): its points, choices and 2-2-1 network belong
to one page; the messages are in app/wire/kernels.py and docs/protocol/kernels.md.
"""

from fastapi import APIRouter, WebSocket

from app.server.deps import AppSettings
from app.server.ws import run_socket
from app.services.kernels import KernelsConversation
from app.wire.kernels import KERNELS_LATEST_WINS, KERNELS_REQUESTS

router = APIRouter()


@router.websocket("/ws/kernels")
async def kernels_socket(websocket: WebSocket, settings: AppSettings) -> None:
    """The kernels page: datasets, clicks, φ and SVM choices in; state frames and the network's training out."""
    limits = {
        "max_points": settings.kernels_max_points,
        "max_degree": settings.kernels_max_degree,
        "max_c": settings.kernels_max_c,
        "max_gamma": settings.kernels_max_gamma,
        "max_coef0": settings.kernels_max_coef0,
        "grid": settings.kernels_grid,
        "net_steps": settings.kernels_net_steps,
    }
    await run_socket(websocket, KERNELS_REQUESTS, KernelsConversation(settings), KERNELS_LATEST_WINS, limits)
