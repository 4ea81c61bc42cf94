"""Adapters from the batch engine's seams to the shared state store (`weave.state.StateStore`).

- `StateCheckpointStore`: checkpoints of non-database targets, in the store's cursor table (`etl:<job>`);
  database targets keep theirs in `_weave_cursors` inside the target, committed with each chunk.
- `StateLease`: the store's leases (one holder per job across processes and hosts, the store's clock).
- `StateRunRecorder`: run history (`weave runs`): a `running` row at start (worker, revision, the lease it holds),
  each renewal of the run's lease (`renewed`, called by the job whatever the lease backend: when the worker was
  last alive), counts/duration/error at the end. A run under a lease outside the store (Redis) holds a sign-of-life
  entry in the store's lease table (`etl-alive:<job>`), renewed with it, so the store can judge it like its own.
  A run whose worker died is closed as `abandoned` by the next run that takes the job's lease, or by
  `reap_stale_runs` (what `weave runs`, `weave status` and the served status call) once its lease (or sign-of-life
  entry) is gone; its end time is its lease's last renewal, its error says when the loss was noticed.
- `StateDeadLetters`: a dead-letter hook putting each rejected record into the store's DLQ with its reason.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from typing import Any

from weave.etl._types import Checkpoint, Lease, Rejected, RunResult

CURSOR_PREFIX = "etl:"
LEASE_PREFIX = "etl:"
ALIVE_PREFIX = "etl-alive:"  # the store's sign of life of a run whose lease lives elsewhere (Redis)
KIND = "batch"
STALE = "worker lost: its lease expired without renewal (or was released) and the run never recorded its end"
ENDED = "ended at its worker's last sign of life (its lease's last renewal, else its start)"


def noticed(reason: str) -> str:
    """`reason` stamped with when the loss was noticed (this host's clock, UTC); the row's end time is not that
    moment but the last evidence of the worker being alive (its lease's last renewal, else the run's start)."""
    at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{reason}; noticed {at}, {ENDED}"


def default_worker() -> str:
    """`host:pid`, what a run row names as its worker when none is given."""
    return f"{socket.gethostname()}:{os.getpid()}"


async def reap_stale_runs(store: Any) -> list[int]:
    """Close (`abandoned`) every `running` row whose worker no longer holds the lease it recorded; their ids.
    A row ends at its lease's last renewal (when its worker was last known alive), and its error says when the
    loss was noticed. A read when nothing is stale (cheap enough for every status request). A run under a lease
    outside the store (Redis) is judged by its sign-of-life entry (`etl-alive:<job>`), renewed with that lease."""
    return list(await store.run_abandon_stale(noticed(STALE)))


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

    @property
    def store(self) -> Any:
        return self._store

    @staticmethod
    def key(job: str) -> str:
        """The store's lease key of a job."""
        return LEASE_PREFIX + job

    async def acquire(self, key: str, ttl_s: float) -> bool:
        return bool(await self._store.acquire_lease(self.key(key), self.holder, ttl_s))

    async def renew(self, key: str, ttl_s: float) -> bool:
        """Renew the lease (the job then tells its recorder: `StateRunRecorder.renewed`)."""
        return bool(await self._store.renew_lease(self.key(key), self.holder, ttl_s))

    async def release(self, key: str) -> None:
        await self._store.release_lease(self.key(key), self.holder)


class StateRunRecorder:
    """Run rows in the store: `running` at start, `ok`/`failed` with counts at the end.

    `worker` (default `host:pid`) and `revision` are recorded on every row. When the run holds a `StateLease`
    of this store, the row also records the lease (key, holder), so `reap_stale_runs` can tell a live run from
    one whose worker died. When it holds another lease (Redis), the row records a sign-of-life entry in this
    store's lease table instead (`etl-alive:<job>`, the lease's TTL), taken at start, extended on each renewal
    and dropped at the end: the store judges it the same way. Holding any lease, `start` also closes the job's
    other rows still `running` as `abandoned`: they belong to a worker that lost the lease without recording an
    end (kill -9, power loss). Such a row ends when its worker was last known alive: its lease's last renewal
    (`renewed`, one UPDATE per renewal, two for a lease outside the store), else the run's start. Their
    committed chunks are counted by the run that resumes them, never by the abandoned row.
    """

    def __init__(self, store: Any, *, revision: int | None = None, worker: str | None = None) -> None:
        self._store = store
        self._revision = revision
        self._worker = worker or default_worker()
        self._took_over: dict[int, list[int]] = {}
        self._leases: dict[int, tuple[str, str, bool]] = {}  # run id -> (key, holder, sign-of-life entry?)

    def _in_store(self, lease: Lease | None) -> StateLease | None:
        """The lease when it lives in this recorder's store (so the store can tell whether it is still held)."""
        if not isinstance(lease, StateLease):
            return None
        same = lease.store is self._store or getattr(lease.store, "url", None) == getattr(self._store, "url", "")
        return lease if same else None

    async def _sign_of_life(self, job: str, ttl_s: float) -> tuple[str, str] | None:
        """Take the job's sign-of-life entry for a run under a lease outside the store. The caller holds the job's
        lease, so a live entry of another holder belongs to a worker that lost it: it is dropped first."""
        key, holder = ALIVE_PREFIX + job, f"{self._worker}:{secrets.token_hex(6)}"
        if not await self._store.acquire_lease(key, holder, ttl_s):
            stale = await self._store.lease_info(key)
            if stale is not None:
                await self._store.release_lease(key, stale.holder)
            if not await self._store.acquire_lease(key, holder, ttl_s):
                return None
        return key, holder

    async def start(self, job: str, lease: Lease | None = None, lease_ttl_s: float | None = None) -> int:
        held = self._in_store(lease)
        key, holder = (StateLease.key(job), held.holder) if held is not None else (None, None)
        alive = None
        if lease is not None and held is None and lease_ttl_s:
            alive = await self._sign_of_life(job, lease_ttl_s)
            if alive is not None:
                key, holder = alive
        run_id = int(await self._store.run_start(job, KIND, revision=self._revision, worker=self._worker,
                                                 lease_key=key, lease_holder=holder))
        if key is not None and holder is not None:
            self._leases[run_id] = (key, holder, alive is not None)
        if lease is not None:  # we hold the job's lease: any other `running` row of it lost its worker
            reason = noticed(f"worker lost: the run never recorded its end; the job's lease was taken over by "
                             f"{self._worker} (run {run_id})")
            abandoned = await self._store.run_abandon_running(job, KIND, reason, keep=run_id)
            if abandoned:
                self._took_over[run_id] = list(abandoned)
        return run_id

    async def renewed(self, handle: Any, ttl_s: float) -> None:
        """The run's lease was just renewed for `ttl_s`: its row's last sign of life. A sign-of-life entry is
        extended first (re-taken if it lapsed while the store was unreachable)."""
        lease = self._leases.get(int(handle))
        if lease is None:
            return
        key, holder, own = lease
        if own:
            await self._store.acquire_lease(key, holder, ttl_s)
        await self._store.run_lease_renewed(key, holder, ttl_s)

    async def finish(self, handle: Any, result: RunResult) -> None:
        counts: dict[str, Any] = {
            **result.counts.as_dict(), "chunks": result.chunks, "duration_s": round(result.duration_s, 3),
            "resumed": result.resumed, "forced": result.forced, "run": result.run_id, "cursor": result.cursor,
            "drift": [{"column": d.column, "type": d.sql_type, "action": d.action} for d in result.drift],
        }
        took_over = self._took_over.pop(int(handle), None)
        if took_over:
            counts["took_over"] = took_over
        status = "ok" if result.status == "succeeded" else "failed"
        await self._store.run_finish(int(handle), status, counts, result.error)
        lease = self._leases.pop(int(handle), None)
        if lease is not None and lease[2]:
            await self._store.release_lease(lease[0], lease[1])


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
