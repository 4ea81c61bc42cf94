"""Adapters from the batch engine's seams to the shared state store (`weave.state.StateStore`).

- `StateCheckpointStore`: checkpoints of non-database targets, in the store's cursor table (`etl:<job>`);
  database targets keep theirs in `_weave_cursors` inside the target, committed with each chunk.
- `StateLease`: the store's leases (one holder per job across processes and hosts, the store's clock).
- `StateRunRecorder`: run history (`weave runs`): a `running` row at start, counts/duration/error at the end.
- `StateDeadLetters`: a dead-letter hook putting each rejected record into the store's DLQ with its reason.
"""

from __future__ import annotations

import secrets
from typing import Any

from weave.etl._types import Checkpoint, Rejected, RunResult

CURSOR_PREFIX = "etl:"


class StateCheckpointStore:
    def __init__(self, store: Any) -> None:
        self._store = store

    async def load(self, job: str) -> Checkpoint | None:
        value = await self._store.get_cursor(CURSOR_PREFIX + job)
        return Checkpoint.from_json(value) if value else None

    async def save(self, checkpoint: Checkpoint) -> None:
        await self._store.set_cursor(CURSOR_PREFIX + checkpoint.job, checkpoint.to_json())


class StateLease:
    """The store's lease under a holder id unique to this instance (`<worker>:<random>`): the store lets a
    holder re-acquire its own lease, so two jobs in one worker must not share an id."""

    def __init__(self, store: Any, holder: str | None = None) -> None:
        self._store = store
        self.holder = f"{holder or 'etl'}:{secrets.token_hex(6)}"

    async def acquire(self, key: str, ttl_s: float) -> bool:
        return bool(await self._store.acquire_lease("etl:" + key, self.holder, ttl_s))

    async def renew(self, key: str, ttl_s: float) -> bool:
        return bool(await self._store.renew_lease("etl:" + key, self.holder, ttl_s))

    async def release(self, key: str) -> None:
        await self._store.release_lease("etl:" + key, self.holder)


class StateRunRecorder:
    def __init__(self, store: Any, *, revision: int | None = None, worker: str | None = None) -> None:
        self._store = store
        self._revision = revision
        self._worker = worker

    async def start(self, job: str) -> int:
        return int(await self._store.run_start(job, "batch", revision=self._revision, worker=self._worker))

    async def finish(self, handle: Any, result: RunResult) -> None:
        counts: dict[str, Any] = {
            **result.counts.as_dict(), "chunks": result.chunks, "duration_s": round(result.duration_s, 3),
            "resumed": result.resumed, "forced": result.forced, "run": result.run_id, "cursor": result.cursor,
            "drift": [{"column": d.column, "type": d.sql_type, "action": d.action} for d in result.drift],
        }
        status = "ok" if result.status == "succeeded" else "failed"
        await self._store.run_finish(int(handle), status, counts, result.error)


class StateDeadLetters:
    """`on_reject=StateDeadLetters(store, "crm-to-erp", source="crm", target="erp")`."""

    def __init__(self, store: Any, integration: str, *, source: str | None = None, target: str | None = None,
                 key_field: str | None = "id") -> None:
        self._store = store
        self._integration = integration
        self._source = source
        self._target = target
        self._key_field = key_field

    async def __call__(self, rejected: list[Rejected]) -> None:
        for item in rejected:
            key = item.record.get(self._key_field) if self._key_field else None
            reason = f"{item.step}: {item.reason}" if item.step else item.reason
            await self._store.dlq_put(
                self._integration, item.record, reason, source=self._source, target=self._target,
                key=None if key is None else str(key), headers={"x-weave-chunk": str(item.chunk)},
            )
