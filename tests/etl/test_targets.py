"""Load targets beyond the PostgreSQL merge: bulk HTTP with idempotency keys, atomic files with resume,
replace mode (PostgreSQL and SQLite), SQLite merge."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import etl_testkit as kit
import httpx
import orjson
import pytest

from weave.errors import TransientError
from weave.etl import (
    BatchJob,
    CursorSpec,
    DriftEvent,
    FileTarget,
    HttpBulkTarget,
    JsonFileCheckpointStore,
    MemoryCheckpointStore,
    PostgresTarget,
    SchemaDriftError,
    SqliteTarget,
)


async def test_bulk_http_batches_with_idempotency_keys(source_url: str, sink: kit.BulkSink, tmp_path: Path) -> None:
    store = JsonFileCheckpointStore(tmp_path / "state")
    target = HttpBulkTarget(httpx.AsyncClient(base_url=source_url), "/bulk", store, batch_size=30, count_field="accepted")
    job = BatchJob("to-bulk", kit.rest_source(source_url), target, cursor=CursorSpec("updated_at", "id"), chunk_size=100)
    result = await job.run()
    assert result.counts.loaded == 250
    assert sorted(r["id"] for r in sink.records) == list(range(1, 251))
    keys = list(sink.batches)
    assert len(keys) == len(set(keys)) == 10  # chunks of 100/100/50 records in batches of 30: 4 + 4 + 2
    assert all(k.startswith(f"to-bulk:{result.run_id}:") for k in keys)
    saved = await store.load("to-bulk")
    assert saved is not None and saved.cursor == result.cursor and saved.run_id is None
    again = await BatchJob("to-bulk", kit.rest_source(source_url), target, cursor=CursorSpec("updated_at", "id")).run()
    assert again.counts.loaded == 0


async def test_file_target_is_atomic_and_resumes_after_a_crash(source_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / "customers.jsonl"
    store = MemoryCheckpointStore()
    seen = {"n": 0}

    def breaks_once(record: dict[str, Any]) -> dict[str, Any]:
        seen["n"] += 1
        if seen["n"] == 170:
            raise TransientError("network blip")
        return record

    def make(transform: Any = None) -> BatchJob:
        return BatchJob("to-file", kit.rest_source(source_url), FileTarget(str(out), store, "jsonl"),
                        transform=transform, chunk_size=80)

    with pytest.raises(TransientError):
        await make(breaks_once).run()
    assert not out.exists()  # readers never see a half-written file
    partial = Path(str(out) + ".weave-partial")
    assert len(partial.read_bytes().splitlines()) == 100  # pages of 50 make chunks of 100; the 2nd broke
    partial.write_bytes(partial.read_bytes() + b'{"id": "half-written')  # torn tail from the crash
    result = await make().run()
    assert result.resumed and result.counts.loaded == 250
    ids = [orjson.loads(line)["id"] for line in out.read_bytes().splitlines()]
    assert ids == list(range(1, 251))
    assert not partial.exists()


async def test_csv_file_target_writes_one_header(source_url: str, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    await BatchJob("csv-out", kit.rest_source(source_url), FileTarget(str(out), MemoryCheckpointStore(), "csv"),
                   chunk_size=100).run()
    lines = out.read_text().splitlines()
    assert lines[0] == "id,name,email,country,updated_at" and len(lines) == 251


async def test_replace_mode_swaps_the_table_atomically(source_url: str, store: kit.ListStore, pg_dsn: str) -> None:
    import psycopg

    with psycopg.connect(pg_dsn) as conn:
        conn.execute("CREATE TABLE customers (id bigint PRIMARY KEY, name text, email text, country text, updated_at text)")
        conn.execute("INSERT INTO customers VALUES (9999, 'stale', 'x', 'DE', 'y')")
    result = await BatchJob("replace", kit.rest_source(source_url),
                            PostgresTarget(pg_dsn, "customers", primary_key=("id",), mode="replace"), chunk_size=100).run()
    assert result.counts.loaded == 250
    assert kit.pg_rows(pg_dsn, "SELECT count(*), max(id) FROM customers") == [(250, 250)]
    assert kit.pg_rows(pg_dsn, "SELECT to_regclass('customers__weave_replace') IS NULL") == [(True,)]
    store.upsert(kit.customer(1, name="renamed"))
    await BatchJob("replace", kit.rest_source(source_url),
                   PostgresTarget(pg_dsn, "customers", primary_key=("id",), mode="replace"), chunk_size=100).run()
    assert kit.pg_rows(pg_dsn, "SELECT count(*) FROM customers WHERE name = 'renamed'") == [(1,)]


async def test_sqlite_merge_and_replace(source_url: str, store: kit.ListStore, tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    await BatchJob("m", kit.rest_source(source_url), SqliteTarget(db, "customers", primary_key=("id",)), chunk_size=100).run()
    store.upsert(kit.customer(3, name="merged"))
    await BatchJob("m", kit.rest_source(source_url), SqliteTarget(db, "customers", primary_key=("id",)), chunk_size=100).run()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), sum(name = 'merged') FROM customers").fetchone() == (250, 1)
        conn.execute("INSERT INTO customers (id, name) VALUES (5000, 'stale')")
    await BatchJob("r", kit.rest_source(source_url), SqliteTarget(db, "customers", primary_key=("id",), mode="replace"),
                   chunk_size=100).run()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), max(id) FROM customers").fetchone() == (250, 250)


async def test_csv_file_target_reports_drift_and_fails_when_told(source_url: str, store: Any, tmp_path: Path) -> None:
    for i in range(200, 210):
        store.upsert(kit.customer(i, tier="gold"))  # a column the header (from the first chunk) does not have
    events: list[DriftEvent] = []
    out = tmp_path / "c.csv"
    result = await BatchJob("csv-drift", kit.rest_source(source_url), FileTarget(str(out), MemoryCheckpointStore(), "csv"),
                            chunk_size=100, on_drift=events.append).run()
    assert result.counts.loaded == 250 and [(e.column, e.action) for e in events] == [("tier", "ignored")]
    assert out.read_text().splitlines()[0] == "id,name,email,country,updated_at"
    strict = FileTarget(str(tmp_path / "d.csv"), MemoryCheckpointStore(), "csv", schema_drift="fail")
    with pytest.raises(SchemaDriftError, match="tier"):
        await BatchJob("csv-strict", kit.rest_source(source_url), strict, chunk_size=100).run()
    assert not (tmp_path / "d.csv").exists()


@pytest.mark.parametrize("policy", ["evolve", "ignore", "fail"])
async def test_sqlite_schema_drift_policies(source_url: str, store: Any, tmp_path: Path, policy: str) -> None:
    db = str(tmp_path / "t.db")

    def make() -> BatchJob:
        return BatchJob("lite-drift", kit.rest_source(source_url), SqliteTarget(db, "customers", ("id",), "merge", policy),
                        cursor=CursorSpec("updated_at", "id"), chunk_size=100)

    await make().run()
    store.upsert(kit.customer(300, seconds=900, tier="gold"))
    if policy == "fail":
        with pytest.raises(SchemaDriftError):
            await make().run()
        expected: tuple[Any, ...] = (250,)
    else:
        result = await make().run()
        assert [(d.column, d.action) for d in result.drift] == [("tier", "added" if policy == "evolve" else "ignored")]
        expected = (251,)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == expected
        columns = [r[1] for r in conn.execute("PRAGMA table_info(customers)")]
    assert ("tier" in columns) == (policy == "evolve")
