"""A room's class step for scripts: POST /api/rooms/{code}/batch runs one, as the teacher's button does (every screen
of the room hears it), and GET answers the last one. The step itself is app/rooms/class_step.py."""

from __future__ import annotations

from fastapi import APIRouter, Header

from app.rooms import class_step as class_steps
from app.rooms.codes import secret_matches
from app.rooms.lookup import RoomLimits
from app.rooms.session import in_class
from app.rooms.store import RoomStore
from app.server.deps import AppSettings, ClientAddress, Compute, Rooms, RoomThrottles, SharedLenet
from app.server.responses import ApiProblem
from app.server.routes.rooms import LOOKUP_REFUSALS, find
from app.wire.class_step import BatchBody, ClassStepResult
from app.wire.protocol import ApiError

router = APIRouter()
KEY = Header("", description="the room's teacher key")
REFUSALS = {403: {"model": ApiError, "description": "forbidden: a wrong or missing X-Teacher-Key"}, **LOOKUP_REFUSALS}


async def teachers_room(store: RoomStore, code: str, key: str, limits: RoomLimits, client: str) -> tuple[str, dict]:
    """The room's code and fields when key is its teacher's; 403 forbidden otherwise (counted as a wrong try)."""
    code, room = await find(store, code, limits, client, key)
    if not secret_matches(key, room["teacher"]):
        limits.failures.take(client)
        raise ApiProblem(403, "forbidden", f"only the teacher of room {code} can run or read its class steps")
    return code, room


@router.post(
    "/api/rooms/{code}/batch",
    response_model=ClassStepResult,
    summary="Run a class step: one SGD step of the room's LeNet-5 on the class's tagged drawings",
    responses={
        **REFUSALS,
        409: {"model": ApiError, "description": "nothing_tagged: no drawing the class may see carries a tag"},
        422: {"model": ApiError, "description": "bad_value: a learning rate over the room's limit; bad_query"},
    },
)
async def run_class_step(
    code: str,
    body: BatchBody,
    store: Rooms,
    settings: AppSettings,
    shared: SharedLenet,
    compute: Compute,
    limits: RoomThrottles,
    client: ClientAddress,
    x_teacher_key: str = KEY,
) -> dict:
    """One class step on the tagged drawings the class may see (not removed, hidden or waiting for approval), with
    the teacher key in the X-Teacher-Key header; every screen of the room shows it, as after the teacher's button."""
    code, room = await teachers_room(store, code, x_teacher_key, limits, client)
    if shared.model is None:
        raise ApiProblem(503, "unavailable", shared.error or "LeNet-5 is not loaded")
    gallery = [item for item in await store.submissions(code) if in_class(item)]
    try:
        return await class_steps.run(
            store,
            code,
            gallery,
            shared.model,
            settings,
            compute,
            body.lr,
            body.mode,
            room.get("names", False),
            body.ids,
        )
    except class_steps.NothingTagged as exc:
        raise ApiProblem(409, "nothing_tagged", str(exc)) from None
    except class_steps.StepRefused as exc:
        raise ApiProblem(422, "bad_value", str(exc)) from None


@router.get(
    "/api/rooms/{code}/batch",
    response_model=ClassStepResult,
    summary="The room's last class step",
    responses={
        **REFUSALS,
        409: {"model": ApiError, "description": "no_class_step: none since the room opened or reset"},
    },
)
async def last_class_step(
    code: str, store: Rooms, limits: RoomThrottles, client: ClientAddress, x_teacher_key: str = KEY
) -> dict:
    """The last class step of the room, for its teacher (X-Teacher-Key)."""
    code, _ = await teachers_room(store, code, x_teacher_key, limits, client)
    answer = await class_steps.last(store, code)
    if answer is None:
        raise ApiProblem(409, "no_class_step", f"room {code} has taken no class step since it opened or was reset")
    return answer
