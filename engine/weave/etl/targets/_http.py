"""Bulk HTTP load: POST records in batches, each with a deterministic `Idempotency-Key`
(`<job>:<run>:<chunk>:<batch>`), so a chunk re-sent after a crash is recognised by the endpoint.

The checkpoint goes to the checkpoint store only after every batch of the chunk is acknowledged (2xx).
When `count_field` is set, the response body must report that many accepted records.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from weave.errors import TerminalError, TransientError
from weave.etl._errors import ReconciliationError
from weave.etl._types import Checkpoint, CheckpointStore, LoadAck, Record
from weave.etl.sources._paths import dig


@dataclass
class HttpBulkTarget:
    client: httpx.AsyncClient
    path: str
    checkpoints: CheckpointStore
    batch_size: int = 500
    wrap: str | None = None  # send {wrap: [...]} instead of a bare JSON array
    count_field: str | None = None
    method: str = "POST"
    retries: int = 4
    backoff_s: float = 0.2
    name: str = "http"

    async def open(self, job: str) -> Checkpoint | None:
        return await self.checkpoints.load(job)

    async def _send(self, batch: list[Record], key: str) -> None:
        body = orjson.dumps({self.wrap: batch} if self.wrap else batch)
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        delay = self.backoff_s
        for attempt in range(self.retries + 1):
            try:
                response = await self.client.request(self.method, self.path, content=body, headers=headers)
            except httpx.TransportError as exc:
                error: Exception = TransientError(f"{self.method} {self.path}: {type(exc).__name__}")
            else:
                status = response.status_code
                if status < 300:
                    if self.count_field:
                        accepted: Any = dig(orjson.loads(response.content or b"null"), self.count_field)
                        if accepted != len(batch):
                            raise ReconciliationError(
                                f"{self.path} accepted {accepted} of {len(batch)} records (batch {key})"
                            )
                    return
                if status in (408, 425, 429) or status >= 500:
                    error = TransientError(f"{self.method} {self.path}: HTTP {status}", status=status)
                else:
                    raise TerminalError(f"{self.method} {self.path}: HTTP {status} (batch {key})", status=status)
            if attempt == self.retries:
                raise error
            await asyncio.sleep(delay)
            delay *= 2

    async def write(self, rows: list[Record], checkpoint: Checkpoint) -> LoadAck:
        for n, start in enumerate(range(0, len(rows), self.batch_size)):
            key = f"{checkpoint.job}:{checkpoint.run_id}:{checkpoint.chunks}:{n}"
            await self._send(rows[start : start + self.batch_size], key)
        await self.checkpoints.save(checkpoint)
        return LoadAck(len(rows))

    async def finish(self, checkpoint: Checkpoint) -> None:
        await self.checkpoints.save(checkpoint)

    async def aclose(self) -> None:
        return None  # the client belongs to the caller (it may serve many runs)
