"""The Redis Streams bus: one stream per topic, one Redis consumer group per weave group.

XADD (with MAXLEN/MINID trimming) in pipelines, XREADGROUP, XACK, XAUTOCLAIM for messages stuck at dead
consumers, XCLAIM IDLE for nack and heartbeats. Every command retries through connection loss (a Redis
restart) with backoff for `reconnect_timeout` seconds, then raises `BusUnavailable`. A retried publish
may append a message twice (at-least-once; sinks dedup with idempotency keys).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from weave.bus._base import EventBus, Record, Since, Start, Subscription, since_value
from weave.bus._idempotency import Claim
from weave.bus._redis_codec import (
    CLAIM,
    PUBLISH,
    READ,
    decode_batch,
    decode_entry,
    id_before,
    parse_id,
    publish_lines,
)
from weave.bus._types import (
    BusError,
    BusUnavailable,
    Message,
    PendingInfo,
    Retention,
    UnknownGroup,
    Validator,
)

T = TypeVar("T")
# replies of a Redis that is starting, failing over or resharding: worth waiting for
_TRANSIENT_REPLIES = ("LOADING", "READONLY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN")
_MAX_BLOCK_MS = 2000  # below the client's socket timeout
_LAG_SCAN_LIMIT = 1_000_000
_PUBLISH_SHA = hashlib.sha1(PUBLISH.encode()).hexdigest()
_READ_SHA = hashlib.sha1(READ.encode()).hexdigest()
_CLAIM_SHA = hashlib.sha1(CLAIM.encode()).hexdigest()
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


def _without_password(url: str) -> str:
    """redis://user:secret@host -> redis://user:***@host (URLs may carry a resolved password)."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


class RedisBus(EventBus):
    backend = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "weave:bus:",
        reconnect_timeout: float = 30.0,
        retention: Retention | None = None,
        topic_retention: Mapping[str, Retention] | None = None,
        validators: Mapping[str, Validator] | None = None,
    ) -> None:
        super().__init__(retention=retention, topic_retention=topic_retention, validators=validators)
        self.url = url
        self.prefix = prefix
        self.reconnect_timeout = reconnect_timeout
        self.reconnects = 0
        self._redis: aioredis.Redis | None = None
        self._last_trim: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"RedisBus({_without_password(self.url)!r})"

    @property
    def redis(self) -> aioredis.Redis:
        if self._redis is None:
            raise BusError("the Redis bus is not open (use `await open_bus(...)`)")
        return self._redis

    async def open(self) -> RedisBus:
        if self._redis is None:
            try:
                self._redis = aioredis.Redis.from_url(
                    self.url, decode_responses=False, retry=Retry(NoBackoff(), 1), socket_timeout=10
                )
            except ValueError as exc:
                raise BusError(f"invalid Redis URL: {exc}") from None
            await self.call(lambda r: r.ping(), "connect")
        return self

    async def close(self) -> None:
        if self._flusher is not None and not self._flusher.done():
            await asyncio.wait({self._flusher}, timeout=10)
        if self._redis is not None:
            client, self._redis = self._redis, None
            await client.aclose()

    async def call(self, op: Callable[[aioredis.Redis], Awaitable[T]], what: str) -> T:
        """Run `op(client)`, retrying connection errors with backoff for `reconnect_timeout` seconds."""
        deadline = time.monotonic() + self.reconnect_timeout
        delay = 0.05
        while True:
            try:
                return await op(self.redis)
            except (RedisConnectionError, RedisTimeoutError, ConnectionError, ResponseError) as exc:
                if isinstance(exc, ResponseError) and not str(exc).startswith(_TRANSIENT_REPLIES):
                    raise
                if time.monotonic() + delay > deadline:
                    raise BusUnavailable(
                        f"Redis bus: {what} failed, no connection for {self.reconnect_timeout:.0f}s: {exc}"
                    ) from exc
                self.reconnects += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def with_scripts(self, op: Callable[[aioredis.Redis], Awaitable[T]], r: aioredis.Redis) -> T:
        """Run `op`, loading weave's Lua scripts first if Redis does not know them (new or restarted server).
        A NOSCRIPT reply means the script did not run, so running `op` again appends nothing twice."""
        try:
            return await op(r)
        except NoScriptError:
            pass
        for script in (PUBLISH, READ, CLAIM):
            await r.script_load(script)
        return await op(r)

    def stream(self, topic: str) -> str:
        return self.prefix + topic

    # -- publishing ---------------------------------------------------------------------------------
    async def _append(self, records: Sequence[Record]) -> list[str]:
        now = time.time()
        trims: list[tuple[str, Retention]] = []
        for topic in {r[0] for r in records}:
            retention = self.retention_for(topic)
            if retention.max_age_s is not None and now - self._last_trim.get(topic, 0.0) >= 1.0:
                self._last_trim[topic] = now
                trims.append((topic, retention))

        by_topic: dict[str, list[int]] = {}
        for index, record in enumerate(records):
            by_topic.setdefault(record[0], []).append(index)

        async def write(r: aioredis.Redis) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            for topic, indexes in by_topic.items():
                retention = self.retention_for(topic)
                lines = publish_lines([
                    (payload, orjson.dumps(key) if key is not None else b"", headers or b"")
                    for _, key, payload, headers in (records[i] for i in indexes)
                ])
                approx = "~" if retention.approximate else "="
                pipe.evalsha(_PUBLISH_SHA, 1, self.stream(topic), retention.max_len or "", approx, lines)
            for topic, retention in trims:
                pipe.xtrim(self.stream(topic), minid=self._minid(retention, now), approximate=retention.approximate)
            return await pipe.execute()

        results = await self.call(lambda r: self.with_scripts(write, r), "publish")
        ids: list[str] = [""] * len(records)
        for (_, indexes), joined in zip(by_topic.items(), results, strict=False):
            for i, message_id in zip(indexes, joined.decode().split(" "), strict=True):
                ids[i] = message_id
        return ids

    @staticmethod
    def _minid(retention: Retention, now: float) -> str:
        assert retention.max_age_s is not None
        return f"{int((now - retention.max_age_s) * 1000)}-0"

    # -- groups and health ----------------------------------------------------------------------------
    def _subscription(self, topic: str, group: str, consumer: str, visibility_timeout: float) -> Subscription:
        return RedisSubscription(self, topic, group, consumer, visibility_timeout)

    async def ensure_group(self, topic: str, group: str, *, start: Start = "latest") -> bool:
        if start not in ("latest", "earliest"):
            raise BusError(f"unknown group start {start!r} (known: earliest, latest)")
        position = "$" if start == "latest" else "0"
        try:
            await self.call(lambda r: r.xgroup_create(self.stream(topic), group, position, mkstream=True), "create group")
        except ResponseError as exc:
            if "BUSYGROUP" in str(exc):
                return False
            raise
        return True

    async def _group_infos(self, topic: str) -> list[dict[str, Any]]:
        try:
            return await self.call(lambda r: r.xinfo_groups(self.stream(topic)), "inspect groups")
        except ResponseError as exc:
            if "no such key" in str(exc):
                return []
            raise

    async def _group_info(self, topic: str, group: str) -> dict[str, Any]:
        infos = await self._group_infos(topic)
        for info in infos:
            if info["name"].decode() == group:
                return info
        raise UnknownGroup(topic, group, [i["name"].decode() for i in infos])

    async def topics(self) -> list[str]:
        async def scan(r: aioredis.Redis) -> list[str]:
            found = []
            async for name in r.scan_iter(match=self.prefix + "*", count=500, _type="STREAM"):
                found.append((name.decode() if isinstance(name, bytes) else name)[len(self.prefix):])
            return found

        names = await self.call(scan, "list topics")
        return sorted([t for t in names if await self._group_infos(t)])

    async def groups(self, topic: str) -> list[str]:
        return sorted(i["name"].decode() for i in await self._group_infos(topic))

    async def lag(self, topic: str, group: str) -> int:
        info = await self._group_info(topic, group)
        if info.get("lag") is not None:
            return int(info["lag"])
        # Redis cannot tell after a SETID or trims: count what lies after the group's cursor.
        return await self._count_after(topic, info["last-delivered-id"])

    async def _count_after(self, topic: str, cursor: bytes) -> int:
        total = 0
        while total < _LAG_SCAN_LIMIT:
            start = b"(" + cursor

            async def scan(r: aioredis.Redis, start: bytes = start) -> list[Any]:
                return list(await r.xrange(self.stream(topic), start, "+", count=1000) or [])

            batch = await self.call(scan, "count lag")
            if not batch:
                break
            total += len(batch)
            cursor = batch[-1][0]
        return total

    async def pending(self, topic: str, group: str) -> PendingInfo:
        await self._group_info(topic, group)
        summary = await self.call(lambda r: r.xpending(self.stream(topic), group), "inspect pending")
        count = int(summary["pending"])
        if not count:
            return PendingInfo(0)
        oldest = summary["min"].decode()
        consumers = {c["name"].decode(): int(c["pending"]) for c in summary["consumers"]}
        return PendingInfo(count, oldest, time.time() - parse_id(oldest)[0] / 1000, consumers)

    async def replay(self, topic: str, group: str, since: Since) -> int:
        at_time, at_id = since_value(since)
        if at_id is not None:
            target = parse_id(at_id)
        else:
            assert at_time is not None
            target = (max(0, int(at_time * 1000)), 0)
        info = await self._group_info(topic, group)
        current = parse_id(info["last-delivered-id"].decode())
        new_id = id_before(*target)
        if parse_id(new_id) >= current:
            return await self.lag(topic, group)
        await self.call(lambda r: r.xgroup_setid(self.stream(topic), group, new_id), "replay")
        # counted from the new position, not the group's cursor: consumers may already be reading again
        return await self._count_after(topic, new_id.encode())

    async def trim(self, topic: str) -> int:
        retention = self.retention_for(topic)
        removed = 0
        if retention.max_len is not None:
            removed += await self.call(
                lambda r: r.xtrim(self.stream(topic), maxlen=retention.max_len, approximate=retention.approximate),
                "trim",
            )
        if retention.max_age_s is not None:
            minid = self._minid(retention, time.time())
            removed += await self.call(
                lambda r: r.xtrim(self.stream(topic), minid=minid, approximate=retention.approximate), "trim"
            )
        return removed

    def idempotency(self, namespace: str, *, done_ttl_s: float = 7 * 86400.0) -> RedisIdempotency:
        return RedisIdempotency(self, namespace, done_ttl_s)


class RedisSubscription(Subscription):
    def __init__(self, bus: RedisBus, topic: str, group: str, consumer: str, visibility_timeout: float) -> None:
        super().__init__(topic, group, consumer, visibility_timeout)
        self.bus = bus
        self.key = bus.stream(topic)
        self._vt_ms = int(visibility_timeout * 1000)

    async def _read_new(self, max_count: int, block_ms: int) -> list[Message]:
        """The READ script first (one reply per batch); only when it finds nothing, a blocking XREADGROUP."""
        deadline = time.monotonic() + block_ms / 1000
        while True:
            try:
                blob = await self.bus.call(
                    lambda r: self.bus.with_scripts(
                        lambda c: c.evalsha(_READ_SHA, 1, self.key, self.group, self.consumer, max_count), r
                    ),
                    "fetch",
                )
                if blob:
                    return decode_batch(self.topic, blob)
                block = min(_MAX_BLOCK_MS, int((deadline - time.monotonic()) * 1000))
                if block <= 0:
                    return []
                # COUNT 1: wake up on the first new entry, then take the rest of the batch through READ.
                reply: Any = await self.bus.call(
                    lambda r, b=block: r.xreadgroup(  # type: ignore[misc]
                        self.group, self.consumer, {self.key: ">"}, count=1, block=b
                    ),
                    "fetch",
                )
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                # The stream or group vanished (Redis lost its data): recreate, deliver what is there.
                await self.bus.ensure_group(self.topic, self.group, start="earliest")
                continue
            if reply:
                first = [decode_entry(self.topic, raw_id, fields, 1) for raw_id, fields in reply[0][1] if fields]
                if first and max_count > 1:
                    first += await self._read_new(max_count - 1, 0)
                if first:
                    return first
            if time.monotonic() >= deadline:
                return []

    async def _group_op(self, op: Callable[[aioredis.Redis], Awaitable[Any]], what: str, gone: Any) -> Any:
        """`op` on the group; if the stream or group vanished there is nothing pending: answer `gone`."""
        try:
            return await self.bus.call(op, what)
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await self.bus.ensure_group(self.topic, self.group, start="earliest")
            return gone

    async def ack(self, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        return int(await self._group_op(lambda r: r.xack(self.key, self.group, *ids), "ack", 0))

    async def _nack(self, ids: Sequence[str], delay_ms: int) -> None:
        idle = max(0, self._vt_ms - delay_ms)
        await self._group_op(
            lambda r: r.xclaim(self.key, self.group, self.consumer, 0, list(ids), idle=idle, justid=True), "nack", []
        )

    async def extend(self, ids: Sequence[str]) -> None:
        if ids:
            await self._group_op(
                lambda r: r.xclaim(self.key, self.group, self.consumer, 0, list(ids), justid=True), "extend", []
            )

    async def reclaim(self, min_idle_ms: int, max_count: int = 100) -> list[Message]:
        reply: Any = await self._group_op(
            lambda r: r.xautoclaim(self.key, self.group, self.consumer, min_idle_ms, "0-0", count=max_count),
            "reclaim",
            [b"0-0", [], []],
        )
        entries = [(raw_id, fields) for raw_id, fields in reply[1] if fields]
        if not entries:
            return []

        async def counts(r: aioredis.Redis) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            for raw_id, _ in entries:
                pipe.xpending_range(self.key, self.group, raw_id, raw_id, 1, self.consumer)
            return await pipe.execute()

        delivered = await self.bus.call(counts, "reclaim")
        out = []
        for (raw_id, fields), info in zip(entries, delivered, strict=True):
            if info:  # else acked (by its previous holder) between the claim and this look: not ours
                out.append(decode_entry(self.topic, raw_id, fields, int(info[0]["times_delivered"])))
        return out


def _is_done(value: bytes | str) -> bool:
    return (value if isinstance(value, bytes) else value.encode()).startswith(b"done:")


class RedisIdempotency:
    def __init__(self, bus: RedisBus, namespace: str, done_ttl_s: float) -> None:
        self.bus = bus
        self.prefix = f"{bus.prefix}idem:{namespace}:"
        self.done_ttl_ms = int(done_ttl_s * 1000)

    async def claim(self, key: str, token: str, ttl_s: float) -> Claim:
        name, ttl_ms = self.prefix + key, max(1, int(ttl_s * 1000))
        answer = await self.bus.call(
            lambda r: self.bus.with_scripts(lambda c: c.evalsha(_CLAIM_SHA, 1, name, f"busy:{token}", ttl_ms), r),
            "claim",
        )
        return Claim(answer.decode() if isinstance(answer, bytes) else answer)

    async def complete(self, key: str, token: str) -> None:
        await self.bus.call(lambda r: r.set(self.prefix + key, f"done:{token}", px=self.done_ttl_ms), "complete")

    async def release(self, key: str, token: str) -> None:
        await self.bus.call(lambda r: r.eval(_RELEASE, 1, self.prefix + key, f"busy:{token}"), "release")

    async def seen(self, key: str) -> bool:
        value = await self.bus.call(lambda r: r.get(self.prefix + key), "seen")
        return value is not None and _is_done(value)
