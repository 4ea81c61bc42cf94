"""Scheduled runs: first sight, catch-up of missed fire times, a busy lease, the serve loop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import etl_testkit as kit

from weave.etl import (
    BatchJob,
    BatchScheduler,
    CursorSpec,
    MemoryFireLog,
    MemoryLease,
    Schedule,
    SqliteTarget,
    Tick,
    tick,
)

T0 = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)


def job(url: str, db: str, lease: MemoryLease | None = None) -> BatchJob:
    return BatchJob("hourly", kit.rest_source(url), SqliteTarget(db, "customers", primary_key=("id",)),
                    cursor=CursorSpec("updated_at", "id"), chunk_size=100, lease=lease)


async def test_first_sight_then_catch_up_within_the_cap(source_url: str, tmp_path: Path) -> None:
    log = MemoryFireLog()
    schedule = Schedule(cron="0 * * * *", timezone="UTC", missed="catch-up", max_catch_up=2)
    db = str(tmp_path / "t.db")
    first = await tick(job(source_url, db), schedule, log, T0)
    assert first.ran == () and log.fires["hourly"] == T0
    later = await tick(job(source_url, db), schedule, log, T0 + timedelta(hours=3, minutes=5))
    assert [r.counts.loaded for r in later.ran] == [250, 0]  # the second catch-up run finds nothing new
    assert later.skipped == (datetime(2026, 11, 27, 1, 0, tzinfo=UTC),)
    assert log.fires["hourly"] == datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert later.next_start == datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


async def test_a_busy_lease_leaves_the_fire_time_to_its_holder(source_url: str, tmp_path: Path) -> None:
    table: dict[str, tuple[str, float]] = {}
    assert await MemoryLease(table, token="other-worker").acquire("hourly", 60)
    log = MemoryFireLog()
    log.fires["hourly"] = T0
    schedule = Schedule(cron="0 * * * *", timezone="UTC")
    result = await tick(job(source_url, str(tmp_path / "t.db"), MemoryLease(table)), schedule, log,
                        T0 + timedelta(minutes=31))
    assert result.busy and result.ran == ()
    assert log.fires["hourly"] == T0


async def test_the_serve_loop_runs_due_jobs_and_stops(source_url: str, tmp_path: Path) -> None:
    log = MemoryFireLog()
    log.fires["hourly"] = T0
    ticks: list[Tick] = []
    scheduler = BatchScheduler(
        [(job(source_url, str(tmp_path / "t.db")), Schedule(cron="0 * * * *", timezone="UTC"))], log,
        clock=lambda: T0 + timedelta(minutes=31),
    )

    def seen(t: Tick) -> None:
        ticks.append(t)
        scheduler.stop()

    scheduler.on_tick = seen
    await scheduler.serve()
    assert len(ticks) == 1 and ticks[0].ran[0].counts.loaded == 250


class SlowFireLog(MemoryFireLog):
    """A fire log whose first write of a new fire time waits until `go` is set (a slow shared store)."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = asyncio.Event()
        self.go = asyncio.Event()

    async def set_last_fire(self, job: str, fire: datetime) -> None:
        if fire > T0 and not self.writing.is_set():
            self.writing.set()
            await self.go.wait()
        await super().set_last_fire(job, fire)


async def test_a_fire_time_runs_once_when_another_worker_ticks_as_the_first_finishes(source_url: str,
                                                                                     tmp_path: Path) -> None:
    """The fire time is recorded before the lease is released: a second worker ticking in between finds the
    lease held, and after it the fire time done; it never runs the fire time again."""
    table: dict[str, tuple[str, float]] = {}
    log = SlowFireLog()
    log.fires["hourly"] = T0
    schedule = Schedule(cron="0 * * * *", timezone="UTC")
    db = str(tmp_path / "t.db")
    now = T0 + timedelta(minutes=31)
    first = asyncio.create_task(tick(job(source_url, db, MemoryLease(table, token="worker-a")), schedule, log, now))
    await asyncio.wait_for(log.writing.wait(), 30)  # worker A has run the 01:00 fire time and is recording it
    second = await asyncio.wait_for(tick(job(source_url, db, MemoryLease(table, token="worker-b")), schedule, log,
                                         now), 30)
    assert second.busy and second.ran == ()  # A still holds the lease while it records the fire time
    log.go.set()
    done = await first
    assert [r.counts.loaded for r in done.ran] == [250] and not done.busy
    assert log.fires["hourly"] == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    again = await tick(job(source_url, db, MemoryLease(table, token="worker-b")), schedule, log, now)
    assert again.ran == () and not again.busy and again.failed == ()


async def test_a_worker_that_takes_the_lease_after_the_fire_was_recorded_does_not_run_it() -> None:
    """The guard alone: under the lease, a fire time some other worker recorded meanwhile is not due."""
    from weave.etl._scheduler import _Fire

    log = MemoryFireLog()
    log.fires["hourly"] = T0
    fire = _Fire(log, "hourly", T0 + timedelta(hours=1), seen=T0)
    assert await fire.due()
    log.fires["hourly"] = T0 + timedelta(hours=1)  # another worker ran and recorded it
    assert not await fire.due()
