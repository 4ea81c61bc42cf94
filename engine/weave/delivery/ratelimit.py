"""A client-side async token bucket: at most `rate` requests per second towards one system.

The bucket starts full (`capacity` tokens, one second's worth by default), refills continuously
and makes callers wait, in arrival order, for their token. Clock and sleep are injectable so
tests run on a fake clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

_EPSILON = 1e-9


class TokenBucket:
    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else max(1.0, rate))
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._updated = now
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)

    def try_acquire(self, tokens: float = 1.0) -> bool:
        """Take tokens without waiting; False when the bucket is short."""
        self._refill()
        if self._tokens + _EPSILON >= tokens:
            self._tokens = max(0.0, self._tokens - tokens)
            return True
        return False

    async def acquire(self, tokens: float = 1.0) -> float:
        """Wait for `tokens`; returns the seconds waited. Waiters are served in arrival order."""
        if tokens > self.capacity:
            raise ValueError(f"cannot take {tokens} tokens from a bucket of {self.capacity}")
        waited = 0.0
        async with self._lock:  # FIFO: asyncio.Lock wakes waiters in order
            while True:
                self._refill()
                if self._tokens + _EPSILON >= tokens:  # float rounding must not leave a waiter spinning
                    self._tokens = max(0.0, self._tokens - tokens)
                    return waited
                delay = (tokens - self._tokens) / self.rate
                waited += delay
                await self._sleep(delay)
