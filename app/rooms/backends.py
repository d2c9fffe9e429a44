"""The room store the settings ask for (BACKPROP_LAB_ROOMS): a SQLite file, this process's memory, or Redis."""

import sqlite3

from redis.exceptions import RedisError

from app.rooms.redis_store import RedisStore
from app.rooms.sqlite_store import SqliteStore
from app.rooms.store import MemoryStore, RoomStore
from app.settings import Settings


class StoreNotOpened(Exception):
    """The store cannot start (Redis does not answer, the SQLite file cannot be opened): the sentence says what."""


async def open_store(settings: Settings) -> RoomStore:
    """A started store; a Redis server that does not answer or a database file that cannot be written fails here,
    at start-up, with a sentence naming the setting to change, not at the first room."""
    idle_s = settings.room_idle_minutes * 60
    if settings.rooms == "memory":
        return MemoryStore(idle_s)
    if settings.rooms == "sqlite":
        sqlite = SqliteStore(settings.rooms_db, idle_s)
        try:
            await sqlite.start()
        except (OSError, sqlite3.Error) as exc:
            await sqlite.close()
            raise StoreNotOpened(
                f"cannot open the rooms' database {settings.rooms_db} ({exc}); set {Settings.env_var('rooms_db')} to a"
                f" writable file, or {Settings.env_var('rooms')}=memory to keep rooms in memory only"
            ) from exc
        return sqlite
    redis = RedisStore(settings.redis_url, idle_s)
    try:
        await redis.start()
    except (OSError, RedisError) as exc:
        await redis.close()
        raise StoreNotOpened(
            f"the Redis server of {Settings.env_var('redis_url')} does not answer ({exc}); start it, or unset the"
            " variable to keep rooms in a SQLite file"
        ) from exc
    return redis
