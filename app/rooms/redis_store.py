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
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.rooms.store import ONLINE_S, REMEMBER_S, Listener, Outage, Stop, deliver

logger = logging.getLogger(__name__)
PREFIX = "backprop-lab:room:"
ROOMS = "backprop-lab:rooms"  # sorted set: code → last touch (counts open rooms without scanning keys)
PROCESS_CHANNEL = "backprop-lab:process"  # subscribed from the start, so the subscriber always has a channel
# Redis connections per process. More commands at once (a class of 300 leaving or joining together) wait for a free
# one, up to POOL_WAIT_S, instead of failing with "Too many connections" as redis-py's default pool (100) does.
POOL_CONNECTIONS = 64
POOL_WAIT_S = 10.0
CONFIRM_S = 5.0  # longest wait for Redis to confirm a subscription before listen returns anyway


def key(code: str, part: str = "") -> str:
    return f"{PREFIX}{code}{':' + part if part else ''}"


P = ParamSpec("P")
T = TypeVar("T")
# What redis-py raises when the server cannot be reached or does not answer in time (a stopped server, a cut link).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def guarded(
    method: Callable[Concatenate[RedisStore, P], Awaitable[T]],
) -> Callable[Concatenate[RedisStore, P], Coroutine[Any, Any, T]]:
    """A store method whose failures to reach Redis are StoreUnavailable (the outage logged once, its end once)."""

    @functools.wraps(method)
    async def run(store: RedisStore, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            result = await method(store, *args, **kwargs)
        except UNREACHABLE as exc:
            raise store.outage.failed(exc) from exc
        store.outage.answered()
        return result

    return run


class RedisStore:
    """Rooms in Redis: the backend when BACKPROP_LAB_ROOMS is redis (the default once BACKPROP_LAB_REDIS_URL is set)."""

    def __init__(self, url: str, idle_s: float) -> None:
        pool = BlockingConnectionPool.from_url(
            url, max_connections=POOL_CONNECTIONS, timeout=POOL_WAIT_S, decode_responses=True
        )
        self.redis = Redis.from_pool(pool)
        self.idle_s = idle_s
        self.ttl = max(1, round(idle_s))
        self.listeners: dict[str, set[Listener]] = {}
        self.pubsub = self.redis.pubsub()  # its subscribe confirmations are read too (subscribe)
        self.reader: asyncio.Task | None = None
        self.confirmations: dict[str, asyncio.Future[None]] = {}  # channel -> set once Redis confirms its SUBSCRIBE
        self.outage = Outage("redis")

    async def start(self) -> None:
        """Check the server answers, and start reading this process's subscriptions."""
        await self.redis.ping()
        await self.pubsub.subscribe(PROCESS_CHANNEL)
        self.reader = asyncio.create_task(self.read_events())

    async def read_events(self) -> None:
        """Hand each published event to the listeners of its room in this process. While Redis is away, the
        subscriber tries again each second (redis-py subscribes it again to every channel when it reconnects)."""
        while True:
            try:
                message = await self.pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except UNREACHABLE as exc:
                self.outage.failed(exc)
                await asyncio.sleep(1)
                continue
            except Exception:
                logger.exception("redis_subscriber_failed")
                await asyncio.sleep(1)
                continue
            self.outage.answered()
            if message is not None and message.get("type") == "subscribe":
                self.confirmed(message["channel"])
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

    @guarded
    async def create(self, code: str, room: dict) -> bool:
        if not await self.redis.set(key(code, "known"), "1", nx=True, ex=self.ttl + int(REMEMBER_S)):
            return False
        await self.redis.hset(key(code), mapping={name: json.dumps(value) for name, value in room.items()})
        await self.keep(code)
        return True

    @guarded
    async def room(self, code: str) -> dict | None:
        fields = await self.redis.hgetall(key(code))
        return {name: json.loads(value) for name, value in fields.items()} or None

    @guarded
    async def known(self, code: str) -> bool:
        return bool(await self.redis.exists(key(code, "known")))

    @guarded
    async def count(self) -> int:
        await self.redis.zremrangebyscore(ROOMS, "-inf", time.time() - self.idle_s)
        return await self.redis.zcard(ROOMS)

    @guarded
    async def update(self, code: str, fields: dict) -> None:
        if await self.redis.exists(key(code)):
            await self.redis.hset(key(code), mapping={name: json.dumps(value) for name, value in fields.items()})
            await self.keep(code)

    @guarded
    async def touch(self, code: str) -> None:
        if await self.redis.exists(key(code)):
            await self.keep(code)

    @guarded
    async def delete(self, code: str) -> None:
        names = [key(code, part) for part in ("", "gallery", "online", "counter")]
        names += [name async for name in self.redis.scan_iter(match=key(code, "answers:*"))]
        await self.redis.delete(*names)
        await self.redis.zrem(ROOMS, code)

    @guarded
    async def add_submission(self, code: str, submission: dict) -> int:
        if not await self.redis.exists(key(code)):
            raise KeyError(code)
        sid = await self.redis.hincrby(key(code, "counter"), "gallery", 1)
        await self.redis.hset(key(code, "gallery"), str(sid), json.dumps({**submission, "id": sid}))
        await self.keep(code, "counter")
        return sid

    @guarded
    async def submissions(self, code: str) -> list[dict]:
        items = await self.redis.hgetall(key(code, "gallery"))
        return [json.loads(items[sid]) for sid in sorted(items, key=int)]

    @guarded
    async def submission(self, code: str, sid: int) -> dict | None:
        raw = await self.redis.hget(key(code, "gallery"), str(sid))
        return None if raw is None else json.loads(raw)

    @guarded
    async def gallery_size(self, code: str) -> int:
        return await self.redis.hlen(key(code, "gallery"))

    @guarded
    async def update_submission(self, code: str, sid: int, fields: dict) -> dict | None:
        raw = await self.redis.hget(key(code, "gallery"), str(sid))
        if raw is None:
            return None
        submission = {**json.loads(raw), **fields}
        await self.redis.hset(key(code, "gallery"), str(sid), json.dumps(submission))
        return submission

    @guarded
    async def answer(self, code: str, question: int, member: str, value: str) -> dict[str, str]:
        name = key(code, f"answers:{question}")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(name, member, value)
            pipe.expire(name, self.ttl)
            pipe.hgetall(name)
            *_, answers = await pipe.execute()
        return answers

    @guarded
    async def answers(self, code: str, question: int) -> dict[str, str]:
        # redis-py types replies as bytes | str; this client decodes them (decode_responses=True)
        return await self.redis.hgetall(key(code, f"answers:{question}"))  # type: ignore[return-value]

    @guarded
    async def online(self, code: str, connection: str, here: bool) -> int:
        name = key(code, "online")
        if here:
            await self.redis.hset(name, connection, time.time())
            await self.redis.expire(name, self.ttl)
        else:
            await self.redis.hdel(name, connection)
        return await self.students(code)

    @guarded
    async def students(self, code: str) -> int:
        """Connections whose last heartbeat is recent; older ones (a process that died) are dropped."""
        name, now = key(code, "online"), time.time()
        beats = await self.redis.hgetall(name)
        stale = [conn for conn, when in beats.items() if now - float(when) > ONLINE_S]
        if stale:
            await self.redis.hdel(name, *stale)
        return len(beats) - len(stale)

    @guarded
    async def publish(self, code: str, event: dict) -> None:
        await self.redis.publish(key(code, "events"), json.dumps(event))

    def confirmed(self, channel: str) -> None:
        """Redis has confirmed the subscriber's SUBSCRIBE to channel: wake whoever waits for it."""
        waiting = self.confirmations.pop(channel, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    async def subscribe(self, channel: str) -> None:
        """Subscribe to channel and wait until Redis confirms it (at most CONFIRM_S): a PUBLISH that reaches Redis on
        another connection before it has processed the SUBSCRIBE is not delivered, so an event sent just after a
        listener was added (a student who has just joined) could be lost."""
        waiting = self.confirmations.get(channel)
        if waiting is None:
            waiting = self.confirmations[channel] = asyncio.get_running_loop().create_future()
            try:
                await self.pubsub.subscribe(channel)
            except BaseException:  # not sent: the next listener subscribes again
                del self.confirmations[channel]
                raise
        try:
            await asyncio.wait_for(asyncio.shield(waiting), CONFIRM_S)
        except TimeoutError:  # Redis slow or away (its outage is reported by the reader): listen anyway
            if self.confirmations.get(channel) is waiting:
                del self.confirmations[channel]

    @guarded
    async def listen(self, code: str, listener: Listener) -> Stop:
        group = self.listeners.setdefault(code, set())
        if not group:
            await self.subscribe(key(code, "events"))
        group.add(listener)

        async def stop() -> None:
            group.discard(listener)
            if not group and self.listeners.get(code) is group:
                del self.listeners[code]
                with contextlib.suppress(Exception):
                    await self.pubsub.unsubscribe(key(code, "events"))

        return stop

    async def reachable(self) -> bool:
        try:
            await self.redis.ping()
        except UNREACHABLE as exc:
            self.outage.failed(exc)
            return False
        self.outage.answered()
        return True

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
        await self.redis.aclose()
