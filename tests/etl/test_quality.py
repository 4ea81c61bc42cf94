"""Schema drift (evolve | ignore | fail), rejected records to the dead-letter hook, reconciliation failures,
and run records — against real PostgreSQL and the real REST service."""

from __future__ import annotations

from typing import Any

import etl_testkit as kit
import pytest

from weave.errors import TransformError
from weave.etl import (
    BatchJob,
    CursorSpec,
    DriftEvent,
    MemoryRunRecorder,
    PostgresTarget,
    ReconciliationError,
    Rejected,
    SchemaDriftError,
)


def job(url: str, dsn: str, drift: str, **kwargs: Any) -> BatchJob:
    target = PostgresTarget(dsn, "customers", primary_key=("id",), mode="merge", schema_drift=drift)
    return BatchJob("drift", kit.rest_source(url), target, cursor=CursorSpec("updated_at", "id"), chunk_size=100, **kwargs)


def add_tier(store: kit.ListStore) -> None:
    for i in range(300, 310):
        store.upsert(kit.customer(i, seconds=1000 + i, tier="gold", score=i * 1.5))


async def test_drift_evolve_adds_the_column_and_reports_it(source_url: str, store: kit.ListStore, pg_dsn: str) -> None:
    await job(source_url, pg_dsn, "evolve").run()
    add_tier(store)
    seen: list[DriftEvent] = []
    result = await job(source_url, pg_dsn, "evolve", on_drift=seen.append).run()
    assert {(e.column, e.sql_type, e.action) for e in seen} == {("tier", "text", "added"), ("score", "double precision", "added")}
    assert set(result.drift) == set(seen)
    assert kit.pg_rows(pg_dsn, "SELECT count(*) FROM customers WHERE tier = 'gold' AND score > 0") == [(10,)]
    assert kit.pg_rows(pg_dsn, "SELECT count(*) FROM customers WHERE tier IS NULL") == [(250,)]


async def test_drift_ignore_loads_rows_without_the_new_column(source_url: str, store: kit.ListStore, pg_dsn: str) -> None:
    await job(source_url, pg_dsn, "ignore").run()
    add_tier(store)
    seen: list[DriftEvent] = []
    result = await job(source_url, pg_dsn, "ignore", on_drift=seen.append).run()
    assert (result.counts.extracted, result.counts.skipped, result.counts.loaded) == (11, 1, 10)  # 250 again: skipped
    assert {(e.column, e.action) for e in seen} == {("tier", "ignored"), ("score", "ignored")}
    columns = kit.pg_rows(pg_dsn, "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'")
    assert ("tier",) not in columns
    assert kit.pg_rows(pg_dsn, "SELECT count(*) FROM customers") == [(260,)]


async def test_drift_fail_stops_before_loading_and_keeps_the_cursor(source_url: str, store: kit.ListStore, pg_dsn: str) -> None:
    first = await job(source_url, pg_dsn, "fail").run()
    add_tier(store)
    recorder = MemoryRunRecorder()
    with pytest.raises(SchemaDriftError, match="tier"):
        await job(source_url, pg_dsn, "fail", recorder=recorder).run()
    assert recorder.runs[0].status == "failed" and "SchemaDriftError" in (recorder.runs[0].error or "")
    assert kit.pg_rows(pg_dsn, "SELECT count(*) FROM customers") == [(250,)]
    assert kit.pg_rows(pg_dsn, "SELECT state->'cursor' FROM _weave_cursors") == [(first.cursor,)]


async def test_rejected_records_go_to_the_dead_letter_hook_with_reasons(source_url: str, pg_dsn: str) -> None:
    def transform(record: dict[str, Any]) -> Any:
        if record["id"] % 10 == 0:
            raise TransformError("email domain not allowed", step="check-email", record_key=record["id"])
        if record["id"] % 25 == 1:
            return None  # filtered out: counted as skipped
        if record["id"] == 7:
            return [record, {**record, "id": 10_007}]  # one record fans out into two rows
        return {**record, "name": record["name"].upper()}

    dead: list[Rejected] = []
    recorder = MemoryRunRecorder()
    result = await BatchJob(
        "rejects", kit.rest_source(source_url), PostgresTarget(pg_dsn, "customers", primary_key=("id",)),
        transform=transform, chunk_size=100, on_reject=dead.extend, recorder=recorder,
    ).run()
    assert len(dead) == 25
    assert {d.reason for d in dead} == {"email domain not allowed"}
    assert {d.step for d in dead} == {"check-email"}
    assert sorted(d.record["id"] for d in dead) == list(range(10, 251, 10))
    assert result.counts.as_dict() == {"extracted": 250, "transformed": 216, "loaded": 216, "rejected": 25, "skipped": 10, "load_rejected": 0}
    assert recorder.runs == [result]
    assert kit.pg_rows(pg_dsn, "SELECT count(*) FROM customers") == [(216,)]
    assert kit.pg_rows(pg_dsn, "SELECT name FROM customers WHERE id = 2") == [("CUSTOMER 2",)]


async def test_a_count_mismatch_with_the_source_fails_loudly(store: kit.ListStore, pg_dsn: str) -> None:
    recorder = MemoryRunRecorder()
    with kit.serve_in_thread(kit.make_app(store, total_override=260)) as url:  # the source announces 260, sends 250
        with pytest.raises(ReconciliationError, match="extracted 250 records but the source announced 260"):
            await BatchJob("recon", kit.rest_source(url), PostgresTarget(pg_dsn, "customers", primary_key=("id",)),
                           chunk_size=100, recorder=recorder).run()
    assert recorder.runs[0].status == "failed"
    assert recorder.runs[0].counts.extracted == 250
    # the failure is sticky: the next run does not quietly accept it
    with kit.serve_in_thread(kit.make_app(store)) as url, pytest.raises(ReconciliationError):
        await BatchJob("recon", kit.rest_source(url), PostgresTarget(pg_dsn, "customers", primary_key=("id",)),
                       chunk_size=100).run()
    with kit.serve_in_thread(kit.make_app(store)) as url:
        fixed = await BatchJob("recon", kit.rest_source(url), PostgresTarget(pg_dsn, "customers", primary_key=("id",)),
                               chunk_size=100).run(full_refresh=True)
    assert fixed.counts.loaded == 250 and fixed.status == "succeeded"


async def test_rows_the_database_refuses_are_isolated_and_dead_lettered(source_url: str, store: Any, pg_dsn: str) -> None:
    import psycopg

    with psycopg.connect(pg_dsn) as conn:
        conn.execute("CREATE TABLE customers (id bigint PRIMARY KEY, name text, email text NOT NULL, "
                     "country char(2), updated_at timestamptz)")
    store.upsert(kit.customer(13, email=None))  # NOT NULL violation
    store.upsert(kit.customer(77, country="DEU"))  # too long for char(2)
    store.upsert(kit.customer(140, updated_at="not a time"))  # not a timestamp
    dead: list[Rejected] = []
    result = await BatchJob("refused", kit.rest_source(source_url), PostgresTarget(pg_dsn, "customers", primary_key=("id",)),
                            chunk_size=100, on_reject=dead.extend).run()
    assert sorted(d.record["id"] for d in dead) == [13, 77, 140]
    assert all(d.step == "load" and d.reason.startswith("target refused the row") for d in dead)
    assert result.counts.loaded == 247 and result.counts.rejected == 3 and result.counts.load_rejected == 3
    assert kit.pg_rows(pg_dsn, "SELECT count(*) FROM customers") == [(247,)]
    kept = kit.pg_rows(pg_dsn, "SELECT (record->>'id')::int, reason FROM _weave_rejects ORDER BY 1")
    assert [k[0] for k in kept] == [13, 77, 140] and "null value" in kept[0][1]
