"""Routes of the lenet page: its websocket endpoint (and REST endpoints where it has them)."""

from fastapi import APIRouter

router = APIRouter()
