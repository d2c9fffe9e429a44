"""RoomStore in Redis, so every process of the server (and every machine behind a load balancer) shares rooms.

Keys, all under `backprop-lab:room:<code>` and all expiring `idle_s` after the room's last touch:
`…` (hash: the room's fields as JSON), `…:gallery` (hash: id → submission JSON), `…:answers:<n>` (hash: member →
answer), `…:online` (hash: connection → last heartbeat); `…:known` outlives them by a day. Events go through
the pub/sub channel `…:events`; each process holds one subscriber connection and hands each message to the
listeners of its own connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from redis.asyncio import BlockingConnectionPool, Redis

from app.rooms.store import ONLINE_S, REMEMBER_S, Listener, Stop, deliver

logger = logging.getLogger(__name__)
PREFIX = "backprop-lab:room:"
ROOMS = "backprop-lab:rooms"  # sorted set: code → last touch (counts open rooms without scanning keys)
PROCESS_CHANNEL = "backprop-lab:process"  # subscribed from the start, so the subscriber always has a channel
# Redis connections per process. More commands at once (a class of 300 leaving or joining together) wait for a free
# one, up to POOL_WAIT_S, instead of failing with "Too many connections" as redis-py's default pool (100) does.
POOL_CONNECTIONS = 64
POOL_WAIT_S = 10.0


def key(code: str, part: str = "") -> str:
    return f"{PREFIX}{code}{':' + part if part else ''}"


class RedisStore:
    """Rooms in Redis: the backend when BACKPROP_LAB_REDIS_URL is set."""

    def __init__(self, url: str, idle_s: float) -> None:
        pool = BlockingConnectionPool.from_url(
            url, max_connections=POOL_CONNECTIONS, timeout=POOL_WAIT_S, decode_responses=True
        )
        self.redis = Redis.from_pool(pool)
        self.idle_s = idle_s
        self.ttl = max(1, round(idle_s))
        self.listeners: dict[str, set[Listener]] = {}
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.reader: asyncio.Task | None = None

    async def start(self) -> None:
        """Check the server answers, and start reading this process's subscriptions."""
        await self.redis.ping()
        await self.pubsub.subscribe(PROCESS_CHANNEL)
        self.reader = asyncio.create_task(self.read_events())

    async def read_events(self) -> None:
        """Hand each published event to the listeners of its room in this process."""
        while True:
            try:
                message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("redis_subscriber_failed")
                await asyncio.sleep(1)
                continue
            if message is None or message.get("type") != "message":
                continue
            code = message["channel"].removeprefix(PREFIX).removesuffix(":events")
            deliver(self.listeners.get(code, ()), json.loads(message["data"]))

    async def keep(self, code: str, *parts: str) -> None:
        """Push the expiry of the room's keys one idle period away."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for part in ("", "gallery", "online", *parts):
                pipe.expire(key(code, part), self.ttl)
            pipe.expire(key(code, "known"), self.ttl + int(REMEMBER_S))
            pipe.zadd(ROOMS, {code: time.time()})
            await pipe.execute()

    async def create(self, code: str, room: dict) -> bool:
        if not await self.redis.set(key(code, "known"), "1", nx=True, ex=self.ttl + int(REMEMBER_S)):
            return False
        await self.redis.hset(key(code), mapping={name: json.dumps(value) for name, value in room.items()})
        await self.keep(code)
        return True

    async def room(self, code: str) -> dict | None:
        fields = await self.redis.hgetall(key(code))
        return {name: json.loads(value) for name, value in fields.items()} or None

    async def known(self, code: str) -> bool:
        return bool(await self.redis.exists(key(code, "known")))

    async def count(self) -> int:
        await self.redis.zremrangebyscore(ROOMS, "-inf", time.time() - self.idle_s)
        return await self.redis.zcard(ROOMS)

    async def update(self, code: str, fields: dict) -> None:
        if await self.redis.exists(key(code)):
            await self.redis.hset(key(code), mapping={name: json.dumps(value) for name, value in fields.items()})
            await self.keep(code)

    async def touch(self, code: str) -> None:
        if await self.redis.exists(key(code)):
            await self.keep(code)

    async def delete(self, code: str) -> None:
        names = [key(code, part) for part in ("", "gallery", "online", "counter")]
        names += [name async for name in self.redis.scan_iter(match=key(code, "answers:*"))]
        await self.redis.delete(*names)
        await self.redis.zrem(ROOMS, code)

    async def add_submission(self, code: str, submission: dict) -> int:
        if not await self.redis.exists(key(code)):
            raise KeyError(code)
        sid = await self.redis.hincrby(key(code, "counter"), "gallery", 1)
        await self.redis.hset(key(code, "gallery"), str(sid), json.dumps({**submission, "id": sid}))
        await self.keep(code, "counter")
        return sid

    async def submissions(self, code: str) -> list[dict]:
        items = await self.redis.hgetall(key(code, "gallery"))
        return [json.loads(items[sid]) for sid in sorted(items, key=int)]

    async def submission(self, code: str, sid: int) -> dict | None:
        raw = await self.redis.hget(key(code, "gallery"), str(sid))
        return None if raw is None else json.loads(raw)

    async def gallery_size(self, code: str) -> int:
        return await self.redis.hlen(key(code, "gallery"))

    async def update_submission(self, code: str, sid: int, fields: dict) -> dict | None:
        raw = await self.redis.hget(key(code, "gallery"), str(sid))
        if raw is None:
            return None
        submission = {**json.loads(raw), **fields}
        await self.redis.hset(key(code, "gallery"), str(sid), json.dumps(submission))
        return submission

    async def answer(self, code: str, question: int, member: str, value: str) -> dict[str, str]:
        name = key(code, f"answers:{question}")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(name, member, value)
            pipe.expire(name, self.ttl)
            pipe.hgetall(name)
            *_, answers = await pipe.execute()
        return answers

    async def answers(self, code: str, question: int) -> dict[str, str]:
        # redis-py types replies as bytes | str; this client decodes them (decode_responses=True)
        return await self.redis.hgetall(key(code, f"answers:{question}"))  # type: ignore[return-value]

    async def online(self, code: str, connection: str, here: bool) -> int:
        name = key(code, "online")
        if here:
            await self.redis.hset(name, connection, time.time())
            await self.redis.expire(name, self.ttl)
        else:
            await self.redis.hdel(name, connection)
        return await self.students(code)

    async def students(self, code: str) -> int:
        """Connections whose last heartbeat is recent; older ones (a process that died) are dropped."""
        name, now = key(code, "online"), time.time()
        beats = await self.redis.hgetall(name)
        stale = [conn for conn, when in beats.items() if now - float(when) > ONLINE_S]
        if stale:
            await self.redis.hdel(name, *stale)
        return len(beats) - len(stale)

    async def publish(self, code: str, event: dict) -> None:
        await self.redis.publish(key(code, "events"), json.dumps(event))

    async def listen(self, code: str, listener: Listener) -> Stop:
        group = self.listeners.setdefault(code, set())
        if not group:
            await self.pubsub.subscribe(key(code, "events"))
        group.add(listener)

        async def stop() -> None:
            group.discard(listener)
            if not group and self.listeners.get(code) is group:
                del self.listeners[code]
                with contextlib.suppress(Exception):
                    await self.pubsub.unsubscribe(key(code, "events"))

        return stop

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
        await self.redis.aclose()
