"""The app factory: builds the FastAPI application from one Settings object."""

import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from app import __version__
from app.models.shared import load_shared_lenet
from app.rooms.backends import open_store
from app.rooms.lookup import RoomLimits
from app.rooms.store import StoreUnavailable
from app.server.memory import tune_malloc
from app.server.responses import ApiProblem, answer_bad_parameters, answer_problem, answer_store_unavailable
from app.server.routes import api_docs, backprop, class_step, conv, health, kernels, lenet, pages, rooms, svm, xor
from app.server.security import RequestGuard, SecurityHeaders
from app.server.templating import make_templates
from app.server.uploads import Admission
from app.settings import Settings

logger = logging.getLogger(__name__)

# Python's cyclic GC runs its young generation every 700 allocations, so objects of a request in flight (frames,
# futures, a connection's last LeNet trace) survive into the oldest generation, whose full collections then walk
# every object of every open connection while holding the GIL: ~160 ms pauses every ~20 s with 600 websockets
# (benchmarks/classroom_load.py). Collecting the young generation every 50,000 allocations lets them die young.
GC_YOUNG_THRESHOLD = 50_000

# A compute thread running Python (a lesson, a backward pass) holds the GIL until the event loop has waited the
# switch interval for it, at each of the loop's socket calls (each releases the GIL): at Python's default 5 ms, one
# client's lessons made every other socket's reads and writes wait in line (benchmarks/soak.py --attacker). At
# 0.2 ms the loop takes the GIL back within 0.2 ms; the cost, more hand-offs between busy threads, did not show in
# benchmarks/classroom_load.py, where drawings are answered in the loop itself.
SWITCH_INTERVAL_S = 0.0002


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load what every request shares once at start-up (the trained LeNet-5, the room store) and release it on exit."""
    tune_malloc()  # freed memory can go back to the system (app/server/memory.py); before any worker thread
    settings: Settings = app.state.settings
    app.state.lenet = load_shared_lenet(settings.weights)
    app.state.rooms = await open_store(settings)
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    switch_interval = sys.getswitchinterval()  # the process's, given back on exit (a test runs many apps in one)
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    logger.info(
        "backprop-lab %s ready, rooms in %s, static files from %s", __version__, settings.rooms, settings.static_dir
    )
    try:
        yield
    finally:
        sys.setswitchinterval(switch_interval)
        await app.state.rooms.close()
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
    app.state.room_openers = {}  # client address -> RateLimit of the rooms it opens
    app.state.room_limits = RoomLimits.from_settings(settings)  # wrong codes and new members per address
    app.state.uploads = Admission(
        settings.max_queued_requests,
        Settings.env_var("max_queued_requests"),
        settings.max_queued_per_address,
        Settings.env_var("max_queued_per_address"),
    )
    app.state.templates = make_templates(settings.templates_dir)
    app.add_middleware(RequestGuard, settings=settings)  # Host and Origin checks, inside the security headers
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(lenet.router)
    app.include_router(backprop.router)
    app.include_router(api_docs.router)
    app.include_router(conv.router)
    app.include_router(xor.router)
    app.include_router(kernels.router)
    app.include_router(rooms.router)
    app.include_router(class_step.router)
    app.include_router(svm.router)
    # Starlette types every handler as taking any Exception, though it calls each with its own kind only.
    app.add_exception_handler(ApiProblem, answer_problem)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, answer_bad_parameters)  # type: ignore[arg-type]
    app.add_exception_handler(StoreUnavailable, answer_store_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, pages.not_found)  # type: ignore[arg-type]  # a browser gets a page
    return app
