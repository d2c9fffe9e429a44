"""The room store the settings ask for: Redis when a URL is set, else this process's memory."""

from app.rooms.redis_store import RedisStore
from app.rooms.store import MemoryStore, RoomStore
from app.settings import Settings


async def open_store(settings: Settings) -> RoomStore:
    """A started store; a Redis server that does not answer fails here, at start-up, not at the first room."""
    idle_s = settings.room_idle_minutes * 60
    if not settings.redis_url:
        return MemoryStore(idle_s)
    store = RedisStore(settings.redis_url, idle_s)
    await store.start()
    return store
