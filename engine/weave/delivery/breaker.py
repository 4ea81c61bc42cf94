"""A circuit breaker per target system: closed → open → half-open → closed.

- closed: calls pass; `failure_threshold` consecutive transient failures open the circuit.
- open: calls are refused (`CircuitOpenError`, a TransientError whose `retry_after` is the time
  left) until `reset_timeout` has passed.
- half-open: up to `half_open_max` trial calls pass; a success closes the circuit, a failure
  opens it again for another `reset_timeout`.

Only transient failures count: a 4xx means the target is up and answering.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from weave.errors import TransientError
from weave.spec.durations import parse_duration

State = Literal["closed", "open", "half_open"]


class CircuitOpenError(TransientError):
    """The target's circuit is open; nothing was sent."""

    def __init__(self, target: str, retry_after: float) -> None:
        super().__init__(f"circuit for {target!r} is open; retry in {retry_after:.1f}s", retry_after=retry_after)
        self.target = target


@dataclass(frozen=True)
class BreakerConfig:
    failure_threshold: int = 5
    reset_timeout: float = 30.0
    half_open_max: int = 1

    @classmethod
    def from_spec(cls, block: Mapping[str, Any] | None) -> BreakerConfig:
        block = block or {}
        return cls(
            failure_threshold=int(block.get("failures", 5)),
            reset_timeout=parse_duration(block.get("reset", "30s")),
            half_open_max=int(block.get("half_open_max", 1)),
        )


class CircuitBreaker:
    def __init__(
        self, target: str, config: BreakerConfig | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.target = target
        self.config = config or BreakerConfig()
        self._clock = clock
        self._state: State = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trials = 0
        self._trial_started = 0.0

    @property
    def state(self) -> State:
        if self._state == "open" and self._clock() - self._opened_at >= self.config.reset_timeout:
            self._state = "half_open"
            self._trials = 0
        return self._state

    def retry_after(self) -> float:
        """Seconds until an open circuit lets a trial call through (0 when not open)."""
        if self.state != "open":
            return 0.0
        return max(0.0, self.config.reset_timeout - (self._clock() - self._opened_at))

    def before_call(self) -> None:
        """Raise CircuitOpenError when the call must not be made; otherwise reserve the call."""
        state = self.state
        if state == "open":
            raise CircuitOpenError(self.target, self.retry_after())
        if state == "half_open":
            now = self._clock()
            if self._trials >= self.config.half_open_max:
                if now - self._trial_started < self.config.reset_timeout:
                    raise CircuitOpenError(self.target, self.config.reset_timeout / 10 or 0.1)
                self._trials = 0  # a trial that never reported back (lost or cancelled) frees its slot
            if self._trials == 0:
                self._trial_started = now
            self._trials += 1

    def release(self) -> None:
        """Give back a call reserved by `before_call` that was abandoned (cancelled) before any answer."""
        if self._state == "half_open" and self._trials > 0:
            self._trials -= 1

    def record_success(self) -> None:
        self._state = "closed"
        self._failures = 0
        self._trials = 0

    def record_failure(self) -> None:
        """Record a transient failure."""
        if self.state == "half_open":
            self._open()
            return
        self._failures += 1
        if self._failures >= self.config.failure_threshold:
            self._open()

    def record_neutral(self) -> None:
        """A terminal (4xx) answer: the target is up; release a half-open trial slot."""
        if self._state == "half_open":
            self.record_success()
        else:
            self._failures = 0

    def _open(self) -> None:
        self._state = "open"
        self._opened_at = self._clock()
        self._failures = 0
        self._trials = 0


class BreakerRegistry:
    """One breaker per target system, created on first use."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, target: str, config: BreakerConfig | None = None) -> CircuitBreaker:
        breaker = self._breakers.get(target)
        if breaker is None:
            breaker = self._breakers[target] = CircuitBreaker(target, config, clock=self._clock)
        return breaker

    def states(self) -> dict[str, State]:
        return {name: b.state for name, b in self._breakers.items()}
