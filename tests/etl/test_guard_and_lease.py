"""The peak-window guard and lease exclusivity (real Redis: SET NX PX + Lua renew/release)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import etl_testkit as kit
import pytest

from weave.etl import (
    BatchJob,
    LeaseLostError,
    MemoryLease,
    OperatingWindows,
    PeakHoursError,
    PostgresTarget,
    RedisLease,
)

WINDOWS = OperatingWindows.from_systems({
    "crm": [{"start": "08:00", "end": "18:00", "timezone": "Europe/Berlin", "days": ["mon", "tue", "wed", "thu", "fri"]}],
    "erp": [{"start": "22:00", "end": "02:00", "timezone": "UTC"}],
})


def at(*args: int) -> Any:
    return lambda: datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def job(url: str, dsn: str, **kwargs: Any) -> BatchJob:
    return BatchJob("guarded", kit.rest_source(url), PostgresTarget(dsn, "customers", primary_key=("id",)),
                    chunk_size=100, windows=WINDOWS, **kwargs)


@pytest.mark.parametrize(
    ("now", "system"),
    [((2026, 11, 27, 9, 0), "crm"), ((2026, 11, 27, 23, 30), "erp"), ((2026, 11, 28, 1, 0), "erp")],
)
async def test_a_run_never_starts_inside_either_sides_peak_window(
    source_url: str, pg_dsn: str, now: tuple[int, ...], system: str
) -> None:
    with pytest.raises(PeakHoursError, match=f"peak window of {system}") as info:
        await job(source_url, pg_dsn, clock=at(*now)).run()
    assert WINDOWS.blocking(info.value.until) is None
    # nothing was touched
    assert kit.pg_rows(pg_dsn, "SELECT to_regclass('_weave_cursors') IS NULL") == [(True,)]


async def test_forced_runs_and_runs_outside_the_windows_go_ahead(source_url: str, pg_dsn: str) -> None:
    forced = await job(source_url, pg_dsn, clock=at(2026, 11, 27, 9, 0)).run(force=True)
    assert forced.forced and forced.counts.loaded == 250
    night = await job(source_url, pg_dsn, clock=at(2026, 11, 27, 3, 0)).run()  # 04:00 Berlin, after ERP's window
    assert not night.forced and night.status == "succeeded"


async def test_redis_lease_is_exclusive_and_only_its_holder_renews_or_releases(redis_url: str) -> None:
    a, b = RedisLease.from_url(redis_url), RedisLease.from_url(redis_url)
    try:
        assert await a.acquire("job", 5)
        assert not await b.acquire("job", 5)
        assert not await b.renew("job", 5)
        await b.release("job")  # not the holder: a no-op
        assert await a.holder("job") == a.token
        assert await a.renew("job", 5)
        await a.release("job")
        assert await b.acquire("job", 0.05)
        # b's lease expires; a takes over, and b can neither renew nor release a's lease
        while await a.holder("job") is not None:
            await asyncio.sleep(0.01)
        assert await a.acquire("job", 5)
        assert not await b.renew("job", 5)
        await b.release("job")
        assert await a.holder("job") == a.token
    finally:
        await a.aclose()
        await b.aclose()


async def test_only_one_of_two_workers_runs_the_job(source_url: str, pg_dsn: str, redis_url: str) -> None:
    first_chunk = asyncio.Event()
    proceed = asyncio.Event()

    async def hold(rows: int, total: int | None) -> None:
        first_chunk.set()
        await proceed.wait()

    leases = [RedisLease.from_url(redis_url), RedisLease.from_url(redis_url)]
    worker_a = job(source_url, pg_dsn, lease=leases[0], on_chunk=hold, clock=at(2026, 11, 27, 3, 0))
    worker_b = job(source_url, pg_dsn, lease=leases[1], clock=at(2026, 11, 27, 3, 0))
    run_a = asyncio.create_task(worker_a.run())
    await first_chunk.wait()
    with pytest.raises(LeaseLostError, match="running on another worker"):
        await worker_b.run()
    proceed.set()
    result = await run_a
    assert result.counts.loaded == 250
    # released at the end: the other worker may run now
    assert (await worker_b.run()).status == "succeeded"
    for lease in leases:
        await lease.aclose()


class _LosingLease(MemoryLease):
    """Grants the lease; once armed, reports it lost on the next renewal (another worker took over)."""

    armed = False
    renewals = 0

    async def renew(self, key: str, ttl_s: float) -> bool:
        if not self.armed:
            return True
        self.renewals += 1
        return False


async def test_a_worker_that_loses_its_lease_stops_before_the_next_chunk(source_url: str, pg_dsn: str) -> None:
    lease = _LosingLease()

    async def wait_for_renewal(rows: int, total: int | None) -> None:
        lease.armed = True
        while lease.renewals == 0:
            await asyncio.sleep(0.005)

    with pytest.raises(LeaseLostError, match="lost its lease"):
        await job(source_url, pg_dsn, lease=lease, lease_ttl_s=0.03, on_chunk=wait_for_renewal,
                  clock=at(2026, 11, 27, 3, 0)).run()
    loaded = kit.pg_rows(pg_dsn, "SELECT count(*) FROM customers")[0][0]
    assert 0 < loaded < 250
    assert kit.pg_rows(pg_dsn, "SELECT (state->'counts'->>'loaded')::int FROM _weave_cursors") == [(loaded,)]
