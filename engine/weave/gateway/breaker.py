"""A per-upstream circuit breaker: closed -> open after N consecutive failures -> half-open after
`reset` seconds (one trial request) -> closed on success, open again on failure."""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    __slots__ = ("failures", "reset", "clock", "_count", "_opened_at", "_trial")

    def __init__(self, failures: int = 5, reset: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.failures = failures
        self.reset = reset
        self.clock = clock
        self._count = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self._opened_at >= self.reset else "open"

    def allow(self) -> bool:
        """May a request go upstream now? In half-open state only one trial at a time."""
        if self._opened_at is None:
            return True
        if self.clock() - self._opened_at < self.reset or self._trial:
            return False
        self._trial = True
        return True

    def success(self) -> None:
        if self._count or self._opened_at is not None:
            self._count = 0
            self._opened_at = None
            self._trial = False

    def failure(self) -> None:
        self._count += 1
        if self._trial or self._count >= self.failures:
            self._opened_at = self.clock()
            self._trial = False
