"""Small helpers for the state tests: polling instead of sleeping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def poll(fn: Callable[[], Awaitable[T]], *, until: Callable[[T], bool], timeout: float = 10.0) -> T:
    """Call `fn` until `until(result)` holds; return that result or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await fn()
        if until(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last result: {result!r}")
        await asyncio.sleep(0.02)


async def _now() -> float:
    return time.time()


async def tick() -> float:
    """A time strictly after every record written so far, and strictly before every record written next."""
    mark = time.time()
    await poll(_now, until=lambda now: now > mark, timeout=2)
    return mark
