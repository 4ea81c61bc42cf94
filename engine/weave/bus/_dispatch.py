"""Per-key ordering inside one worker: messages with the same key run one after another, in order;
different keys run concurrently.

Messages are spread over a fixed number of lanes by their key (no key: round-robin). A lane is a FIFO
drained by one task, so the cost is a deque append per message, not a task per message. A slow key
delays only the keys that share its lane.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import deque
from collections.abc import Awaitable, Callable

from weave.bus._types import Message

Handle = Callable[[Message], Awaitable[None]]


class KeyedDispatcher:
    def __init__(self, handle: Handle, lanes: int = 8) -> None:
        if lanes < 1:
            raise ValueError("lanes must be >= 1")
        self._handle = handle
        self._lanes: list[deque[Message]] = [deque() for _ in range(lanes)]
        self._tasks: list[asyncio.Task[None] | None] = [None] * lanes
        self._next = 0

    def lane_of(self, message: Message) -> int:
        if message.key is None:
            self._next = (self._next + 1) % len(self._lanes)
            return self._next
        return zlib.crc32(message.key.encode()) % len(self._lanes)

    def submit(self, message: Message) -> None:
        """Queue `message`; `handle` must not raise (wrap errors yourself)."""
        lane = self.lane_of(message)
        self._lanes[lane].append(message)
        task = self._tasks[lane]
        if task is None or task.done():
            self._tasks[lane] = asyncio.create_task(self._drain(lane))

    async def _drain(self, lane: int) -> None:
        queue = self._lanes[lane]
        while queue:
            await self._handle(queue[0])
            queue.popleft()

    @property
    def queued(self) -> int:
        return sum(len(q) for q in self._lanes)

    async def join(self, timeout: float | None = None) -> bool:
        """Wait until every lane is empty; False if `timeout` ran out first."""
        tasks = {t for t in self._tasks if t is not None and not t.done()}
        if not tasks:
            return True
        _, still = await asyncio.wait(tasks, timeout=timeout)
        return not still

    async def cancel(self) -> list[Message]:
        """Stop every lane; returns the messages that were not handled."""
        tasks = [t for t in self._tasks if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        left = [m for q in self._lanes for m in q]
        for q in self._lanes:
            q.clear()
        return left
