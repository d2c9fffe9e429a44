"""The app factory: builds the FastAPI application from one Settings object."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.server.models import load_shared_lenet
from app.server.routes import api_docs, conv, health, lenet, pages, xor
from app.server.security import SecurityHeaders
from app.server.settings import Settings
from app.server.templating import make_templates

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load what every request shares once at start-up (the trained LeNet-5) and release it on exit."""
    app.state.lenet = load_shared_lenet(app.state.settings.weights)
    logger.info("backprop-lab %s ready, static files from %s", __version__, app.state.settings.static_dir)
    yield
    logger.info("backprop-lab stopped")


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new backprop-lab application configured by `settings` (default: read from the environment)."""
    settings = Settings.from_env() if settings is None else settings
    # The interactive API docs pull their JavaScript from a CDN, which this app never does: /docs is rendered
    # on the server instead (routes/api_docs.py).
    app = FastAPI(title="backprop-lab", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.compute = anyio.CapacityLimiter(settings.compute_threads)
    app.state.clients = set()
    app.state.templates = make_templates(settings.templates_dir)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(lenet.router)
    app.include_router(api_docs.router)
    app.include_router(conv.router)
    app.include_router(xor.router)
    return app
