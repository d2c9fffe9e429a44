"""Finding a room by what someone typed, with the one sentence each way of not finding it gets (the websocket's
join and the REST endpoints say the same)."""

from typing import Literal

from app.rooms.codes import is_code, normal_code
from app.rooms.store import RoomStore


class RoomMissing(Exception):
    """No open room under a code: `code` is room_not_found (a typo, not a code) or room_expired (ended or idle)."""

    def __init__(self, code: Literal["room_not_found", "room_expired"], message: str) -> None:
        super().__init__(message)
        self.code = code


def expired(code: str) -> RoomMissing:
    return RoomMissing("room_expired", f"room {code} has ended or expired; ask your teacher for a new code")


async def find_room(store: RoomStore, text: str) -> tuple[str, dict]:
    """The normalised code and the room's fields, or RoomMissing saying whether the code is wrong or the room gone."""
    code = normal_code(text)
    room = await store.room(code) if is_code(code) else None
    if room is not None:
        return code, room
    if is_code(code) and await store.known(code):
        raise expired(code)
    raise RoomMissing("room_not_found", f"there is no room {code or '(empty)'}; check the code on the board")
