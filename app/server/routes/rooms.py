"""Classroom rooms: open one (POST /api/rooms), look one up, its QR code, its gallery as a zip, the join page,
and the room websocket /ws/room. The rooms themselves are app/rooms; docs/protocol/room.md describes them."""

from __future__ import annotations

import io
import time
from typing import Any

import anyio
import segno
from fastapi import APIRouter, Header, Request, WebSocket
from fastapi.responses import HTMLResponse, Response

from app.rooms.codes import digest, is_code, new_code, new_secret, normal_code, secret_matches
from app.rooms.export import class_record, gallery_zip
from app.rooms.lookup import RoomLimits, RoomMissing, TooManyAttempts, find_room
from app.rooms.session import RoomServices, RoomSession, kept
from app.rooms.store import RoomStore
from app.server.deps import AppSettings, ClientAddress, Compute, Rooms, RoomThrottles, SharedLenet, Templates
from app.server.pages import PAGES
from app.server.responses import ApiProblem
from app.server.security import host_allowed
from app.server.ws import RateLimit, run_socket
from app.settings import Settings
from app.wire.protocol import ApiError
from app.wire.room import ROOM_LATEST_WINS, ROOM_REQUESTS, OpenedRoom, RoomInfo

router = APIRouter()
MAX_TRACKED_ADDRESSES = 10_000  # addresses whose room openings are counted; past it the counts start afresh
CLASSROOM = next(page for page in PAGES if page.slug == "classroom")
PAGE_PATHS = frozenset(page.path for page in PAGES if page.ready)  # the pages a teacher's view may show


def base_url(request: Request, settings: Settings) -> str:
    """Where students reach this server: the configured public URL, else the address the request came to, its Host
    validated (security.RequestGuard refuses every other; here it is checked again, as links are built from it)."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if not host_allowed(request.headers.get("host"), settings):
        raise ApiProblem(400, "forbidden_host", "this server does not answer to that host name")
    return str(request.base_url).rstrip("/")


LOOKUP_REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"model": ApiError, "description": "no such room (room_not_found) or gone (room_expired)"},
    429: {"model": ApiError, "description": "too_many_attempts: too many wrong codes from this address (Retry-After)"},
    503: {"model": ApiError, "description": "unavailable: the rooms' store (Redis) does not answer (Retry-After)"},
}


async def find(
    store: RoomStore, text: str, limits: RoomLimits, address: str, key: str | None = None
) -> tuple[str, dict]:
    """The code and the room's fields; a 404 saying whether the code is wrong or the room is gone, a 429 with
    Retry-After once the address tried too many wrong codes (unless it holds the room's teacher `key`)."""

    async def holds_key(code: str, room: dict) -> bool:
        return key is not None and secret_matches(key, room["teacher"])

    try:
        return await find_room(store, text, limits, address, holds_key if key is not None else None)
    except RoomMissing as missing:
        raise ApiProblem(404, missing.code, str(missing)) from None
    except TooManyAttempts as refused:
        raise ApiProblem(429, refused.code, str(refused), {"Retry-After": str(refused.retry_after)}) from None


def may_open(request: Request, address: str, settings: Settings) -> bool:
    """Whether this client address may open another room now: a token bucket per address (per process)."""
    buckets: dict[str, RateLimit] = request.app.state.room_openers
    if len(buckets) > MAX_TRACKED_ADDRESSES:
        buckets.clear()
    hourly = settings.room_opens_per_hour
    bucket = buckets.setdefault(address, RateLimit(hourly / 3600, hourly))
    return bucket.allow()


@router.post(
    "/api/rooms",
    status_code=201,
    response_model=OpenedRoom,
    summary="Open a classroom room",
    responses={
        429: {"model": ApiError, "description": "this address opened too many rooms this hour"},
        503: {
            "model": ApiError,
            "description": "too_many_rooms: the server holds as many rooms as it allows; or unavailable: the rooms'"
            " store (Redis) does not answer (Retry-After)",
        },
    },
)
async def open_room(request: Request, store: Rooms, settings: AppSettings, client: ClientAddress) -> OpenedRoom:
    """A new room with a fresh join code and teacher key."""
    if not may_open(request, client, settings):
        raise ApiProblem(
            429,
            "too_many_rooms",
            f"this address opened {settings.room_opens_per_hour} rooms in the last "
            "hour, the limit; use one of them or try again later",
        )
    if await store.count() >= settings.max_rooms:
        raise ApiProblem(503, "too_many_rooms", f"{settings.max_rooms} rooms are open, the limit; try again later")
    key = new_secret()
    fields = {
        "teacher": digest(key),
        "created": time.time(),
        "view": None,
        "question": None,
        "shown": None,
        "names": False,
        "asked": 0,
    }
    code = new_code()
    while not await store.create(code, fields):
        code = new_code()
    base = base_url(request, settings)
    return OpenedRoom(
        code=code,
        key=key,
        join_url=f"{base}/join/{code}",
        teacher_url=f"{base}{CLASSROOM.path}?room={code}#key={key}",
        qr_url=f"/api/rooms/{code}/qr.svg",
        idle_minutes=settings.room_idle_minutes,
    )


@router.get(
    "/api/rooms/{code}", response_model=RoomInfo, summary="Look up a room by its join code", responses=LOOKUP_REFUSALS
)
async def room_info(
    request: Request, code: str, store: Rooms, settings: AppSettings, limits: RoomThrottles, client: ClientAddress
) -> RoomInfo:
    """Whether a code opens a room, and how many students are in it."""
    code, _ = await find(store, code, limits, client)
    students = await store.students(code)
    return RoomInfo(code=code, join_url=f"{base_url(request, settings)}/join/{code}", students=students)


@router.get(
    "/api/rooms/{code}/qr.svg",
    summary="QR code of a room's join link",
    responses={200: {"content": {"image/svg+xml": {}}}, **LOOKUP_REFUSALS},
)
async def room_qr(
    request: Request, code: str, store: Rooms, settings: AppSettings, limits: RoomThrottles, client: ClientAddress
) -> Response:
    """An SVG QR code of the join link, drawn on the server (no online service), dark on white for projectors."""
    code, _ = await find(store, code, limits, client)
    svg = io.BytesIO()  # a standalone SVG document: with its namespace, so an <img> can show it
    try:
        qr = segno.make(f"{base_url(request, settings)}/join/{code}", error="m")
    except segno.DataOverflowError:  # only a public URL of thousands of characters is too long for a QR code
        message = "the join link is too long for a QR code; shorten BACKPROP_LAB_PUBLIC_URL"
        raise ApiProblem(500, "internal", message) from None
    qr.save(svg, kind="svg", xmldecl=False, scale=8, border=2, dark="#000", light="#fff")
    return Response(svg.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.get(
    "/api/rooms/{code}/export.zip",
    summary="A room's gallery (PNGs and a CSV), its questions with their answers, and its snapshots",
    responses={200: {"content": {"application/zip": {}}}, 403: {"model": ApiError}, **LOOKUP_REFUSALS},
)
async def export_gallery(
    code: str,
    store: Rooms,
    limits: RoomThrottles,
    client: ClientAddress,
    x_teacher_key: str = Header("", description="the room's teacher key"),
) -> Response:
    """Every drawing sent to the room and not removed by the teacher, the questions asked with every answer and
    their distribution, and the teacher's snapshots (CSV and JSON), for the teacher only (the key goes in a header,
    never in a URL)."""
    code, room = await find(store, code, limits, client, x_teacher_key)
    if not secret_matches(x_teacher_key, room["teacher"]):
        limits.failures.take(client)
        raise ApiProblem(403, "forbidden", f"only the teacher of room {code} can export its gallery")
    gallery = kept(await store.submissions(code))
    record = await class_record(store, code, room)
    data = await anyio.to_thread.run_sync(gallery_zip, code, gallery, record)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="room-{code}-gallery.zip"'},
    )


@router.get("/join/{code}", response_class=HTMLResponse, include_in_schema=False)
def join_page(request: Request, code: str, templates: Templates) -> HTMLResponse:
    """The link in the QR code: the classroom page with the code filled in, joining at once."""
    code = normal_code(code)
    context = {"page": CLASSROOM, "join_code": code if is_code(code) else ""}
    return templates.TemplateResponse(request, CLASSROOM.template, context)


@router.websocket("/ws/room")
async def room_socket(
    websocket: WebSocket,
    store: Rooms,
    settings: AppSettings,
    shared: SharedLenet,
    compute: Compute,
    throttles: RoomThrottles,
    client: ClientAddress,
) -> None:
    """A classroom room: join by code (or teacher key), then follow, answer, send drawings; broadcasts out."""
    session = RoomSession(RoomServices(store, settings, shared, compute, PAGE_PATHS, throttles), client)
    limits = {"max_view_bytes": settings.room_max_view_bytes, "max_canvas": settings.lenet_max_canvas}
    try:
        await run_socket(websocket, ROOM_REQUESTS, session, ROOM_LATEST_WINS, limits, feed=session.feed)
    finally:
        await session.leave()
