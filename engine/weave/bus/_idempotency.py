"""Idempotency keys for sinks: claim a key before delivering, complete it after, release it on failure.

`claim` is atomic across workers: exactly one caller (token) gets ACQUIRED for a key until it completes
(DONE for everybody afterwards, for `done_ttl_s`) or releases it. A claim left by a dead worker
expires after its `ttl_s`, so the message can be delivered by whoever reclaims it. Claiming again with
the same token extends the claim, which makes a claim usable as a lease (see `Subscriber(exclusive=...)`).
"""

from __future__ import annotations

import enum
from typing import Protocol


class Claim(enum.Enum):
    ACQUIRED = "acquired"  # yours: deliver, then complete() or release()
    DONE = "done"  # delivered before: skip and ack
    BUSY = "busy"  # another live worker is delivering it right now: come back later


class IdempotencyStore(Protocol):
    async def claim(self, key: str, token: str, ttl_s: float) -> Claim: ...

    async def complete(self, key: str, token: str) -> None: ...

    async def release(self, key: str, token: str) -> None: ...

    async def seen(self, key: str) -> bool:
        """True if `key` was delivered (completed) already."""
        ...
