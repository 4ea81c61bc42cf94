"""Incremental runs over changing data: REST source (real uvicorn) → PostgreSQL merge, cursor in the same
transaction as each chunk."""

from __future__ import annotations

from datetime import timedelta

import etl_testkit as kit
import pytest

from weave.etl import BatchConfigError, BatchJob, CursorSpec, MemoryRunRecorder, PostgresTarget


def job(url: str, dsn: str, cursor: CursorSpec, recorder: MemoryRunRecorder | None = None, mode: str = "merge") -> BatchJob:
    return BatchJob(
        "crm-customers", kit.rest_source(url), PostgresTarget(dsn, "customers", primary_key=("id",), mode=mode),
        cursor=cursor, chunk_size=100, recorder=recorder,
    )


async def test_incremental_runs_load_only_changes_with_a_tie_breaker(source_url: str, store: kit.ListStore, pg_dsn: str) -> None:
    cursor = CursorSpec(field="updated_at", tie_breaker="id")
    recorder = MemoryRunRecorder()
    first = await job(source_url, pg_dsn, cursor, recorder).run()
    assert first.status == "succeeded"
    assert first.counts.as_dict() == {"extracted": 250, "transformed": 250, "loaded": 250, "rejected": 0, "skipped": 0, "load_rejected": 0}
    assert first.cursor == [kit.iso(kit.BASE + timedelta(seconds=250)), 250]
    assert kit.pg_rows(pg_dsn, "SELECT count(*), count(DISTINCT id) FROM customers") == [(250, 250)]
    assert kit.pg_rows(pg_dsn, "SELECT state->'cursor' FROM _weave_cursors WHERE job = 'crm-customers'") == [
        ([kit.iso(kit.BASE + timedelta(seconds=250)), 250],)
    ]

    # two updates and two new customers, all at the same instant
    for i in (10, 20, 251, 252):
        store.upsert(kit.customer(i, seconds=1000, name=f"Changed {i}"))
    second = await job(source_url, pg_dsn, cursor, recorder).run()
    # the source returns updated_at >= the cursor: record 250 again (skipped by the tie-breaker) and the 4 changes
    assert (second.counts.extracted, second.counts.skipped, second.counts.loaded) == (5, 1, 4)
    assert kit.pg_rows(pg_dsn, "SELECT count(*) FROM customers") == [(252,)]
    assert kit.pg_rows(pg_dsn, "SELECT name FROM customers WHERE id IN (10, 20) ORDER BY id") == [
        ("Changed 10",), ("Changed 20",)
    ]

    # a record with the SAME timestamp as the cursor but a higher id is not lost (nor are the others doubled)
    store.upsert(kit.customer(253, seconds=1000))
    third = await job(source_url, pg_dsn, cursor, recorder).run()
    assert (third.counts.extracted, third.counts.skipped, third.counts.loaded) == (5, 4, 1)
    assert kit.pg_rows(pg_dsn, "SELECT count(*) FROM customers") == [(253,)]

    nothing = await job(source_url, pg_dsn, cursor, recorder).run()
    assert (nothing.counts.loaded, nothing.counts.skipped) == (0, 5)
    assert [r.counts.loaded for r in recorder.runs] == [250, 4, 1, 0]
    assert all(r.duration_s > 0 and r.status == "succeeded" for r in recorder.runs)


async def test_lag_window_reloads_late_arrivals_idempotently(source_url: str, store: kit.ListStore, pg_dsn: str) -> None:
    cursor = CursorSpec(field="updated_at", tie_breaker="id", lag_s=30)
    await job(source_url, pg_dsn, cursor).run()
    # a late arrival: committed after the run, but stamped before the cursor (inside the lag window)
    store.upsert(kit.customer(900, seconds=240))
    second = await job(source_url, pg_dsn, cursor).run()
    # lower bound = 250 - 30 s: records 220..250 plus the late one, merged again without duplicates
    assert second.counts.extracted == 32 and second.counts.loaded == 32
    assert kit.pg_rows(pg_dsn, "SELECT count(*), count(DISTINCT id) FROM customers") == [(251, 251)]


async def test_initial_value_and_since_and_full_refresh(source_url: str, pg_dsn: str) -> None:
    cursor = CursorSpec(field="updated_at", tie_breaker="id", initial=kit.iso(kit.BASE + timedelta(seconds=200)))
    first = await job(source_url, pg_dsn, cursor).run()
    assert first.counts.loaded == 51  # 200..250
    since = await job(source_url, pg_dsn, cursor).run(since=kit.iso(kit.BASE + timedelta(seconds=100)))
    assert since.counts.loaded == 151
    full = await job(source_url, pg_dsn, cursor).run(full_refresh=True)
    assert full.counts.loaded == 51  # full refresh restarts from the initial value
    assert kit.pg_rows(pg_dsn, "SELECT count(*) FROM customers") == [(151,)]


def test_lag_with_insert_mode_is_refused(source_url: str, pg_dsn: str) -> None:
    with pytest.raises(BatchConfigError, match="duplicates"):
        job(source_url, pg_dsn, CursorSpec(field="updated_at", lag_s=60), mode="insert")


async def test_one_job_object_runs_again_and_again(source_url: str, store: kit.ListStore, pg_dsn: str) -> None:
    reused = job(source_url, pg_dsn, CursorSpec(field="updated_at", tie_breaker="id"))
    assert (await reused.run()).counts.loaded == 250
    store.upsert(kit.customer(5, seconds=5000, name="again"))
    assert (await reused.run()).counts.loaded == 1  # a fresh connection, a fresh staging table
    assert kit.pg_rows(pg_dsn, "SELECT name FROM customers WHERE id = 5") == [("again",)]
