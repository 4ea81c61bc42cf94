"""Values and seams of the batch engine: pages, checkpoints, counts, run results, and the protocols
that sources, targets, checkpoint stores, leases and run recorders implement."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Record = dict[str, Any]
Position = dict[str, Any]


@dataclass(frozen=True)
class Page:
    """One unit read from a source. `position` resumes the read *after* this page (None: the end)."""

    records: list[Record]
    position: Position | None
    total: int | None = None  # the source's announced total, when it tells


@dataclass(frozen=True)
class ExtractRequest:
    """What a run asks of a source: where to resume and the incremental lower bound."""

    position: Position | None = None
    lower_bound: Any = None  # cursor value (already lag-adjusted), as the source should receive it
    lower_tie: Any = None  # tie-breaker of the committed cursor (keyset sources use it)


@runtime_checkable
class Source(Protocol):
    """Streams pages. Implementations must keep memory bounded by one page."""

    name: str

    def pages(self, request: ExtractRequest) -> AsyncIterator[Page]: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Counts:
    extracted: int = 0
    transformed: int = 0
    loaded: int = 0
    rejected: int = 0
    skipped: int = 0
    load_rejected: int = 0  # of `rejected`: rows the target refused (kept in its reject table)

    def plus(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)))

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Checkpoint:
    """Durable job state. Committed with (or after) every loaded chunk, never ahead of it.

    `cursor` is the committed high-water mark `[value, tie]` of the last *completed* run. While a run is in
    progress, `run_id` is set and `position`, `lower`, `pending` and `counts` describe it, so a crashed run
    resumes from the last committed chunk.
    """

    job: str
    cursor: list[Any] | None = None
    run_id: str | None = None
    position: Position | None = None
    lower: list[Any] | None = None
    pending: list[Any] | None = None
    counts: Counts = field(default_factory=Counts)
    chunks: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["counts"] = self.counts.as_dict()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        values = dict(data)
        values["counts"] = Counts(**values.get("counts", {}))
        return cls(**values)


@dataclass(frozen=True)
class Rejected:
    record: Record
    reason: str
    step: str | None
    chunk: int


@dataclass(frozen=True)
class DriftEvent:
    table: str
    column: str
    sql_type: str
    action: str  # "added" | "ignored" | "failed"


@dataclass(frozen=True)
class LoadAck:
    """What the target confirms for one chunk: rows durably written (and the checkpoint committed).

    A target that isolates bad rows returns them in `rejected` and the checkpoint it actually committed
    (counts moved from loaded to rejected) in `checkpoint`."""

    rows: int
    drift: tuple[DriftEvent, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    checkpoint: Checkpoint | None = None


@dataclass(frozen=True)
class RunResult:
    job: str
    run_id: str
    status: str  # "succeeded" | "failed"
    counts: Counts
    started_at: str
    finished_at: str
    duration_s: float
    chunks: int
    resumed: bool
    cursor: list[Any] | None
    drift: tuple[DriftEvent, ...] = ()
    error: str | None = None
    forced: bool = False

    @property
    def rows_per_second(self) -> float:
        return self.counts.loaded / self.duration_s if self.duration_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["counts"] = self.counts.as_dict()
        return data


class Target(Protocol):
    """Writes chunks. `write` returns only when the rows AND the checkpoint are durable, the checkpoint
    never ahead of the rows (database targets: one transaction; others: after the target acknowledges)."""

    name: str

    async def open(self, job: str) -> Checkpoint | None: ...

    async def write(self, rows: list[Record], checkpoint: Checkpoint) -> LoadAck: ...

    async def finish(self, checkpoint: Checkpoint) -> None: ...

    async def aclose(self) -> None: ...


class CheckpointStore(Protocol):
    """Where non-database targets keep the checkpoint (the state store, a file, memory)."""

    async def load(self, job: str) -> Checkpoint | None: ...

    async def save(self, checkpoint: Checkpoint) -> None: ...


class Lease(Protocol):
    """Exclusive right to run one job. `acquire` is non-blocking; `renew` returns False once lost."""

    async def acquire(self, key: str, ttl_s: float) -> bool: ...

    async def renew(self, key: str, ttl_s: float) -> bool: ...

    async def release(self, key: str) -> None: ...


class FireGuard(Protocol):
    """A scheduled fire time, checked and recorded while the run holds the job's lease: `due()` right after
    the lease is acquired (False: another worker already handled it), `done()` before the lease is released
    (whether the run succeeded or failed: either consumes the fire time)."""

    async def due(self) -> bool: ...

    async def done(self) -> None: ...


class RunRecorder(Protocol):
    """Run history. `start` when a run begins (after the peak guard and the lease), `finish` with its result.

    `lease` is the lease the run holds (None: the job runs without one), for `lease_ttl_s` seconds per renewal.
    Holding it, no other run of the job can be alive, so a recorder may close the rows of runs whose worker died
    (`StateRunRecorder` does). `renewed` after each successful renewal of that lease, whatever its backend (the
    worker's last sign of life); the job logs an error of `renewed` and keeps its lease."""

    async def start(self, job: str, lease: Lease | None = None, lease_ttl_s: float | None = None) -> Any: ...

    async def renewed(self, handle: Any, ttl_s: float) -> None: ...

    async def finish(self, handle: Any, result: RunResult) -> None: ...


MaybeAwaitable = Awaitable[None] | None
ProgressHook = Callable[[int, int | None], Any]
DeadLetterHook = Callable[[list[Rejected]], Any]
DriftHook = Callable[[DriftEvent], Any]
