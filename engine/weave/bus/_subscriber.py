"""`Subscriber`: the loop fetch -> handle -> ack for one consumer of one group.

- at-least-once: a message is acked only after its handler returned (or after it was dead-lettered);
- per-key order within the worker (`KeyedDispatcher`), retries in place with backoff so order holds;
- after `max_attempts` (counting redeliveries) or a `TerminalError` the message goes to `dead_letter`
  and is acked, so the rest flows on; if `dead_letter` itself fails the message stays pending;
- optional idempotency: a key claimed in an `IdempotencyStore` is delivered by one worker only;
- a heartbeat keeps in-flight messages invisible to other consumers while the handler works;
- `exclusive=store`: one active consumer per group (a `GroupLease`), for per-key order across workers.

Each group has its own subscription and subscriber, so a slow or broken group never holds up another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from weave.bus._base import Subscription
from weave.bus._dispatch import KeyedDispatcher
from weave.bus._idempotency import Claim, IdempotencyStore
from weave.bus._lease import GroupLease
from weave.bus._types import BusError, Message
from weave.errors import TerminalError

log = logging.getLogger("weave.bus")

Handler = Callable[[Message], Awaitable[None]]
DeadLetter = Callable[[Message, BaseException], Awaitable[None]]
KeyOf = Callable[[Message], str | None]


def header_idempotency_key(message: Message) -> str | None:
    return message.headers.get("idempotency-key")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    initial_backoff_s: float = 0.1
    max_backoff_s: float = 5.0
    multiplier: float = 2.0

    def backoff(self, attempt: int) -> float:
        return min(self.max_backoff_s, self.initial_backoff_s * self.multiplier ** max(0, attempt - 1))


@dataclass
class SubscriberStats:
    handled: int = 0
    retried: int = 0
    dead_lettered: int = 0
    duplicates: int = 0
    deferred: int = 0  # times an idempotency key was busy at another worker (we waited)
    dead_letter_failures: int = 0
    ack_failures: int = 0


class ExhaustedDeliveries(BusError):
    """The message was delivered `max_attempts` times without being acked (its consumers kept dying)."""


class Subscriber:
    def __init__(
        self,
        subscription: Subscription,
        handler: Handler,
        *,
        dead_letter: DeadLetter,
        retry: RetryPolicy | None = None,
        lanes: int = 8,
        batch_size: int = 100,
        max_in_flight: int = 1000,
        block_ms: int = 500,
        idempotency: IdempotencyStore | None = None,
        idempotency_key: KeyOf = header_idempotency_key,
        claim_ttl_s: float | None = None,
        exclusive: IdempotencyStore | None = None,
        lease_ttl_s: float | None = None,
    ) -> None:
        self.sub = subscription
        self.handler = handler
        self.dead_letter = dead_letter
        self.retry = retry or RetryPolicy()
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.block_ms = block_ms
        self.idempotency = idempotency
        self.idempotency_key = idempotency_key
        self.claim_ttl_s = claim_ttl_s or 2 * subscription.visibility_timeout
        self.stats = SubscriberStats()
        self.lease = (
            GroupLease(exclusive, subscription.topic, subscription.group, subscription.consumer,
                       lease_ttl_s or max(2.0, subscription.visibility_timeout))
            if exclusive is not None else None
        )
        self._dispatcher = KeyedDispatcher(self._process, lanes)
        self._active: dict[str, Message] = {}
        self._acks: list[str] = []
        self._acked_during_fetch: set[str] = set()
        self._ack_ready = asyncio.Event()
        self._room = asyncio.Event()
        self._stopping = asyncio.Event()

    # -- lifecycle ------------------------------------------------------------------------------------
    def stop(self) -> None:
        self._stopping.set()

    async def run(self, drain_timeout: float = 10.0) -> None:
        """Consume until `stop()`; then finish in-flight work (up to `drain_timeout`) and ack it."""
        acker = asyncio.create_task(self._ack_loop())
        beat = asyncio.create_task(self._heartbeat())
        keeper = asyncio.create_task(self.lease.keep(self._stopping)) if self.lease else None
        try:
            await self._fetch_loop()
        finally:
            finished = await self._dispatcher.join(drain_timeout)
            left = [] if finished else await self._dispatcher.cancel()
            beat.cancel()
            self._stopping.set()
            self._ack_ready.set()
            with contextlib.suppress(Exception):
                await acker
            await self._flush_acks()
            if left:  # hand unfinished messages back right away
                with contextlib.suppress(Exception):
                    await self.sub.nack([m.id for m in left])
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            if keeper is not None and self.lease is not None:
                await keeper
                with contextlib.suppress(Exception):
                    await self.lease.release()

    async def _fetch_loop(self) -> None:
        block_ms = self.block_ms
        if self.lease is not None:  # notice a lost lease within a third of its lifetime
            block_ms = min(block_ms, int(self.lease.ttl_s * 1000 / 3))
        taken_over = 0
        while not self._stopping.is_set():
            if self.lease is not None:
                if not self.lease.held:
                    self.lease.changed.clear()
                    await self._wait_any(self.lease.changed)
                    continue
                if taken_over < self.lease.gained:
                    taken_over = self.lease.gained
                    await self._take_over()
            room = self.max_in_flight - len(self._active)
            if room <= 0:
                self._room.clear()
                await self._wait_any(self._room)
                continue
            self._acked_during_fetch.clear()
            self._submit(await self.sub.fetch(min(self.batch_size, room), block_ms))

    def _submit(self, messages: list[Message]) -> None:
        for message in messages:
            if message.id in self._active:  # redelivered while we still work on it
                continue
            if message.delivery_count > 1 and message.id in self._acked_during_fetch:
                continue  # reclaimed by our fetch while our own ack of it was in flight: done already
            self._active[message.id] = message
            self._dispatcher.submit(message)

    async def _take_over(self) -> None:
        """New lease holder: every pending message of the group first (oldest first), then new ones."""
        while not self._stopping.is_set():
            room = self.max_in_flight - len(self._active)
            if room <= 0:
                self._room.clear()
                await self._wait_any(self._room)
                continue
            want = min(self.batch_size, room)
            self._acked_during_fetch.clear()
            got = await self.sub.reclaim(0, want)
            fresh = [m for m in got if m.id not in self._active]  # min-idle 0 also re-takes our own
            self._submit(fresh)
            if len(got) < want or not fresh:
                return

    async def _wait_any(self, event: asyncio.Event) -> None:
        waits = {asyncio.create_task(event.wait()), asyncio.create_task(self._stopping.wait())}
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()

    # -- one message ----------------------------------------------------------------------------------
    async def _process(self, message: Message) -> None:
        try:
            await self._deliver(message)
        except Exception:  # noqa: BLE001 - a lane must never die; the message stays pending
            log.exception("subscriber %s/%s: unexpected error on %s", self.sub.group, self.sub.consumer, message.id)
            self._active.pop(message.id, None)
            self._room.set()

    async def _deliver(self, message: Message) -> None:
        if message.delivery_count > self.retry.max_attempts:
            error = ExhaustedDeliveries(
                f"message {message.id} on {message.topic!r} was delivered {message.delivery_count - 1} times "
                f"without an ack (max_attempts={self.retry.max_attempts}); its consumers died or stalled"
            )
            await self._dead_letter(message, error)
            return
        key = self.idempotency_key(message) if self.idempotency is not None else None
        token = f"{self.sub.consumer}:{message.id}"
        if key is not None and self.idempotency is not None:
            claim = await self._claim(self.idempotency, key, token)
            if claim is Claim.DONE:
                self.stats.duplicates += 1
                self._ack(message)
                return
        attempt = message.delivery_count
        while True:
            try:
                await self.handler(message)
            except Exception as exc:  # noqa: BLE001 - the handler's error decides retry vs dead letter
                if isinstance(exc, TerminalError) or attempt >= self.retry.max_attempts:
                    if key is not None and self.idempotency is not None:
                        await self.idempotency.release(key, token)
                    await self._dead_letter(message, exc)
                    return
                self.stats.retried += 1
                await asyncio.sleep(self.retry.backoff(attempt))
                attempt += 1
                continue
            if key is not None and self.idempotency is not None:
                await self.idempotency.complete(key, token)
            self.stats.handled += 1
            self._ack(message)
            return

    async def _claim(self, store: IdempotencyStore, key: str, token: str) -> Claim:
        """ACQUIRED or DONE. While another worker holds the key, keep the message (the heartbeat keeps it
        ours) and ask again: the holder completes, releases, or dies and its claim expires."""
        delay = 0.02
        while True:
            claim = await store.claim(key, token, self.claim_ttl_s)
            if claim is not Claim.BUSY:
                return claim
            self.stats.deferred += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def _dead_letter(self, message: Message, error: BaseException) -> None:
        try:
            await self.dead_letter(message, error)
        except Exception:  # noqa: BLE001
            self.stats.dead_letter_failures += 1
            log.exception("dead-letter callback failed for %s; it stays pending and comes back", message.id)
            self._active.pop(message.id, None)
            self._room.set()
            return
        self.stats.dead_lettered += 1
        self._ack(message)

    # -- acks and heartbeat -----------------------------------------------------------------------------
    def _ack(self, message: Message) -> None:
        self._acks.append(message.id)
        self._ack_ready.set()

    async def _ack_loop(self) -> None:
        while not self._stopping.is_set():
            await self._ack_ready.wait()
            self._ack_ready.clear()
            await self._flush_acks()

    async def _flush_acks(self) -> None:
        if not self._acks:
            return
        ids, self._acks = self._acks, []
        try:
            await self.sub.ack(ids)
        except Exception:  # noqa: BLE001 - the bus already retried; they come back after the timeout
            self.stats.ack_failures += len(ids)
            log.exception("ack of %d messages failed; they will be redelivered", len(ids))
        for message_id in ids:
            self._active.pop(message_id, None)
        self._acked_during_fetch.update(ids)
        self._room.set()

    async def _heartbeat(self) -> None:
        interval = max(0.05, self.sub.visibility_timeout / 3)
        while True:
            await asyncio.sleep(interval)
            if self._active:
                try:
                    await self.sub.extend(list(self._active))
                except Exception:  # noqa: BLE001
                    log.exception("heartbeat failed; in-flight messages may be reclaimed by other workers")
