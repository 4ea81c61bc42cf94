"""The `EventBus` and `Subscription` interfaces, with the behaviour every backend shares.

Shared here: payload validation and encoding (orjson), coalescing of concurrent `publish` calls into one
backend write (group commit), counters, and the fetch loop that reclaims messages whose visibility timeout
ran out (stuck at dead consumers, or nacked) before it reads new ones.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import orjson

from weave.bus._idempotency import IdempotencyStore
from weave.bus._types import (
    BusError,
    Event,
    EventRejected,
    GroupInfo,
    Message,
    PendingInfo,
    Retention,
    Validator,
    check_name,
)

Start = Literal["earliest", "latest"]
Since = str | float | int | datetime
# What a backend writes: (topic, key, payload bytes, headers bytes or None)
Record = tuple[str, str | None, bytes, bytes | None]

_MAX_COALESCE = 1000
log = logging.getLogger("weave.bus")


def since_value(since: Since) -> tuple[float | None, str | None]:
    """A replay position: (epoch seconds, None) for a time, (None, id) for a message id."""
    if isinstance(since, datetime):
        if since.tzinfo is None:
            raise BusError(f"replay time {since.isoformat()} has no timezone; give an aware datetime (UTC)")
        return since.timestamp(), None
    if isinstance(since, bool):
        raise BusError(f"invalid replay position {since!r}")
    if isinstance(since, int | float):
        return float(since), None
    if isinstance(since, str) and since:
        return None, since
    raise BusError(f"invalid replay position {since!r}: give a message id, epoch seconds or an aware datetime")


class EventBus(abc.ABC):
    """A durable, partition-free log of topics with consumer groups. At-least-once delivery."""

    backend: str = "abstract"

    def __init__(
        self,
        *,
        retention: Retention | None = None,
        topic_retention: Mapping[str, Retention] | None = None,
        validators: Mapping[str, Validator] | None = None,
    ) -> None:
        self.retention = retention or Retention()
        self.topic_retention = dict(topic_retention or {})
        self._validators: dict[str, Validator] = dict(validators or {})
        self.published: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self._queue: list[tuple[Record, asyncio.Future[str]]] = []
        self._flusher: asyncio.Task[None] | None = None

    # -- configuration ----------------------------------------------------------------------------
    def retention_for(self, topic: str) -> Retention:
        return self.topic_retention.get(topic, self.retention)

    def set_validator(self, topic: str, validator: Validator | None) -> None:
        """Every later `publish` on `topic` is checked by `validator` (None removes it)."""
        if validator is None:
            self._validators.pop(topic, None)
        else:
            self._validators[check_name("topic", topic)] = validator

    # -- publishing ---------------------------------------------------------------------------------
    def _encode(self, topic: str, event: Event, validator: Validator | None, index: int) -> Record:
        check = validator or self._validators.get(topic)
        payload = event.payload
        if not isinstance(payload, Mapping):
            self.rejected[topic] += 1
            raise EventRejected(topic, [f"payload must be a JSON object, got {type(payload).__name__}"], index)
        if check is not None:
            problems = list(check(payload))
            if problems:
                self.rejected[topic] += 1
                raise EventRejected(topic, problems, index)
        try:
            body = orjson.dumps(payload if type(payload) is dict else dict(payload))
            headers = orjson.dumps(dict(event.headers)) if event.headers else None
        except TypeError as exc:
            self.rejected[topic] += 1
            raise EventRejected(topic, [f"not JSON-serializable: {exc}"], index) from None
        key = event.key
        if key is not None and not isinstance(key, str):
            key = str(key)
        return (topic, key, body, headers)

    async def publish(
        self,
        topic: str,
        payload: Mapping[str, Any],
        *,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
        validator: Validator | None = None,
    ) -> str:
        """Append one event; returns its message id once it is durably on the bus.

        Concurrent calls are coalesced into one backend write. Raises `EventRejected` (and counts it)
        when the payload fails `validator` (or the topic's registered validator).
        """
        check_name("topic", topic)
        record = self._encode(topic, Event(payload, key, headers), validator, 0)
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._queue.append((record, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_queue())
        return await future

    async def _flush_queue(self) -> None:
        while self._queue:
            batch = self._queue[:_MAX_COALESCE]
            del self._queue[:_MAX_COALESCE]
            try:
                ids = await self._append([record for record, _ in batch])
            except BaseException as exc:  # every waiter of the batch learns why
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (record, future), message_id in zip(batch, ids, strict=True):
                self.published[record[0]] += 1
                if not future.done():
                    future.set_result(message_id)

    async def publish_many(
        self,
        topic: str,
        events: Iterable[Event | Mapping[str, Any]],
        *,
        validator: Validator | None = None,
    ) -> list[str]:
        """Append a batch atomically-validated: if one event is rejected, none is published."""
        check_name("topic", topic)
        records = [
            self._encode(topic, ev if isinstance(ev, Event) else Event(ev), validator, i)
            for i, ev in enumerate(events)
        ]
        if not records:
            return []
        ids = await self._append(records)
        self.published[topic] += len(ids)
        return ids

    @abc.abstractmethod
    async def _append(self, records: Sequence[Record]) -> list[str]:
        """Durably append the records (in order); return their ids."""

    # -- consuming ----------------------------------------------------------------------------------
    async def subscribe(
        self,
        topic: str,
        group: str,
        consumer: str,
        *,
        start: Start = "latest",
        visibility_timeout: float = 30.0,
    ) -> Subscription:
        """Join `group` on `topic` as `consumer`, creating the group at `start` if it does not exist."""
        check_name("topic", topic)
        check_name("group", group)
        check_name("consumer", consumer)
        if visibility_timeout <= 0:
            raise BusError(f"visibility_timeout must be > 0, got {visibility_timeout}")
        await self.ensure_group(topic, group, start=start)
        return self._subscription(topic, group, consumer, visibility_timeout)

    @abc.abstractmethod
    def _subscription(self, topic: str, group: str, consumer: str, visibility_timeout: float) -> Subscription:
        ...

    @abc.abstractmethod
    async def ensure_group(self, topic: str, group: str, *, start: Start = "latest") -> bool:
        """Create the group if missing (True if created). `latest`: only events published from now on."""

    @abc.abstractmethod
    async def groups(self, topic: str) -> list[str]:
        ...

    @abc.abstractmethod
    async def lag(self, topic: str, group: str) -> int:
        """Messages of `topic` not yet delivered to `group`."""

    @abc.abstractmethod
    async def pending(self, topic: str, group: str) -> PendingInfo:
        """Messages delivered to `group` and not acknowledged yet."""

    async def info(self, topic: str, group: str) -> GroupInfo:
        return GroupInfo(topic, group, await self.lag(topic, group), await self.pending(topic, group))

    @abc.abstractmethod
    async def topics(self) -> list[str]:
        """Topics that have at least one consumer group."""

    async def snapshot(self) -> list[GroupInfo]:
        """Lag and pending of every group of every topic (for metrics and `weave status`)."""
        out = []
        for topic in await self.topics():
            for group in await self.groups(topic):
                out.append(await self.info(topic, group))
        return out

    @abc.abstractmethod
    async def replay(self, topic: str, group: str, since: Since) -> int:
        """Rewind ONE group so that history from `since` (message id or time) is delivered again.

        Other groups are untouched; the cursor never moves forward. Returns the group's lag afterwards.
        """

    @abc.abstractmethod
    async def trim(self, topic: str) -> int:
        """Apply the topic's retention now; returns how many messages were removed (approximate on Redis)."""

    @abc.abstractmethod
    def idempotency(self, namespace: str, *, done_ttl_s: float = 7 * 86400.0) -> IdempotencyStore:
        """An idempotency-key store on the same backend (for sinks and `Subscriber`)."""

    async def open(self) -> EventBus:
        """Connect / migrate; `open_bus` calls it. Idempotent."""
        return self

    @abc.abstractmethod
    async def close(self) -> None:
        ...

    async def __aenter__(self) -> EventBus:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class Subscription(abc.ABC):
    """One consumer's view of a group. Fetched messages stay pending until acked; a message left unacked
    longer than `visibility_timeout` (its consumer died or nacked it) is reclaimed by whichever consumer
    of the group fetches next, with `delivery_count` incremented."""

    def __init__(self, topic: str, group: str, consumer: str, visibility_timeout: float) -> None:
        self.topic = topic
        self.group = group
        self.consumer = consumer
        self.visibility_timeout = visibility_timeout
        self.reclaim_interval = max(0.05, min(visibility_timeout / 2, 5.0))
        self._next_reclaim = 0.0
        self.reclaimed = 0

    async def fetch(self, max_count: int = 100, block_ms: int = 0) -> list[Message]:
        """Up to `max_count` messages: reclaimable ones first, then new ones, waiting up to `block_ms`."""
        if max_count < 1:
            return []
        deadline = time.monotonic() + block_ms / 1000
        while True:
            now = time.monotonic()
            if now >= self._next_reclaim:
                self._next_reclaim = now + self.reclaim_interval
                got = await self.reclaim(int(self.visibility_timeout * 1000), max_count)
                if got:
                    self.reclaimed += len(got)
                    if len(got) < max_count:
                        got.extend(await self._read_new(max_count - len(got), 0))
                    return got
            wait_ms = int(max(0.0, min(deadline, self._next_reclaim) - time.monotonic()) * 1000)
            got = await self._read_new(max_count, wait_ms)
            if got or time.monotonic() >= deadline:
                return got

    @abc.abstractmethod
    async def _read_new(self, max_count: int, block_ms: int) -> list[Message]:
        ...

    @abc.abstractmethod
    async def ack(self, ids: Sequence[str]) -> int:
        """Acknowledge (done); returns how many were still pending."""

    async def nack(self, ids: Sequence[str], *, delay_ms: int = 0, error: str | None = None) -> None:
        """Give messages back: they are redelivered (to any consumer of the group) after `delay_ms`."""
        if not ids:
            return
        if error:
            log.info("%s/%s nacked %d message(s) (%s): %s", self.topic, self.group, len(ids), ids[0], error)
        await self._nack(ids, max(0, delay_ms))
        self._next_reclaim = min(self._next_reclaim, time.monotonic() + delay_ms / 1000)

    @abc.abstractmethod
    async def _nack(self, ids: Sequence[str], delay_ms: int) -> None:
        ...

    @abc.abstractmethod
    async def extend(self, ids: Sequence[str]) -> None:
        """Heartbeat: restart the visibility timeout of messages this consumer is still working on."""

    @abc.abstractmethod
    async def reclaim(self, min_idle_ms: int, max_count: int = 100) -> list[Message]:
        """Take over messages of the group pending for at least `min_idle_ms` (any consumer)."""

    async def close(self) -> None:
        return None
