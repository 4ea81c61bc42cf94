"""Running batch jobs on their schedules: one `tick` per job decides (with `plan_runs`) what is due, runs it
under the job's lease, and records the last handled fire time in a `FireLog` shared by all workers.

`serve(entries, log, stop)` loops over ticks and sleeps until the earliest next allowed start (or `stop`).
Two workers waking for the same fire time: the lease lets one run; the other gets `LeaseLostError`, leaves the
fire time to the holder and waits for the next one. The fire time is checked after the lease is taken and
recorded before it is released (`BatchJob.run(fire=...)`), so a worker that takes the lease just after the
holder released it sees the fire time done instead of running it again. A run that fails still consumes its fire time (the next
run resumes it from its checkpoint), so a failing job does not loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from weave.etl._errors import LeaseLostError
from weave.etl._runner import BatchJob
from weave.etl._schedule import Schedule, plan_runs
from weave.etl._types import RunResult


class FireLog(Protocol):
    async def last_fire(self, job: str) -> datetime | None: ...

    async def set_last_fire(self, job: str, fire: datetime) -> None: ...


class MemoryFireLog:
    def __init__(self) -> None:
        self.fires: dict[str, datetime] = {}

    async def last_fire(self, job: str) -> datetime | None:
        return self.fires.get(job)

    async def set_last_fire(self, job: str, fire: datetime) -> None:
        self.fires[job] = fire


class StateFireLog:
    """Last fire times in the state store's cursor table (`etl-fire:<job>`), shared by every worker."""

    def __init__(self, store: Any) -> None:
        self._store = store

    async def last_fire(self, job: str) -> datetime | None:
        value = await self._store.get_cursor("etl-fire:" + job)
        return datetime.fromisoformat(value["fire"]) if value else None

    async def set_last_fire(self, job: str, fire: datetime) -> None:
        await self._store.set_cursor("etl-fire:" + job, {"fire": fire.isoformat()})


@dataclass(frozen=True)
class Tick:
    job: str
    ran: tuple[RunResult, ...]
    failed: tuple[str, ...]  # errors of runs that failed (their fire time is consumed)
    skipped: tuple[datetime, ...]
    busy: bool  # another worker holds the lease
    next_start: datetime


@dataclass
class _Fire:
    """One due fire time, checked and recorded under the job's lease (`BatchJob.run(fire=...)`): it is still
    due while the log shows what this tick saw; once recorded, a worker that takes the lease next sees it done."""

    log: FireLog
    job: str
    fire: datetime
    seen: datetime | None
    recorded: bool = False

    async def due(self) -> bool:
        return await self.log.last_fire(self.job) == self.seen

    async def done(self) -> None:
        await self.log.set_last_fire(self.job, self.fire)
        self.recorded = True


async def tick(job: BatchJob, schedule: Schedule, log: FireLog, now: datetime) -> Tick:
    last = await log.last_fire(job.name)
    if last is None:  # first sight: count from now, run nothing yet
        await log.set_last_fire(job.name, now)
    plan = plan_runs(schedule, last, now)
    ran: list[RunResult] = []
    failed: list[str] = []
    if plan.skipped and (not plan.due or plan.skipped[-1] > plan.due[-1]):
        await log.set_last_fire(job.name, plan.skipped[-1])
    seen = await log.last_fire(job.name) if plan.due else None
    for fire in plan.due:
        guard = _Fire(log, job.name, fire, seen)
        try:
            ran.append(await job.run(fire=guard))
        except LeaseLostError:
            return Tick(job.name, tuple(ran), tuple(failed), plan.skipped, True, plan.next_start)
        except Exception as exc:  # recorded by the job's recorder; the fire time is used up
            failed.append(job.redact_error(f"{type(exc).__name__}: {exc}"))  # logged by the flow: no secret
        if not guard.recorded:  # the run never started (outside its operating window): the fire time is used up
            await log.set_last_fire(job.name, fire)
        seen = fire
    return Tick(job.name, tuple(ran), tuple(failed), plan.skipped, False, plan.next_start)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class BatchScheduler:
    entries: Sequence[tuple[BatchJob, Schedule]]
    log: FireLog
    clock: Callable[[], datetime] = _utcnow
    on_tick: Callable[[Tick], Any] | None = None
    max_sleep_s: float = 60.0  # wake up at least this often (new deployments, clock jumps)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def stop(self) -> None:
        self._stop.set()

    async def serve(self) -> None:
        while not self._stop.is_set():
            wake: datetime | None = None
            for job, schedule in self.entries:
                result = await tick(job, schedule, self.log, self.clock())
                if self.on_tick is not None:
                    self.on_tick(result)
                wake = result.next_start if wake is None else min(wake, result.next_start)
            delay = self.max_sleep_s if wake is None else (wake - self.clock()).total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=max(0.0, min(delay, self.max_sleep_s)))
