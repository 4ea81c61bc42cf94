"""A group lease: at most one consumer of a group works at a time (per-key order across several workers).

Competing consumers of one group may run two messages of the same key on two workers at once; a group
declared ordered therefore runs active/passive: the lease holder consumes, the others wait. The lease is a
claim in the bus's `IdempotencyStore`, renewed every `ttl_s / 3`; a holder that dies stops renewing and
another worker takes over after `ttl_s`, first taking every pending message of the group (the oldest)
before it reads new ones, so per-key order survives the takeover.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from weave.bus._idempotency import Claim, IdempotencyStore

log = logging.getLogger("weave.bus")


class GroupLease:
    def __init__(self, store: IdempotencyStore, topic: str, group: str, consumer: str, ttl_s: float) -> None:
        self.store = store
        self.key = f"lease:{topic}:{group}"
        self.token = f"{consumer}:{uuid.uuid4().hex[:12]}"
        self.ttl_s = ttl_s
        self.held = False
        self.changed = asyncio.Event()
        self.gained = 0  # how many times the lease was acquired (takeovers)

    async def keep(self, stopping: asyncio.Event) -> None:
        """Acquire and renew until `stopping`; flips `held` and sets `changed` on every transition."""
        while not stopping.is_set():
            try:
                held = await self.store.claim(self.key, self.token, self.ttl_s) is Claim.ACQUIRED
            except Exception:  # noqa: BLE001 - unreachable store: assume lost, somebody may take over
                log.exception("group lease %s: renewal failed", self.key)
                held = False
            if held != self.held:
                self.held = held
                self.gained += held
                log.info("group lease %s %s by %s", self.key, "acquired" if held else "lost", self.token)
                self.changed.set()
            try:
                await asyncio.wait_for(stopping.wait(), self.ttl_s / 3)
            except TimeoutError:
                pass

    async def release(self) -> None:
        if self.held:
            self.held = False
            await self.store.release(self.key, self.token)
