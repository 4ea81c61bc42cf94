"""The embedded bus: a durable log in a SQLite file (WAL), no server needed.

All SQL runs on one dedicated thread per bus (SQLite allows one writer anyway); concurrent `publish`
calls are group-committed by `EventBus`. Consumers in this process are woken on commit; consumers in
other processes (sharing the file) notice new messages by polling every `poll_interval` seconds.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from weave.bus import _sqlite_ops as ops
from weave.bus._base import EventBus, Record, Since, Start, Subscription, since_value
from weave.bus._idempotency import Claim
from weave.bus._types import BusError, Message, PendingInfo, Retention, Validator

T = TypeVar("T")
_SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")


class SqliteBus(EventBus):
    backend = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        poll_interval: float = 0.02,
        busy_timeout: float = 30.0,
        trim_interval: float = 1.0,
        retention: Retention | None = None,
        topic_retention: Mapping[str, Retention] | None = None,
        validators: Mapping[str, Validator] | None = None,
    ) -> None:
        super().__init__(retention=retention, topic_retention=topic_retention, validators=validators)
        if synchronous.upper() not in _SYNCHRONOUS:
            raise BusError(f"unknown synchronous mode {synchronous!r} (known: {', '.join(_SYNCHRONOUS)})")
        self.path = str(path)
        self.synchronous = synchronous.upper()
        self.poll_interval = poll_interval
        self.busy_timeout = busy_timeout
        self.trim_interval = trim_interval
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weave-bus-sqlite")
        self._conn: sqlite3.Connection | None = None
        self._mode = self.synchronous
        self._last_trim: dict[str, float] = {}
        self._wakeups: dict[str, asyncio.Event] = {}

    async def open(self) -> SqliteBus:
        if self._conn is None:
            parent = Path(self.path).parent
            if not parent.is_dir():
                raise BusError(f"cannot open the embedded bus at {self.path}: directory {parent} does not exist")
            self._conn = await self._loop_run(ops.connect, self.path, self.synchronous, self.busy_timeout)
            await self.run(ops.migrate)
        return self

    async def _loop_run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def run(self, fn: Callable[..., T], *args: Any, durable: bool = False) -> T:
        """Run `fn(conn, *args)` on the database thread.

        Only publishing needs `durable` (the configured `synchronous`, FULL by default: fsync per commit).
        Consumer bookkeeping (cursor, pending, acks) commits with NORMAL: after a power cut it can roll
        back to an earlier state, which only means redelivery - at-least-once holds, and the hot path
        saves two fsyncs per batch.
        """
        conn = self._conn
        if conn is None:
            raise BusError("the embedded bus is not open (use `await open_bus(...)`)")
        mode = self.synchronous if durable else "NORMAL"
        try:
            return await self._loop_run(self._in_thread, conn, mode, fn, args)
        except sqlite3.Error as exc:
            raise BusError(f"embedded bus at {self.path}: {exc}") from exc

    def _in_thread(self, conn: sqlite3.Connection, mode: str, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        if mode != self._mode:
            conn.execute(f"PRAGMA synchronous = {mode}")
            self._mode = mode
        return ops.retrying(fn, conn, *args)

    async def close(self) -> None:
        if self._flusher is not None and not self._flusher.done():
            await asyncio.wait({self._flusher}, timeout=10)
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=False)

    # -- publishing ---------------------------------------------------------------------------------
    async def _append(self, records: Sequence[Record]) -> list[str]:
        now = time.time()
        trims = []
        for topic in {r[0] for r in records}:
            if now - self._last_trim.get(topic, 0.0) >= self.trim_interval:
                self._last_trim[topic] = now
                trims.append((topic, self.retention_for(topic)))
        ids = await self.run(ops.append, records, trims, now, durable=True)
        for topic in {r[0] for r in records}:
            event = self._wakeups.pop(topic, None)
            if event is not None:
                event.set()
        return [str(i) for i in ids]

    def wakeup(self, topic: str) -> asyncio.Event:
        event = self._wakeups.get(topic)
        if event is None:
            event = self._wakeups[topic] = asyncio.Event()
        return event

    # -- groups and health ----------------------------------------------------------------------------
    def _subscription(self, topic: str, group: str, consumer: str, visibility_timeout: float) -> Subscription:
        return SqliteSubscription(self, topic, group, consumer, visibility_timeout)

    async def ensure_group(self, topic: str, group: str, *, start: Start = "latest") -> bool:
        return await self.run(ops.ensure_group, topic, group, start, time.time(), durable=True)

    async def topics(self) -> list[str]:
        return await self.run(ops.topics)

    async def groups(self, topic: str) -> list[str]:
        return await self.run(ops.groups, topic)

    async def lag(self, topic: str, group: str) -> int:
        return await self.run(ops.lag, topic, group)

    async def pending(self, topic: str, group: str) -> PendingInfo:
        return await self.run(ops.pending, topic, group, time.time())

    async def replay(self, topic: str, group: str, since: Since) -> int:
        at_time, at_id = since_value(since)
        if at_id is not None:
            ops.parse_id(at_id)
        return await self.run(ops.replay, topic, group, at_time, at_id, durable=True)

    async def trim(self, topic: str) -> int:
        return await self.run(ops.trim_now, topic, self.retention_for(topic), time.time())

    def idempotency(self, namespace: str, *, done_ttl_s: float = 7 * 86400.0) -> SqliteIdempotency:
        return SqliteIdempotency(self, namespace, done_ttl_s)


class SqliteSubscription(Subscription):
    def __init__(self, bus: SqliteBus, topic: str, group: str, consumer: str, visibility_timeout: float) -> None:
        super().__init__(topic, group, consumer, visibility_timeout)
        self.bus = bus

    async def _read_new(self, max_count: int, block_ms: int) -> list[Message]:
        deadline = time.monotonic() + block_ms / 1000
        while True:
            wakeup = self.bus.wakeup(self.topic)  # taken before the query: no lost wake-up
            got = await self.bus.run(ops.read_new, self.topic, self.group, self.consumer, max_count, time.time())
            remaining = deadline - time.monotonic()
            if got or remaining <= 0:
                return got
            try:
                await asyncio.wait_for(wakeup.wait(), min(remaining, self.bus.poll_interval))
            except TimeoutError:
                pass

    async def ack(self, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        return await self.bus.run(ops.ack, self.topic, self.group, [ops.parse_id(i) for i in ids])

    async def _nack(self, ids: Sequence[str], delay_ms: int) -> None:
        when = time.time() - self.visibility_timeout + delay_ms / 1000
        await self.bus.run(ops.set_delivered_at, self.topic, self.group, [ops.parse_id(i) for i in ids], when)

    async def extend(self, ids: Sequence[str]) -> None:
        if ids:
            await self.bus.run(
                ops.set_delivered_at, self.topic, self.group, [ops.parse_id(i) for i in ids], time.time()
            )

    async def reclaim(self, min_idle_ms: int, max_count: int = 100) -> list[Message]:
        return await self.bus.run(
            ops.reclaim, self.topic, self.group, self.consumer, min_idle_ms / 1000, max_count, time.time()
        )


class SqliteIdempotency:
    def __init__(self, bus: SqliteBus, namespace: str, done_ttl_s: float) -> None:
        self.bus = bus
        self.prefix = f"{namespace}:"
        self.done_ttl_s = done_ttl_s

    async def claim(self, key: str, token: str, ttl_s: float) -> Claim:
        return await self.bus.run(ops.idem_claim, self.prefix + key, token, ttl_s, time.time())

    async def complete(self, key: str, token: str) -> None:
        await self.bus.run(ops.idem_complete, self.prefix + key, token, self.done_ttl_s, time.time(), durable=True)

    async def release(self, key: str, token: str) -> None:
        await self.bus.run(ops.idem_release, self.prefix + key, token)

    async def seen(self, key: str) -> bool:
        return await self.bus.run(ops.idem_seen, self.prefix + key, time.time())
