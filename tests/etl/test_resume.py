"""kill -9 in the middle of a run, then run again: the target ends with exactly the source's rows.

The target uses load mode `insert` (no merge to hide duplicates), so a chunk loaded twice would show.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import etl_testkit as kit
import httpx
import pytest

from weave.etl import (
    BatchJob,
    CursorSpec,
    HttpBulkTarget,
    JsonFileCheckpointStore,
    LeaseLostError,
    PostgresTarget,
    RedisLease,
    SqliteTarget,
)

ROOT = Path(__file__).parents[2]
CHILD = Path(__file__).with_name("resume_child.py")
N = 1200


@pytest.fixture
def store() -> kit.ListStore:
    return kit.ListStore([kit.customer(i) for i in range(1, N + 1)])


def kill_after_chunks(url: str, kind: str, where: str, chunks: int, *extra: str) -> int:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "engine"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, str(CHILD), url, kind, where, "insert", *extra],
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    seen = 0
    for line in proc.stdout:
        if line.startswith("chunk"):
            seen += 1
            if seen == chunks:
                proc.send_signal(signal.SIGKILL)
                break
        assert not line.startswith("done"), "the child finished before it could be killed"
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return seen


def _check_partial(count: Callable[[], tuple[int, int]], committed: Callable[[], int]) -> int:
    rows, distinct = count()
    assert rows == distinct  # nothing twice, even at the moment of the crash
    assert rows == committed()  # the checkpoint and the rows were committed together
    assert 0 < rows < N
    return rows


async def test_kill_9_resume_postgres_exact_rows(source_url: str, pg_dsn: str) -> None:
    kill_after_chunks(source_url, "pg", pg_dsn, chunks=3)
    partial = _check_partial(
        lambda: kit.pg_rows(pg_dsn, "SELECT count(*), count(DISTINCT id) FROM customers")[0],  # type: ignore[return-value]
        lambda: kit.pg_rows(pg_dsn, "SELECT (state->'counts'->>'loaded')::int FROM _weave_cursors")[0][0],
    )
    job = BatchJob("resume", kit.rest_source(source_url, limit=40),
                   PostgresTarget(pg_dsn, "customers", primary_key=(), mode="insert"),
                   cursor=CursorSpec("updated_at", "id"), chunk_size=100)
    result = await job.run()
    assert result.resumed and result.status == "succeeded"
    assert result.counts.extracted == N and result.counts.loaded == N  # counts span both attempts, exactly
    assert kit.pg_rows(pg_dsn, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM customers") == [(N, N, 1, N)]
    assert partial < N
    # and the next run starts from the committed cursor: nothing new, nothing doubled
    again = await BatchJob("resume", kit.rest_source(source_url, limit=40),
                           PostgresTarget(pg_dsn, "customers", primary_key=(), mode="insert"),
                           cursor=CursorSpec("updated_at", "id"), chunk_size=100).run()
    assert again.counts.loaded == 0 and not again.resumed
    assert kit.pg_rows(pg_dsn, "SELECT count(*) FROM customers") == [(N,)]


async def test_kill_9_resume_sqlite_exact_rows(source_url: str, tmp_path: Path) -> None:
    db = str(tmp_path / "target.db")
    kill_after_chunks(source_url, "sqlite", db, chunks=4)

    def count() -> tuple[int, int]:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*), count(DISTINCT id) FROM customers").fetchone()  # type: ignore[no-any-return]

    def committed() -> int:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT json_extract(state, '$.counts.loaded') FROM _weave_cursors").fetchone()[0])

    _check_partial(count, committed)
    result = await BatchJob("resume", kit.rest_source(source_url, limit=40),
                            SqliteTarget(db, "customers", primary_key=(), mode="insert"),
                            cursor=CursorSpec("updated_at", "id"), chunk_size=100).run()
    assert result.resumed and result.counts.loaded == N
    assert count() == (N, N)


async def test_kill_9_resume_bulk_http_idempotent_resend(source_url: str, sink: Any, tmp_path: Path) -> None:
    state = tmp_path / "state"
    kill_after_chunks(source_url, "http", str(state), chunks=3)
    store = JsonFileCheckpointStore(state)
    crashed = await store.load("resume")
    assert crashed is not None and crashed.run_id is not None  # a run in progress
    sent_before = len(sink.records)
    assert crashed.counts.loaded <= sent_before < N  # acknowledged chunks, maybe part of the next one
    target = HttpBulkTarget(httpx.AsyncClient(base_url=source_url), "/bulk", store, batch_size=30)
    result = await BatchJob("resume", kit.rest_source(source_url, limit=40), target,
                            cursor=CursorSpec("updated_at", "id"), chunk_size=100).run()
    assert result.resumed and result.run_id == crashed.run_id and result.counts.loaded == N
    ids = [r["id"] for r in sink.records]
    assert sorted(ids) == list(range(1, N + 1))  # every record once: re-sent batches carried the same keys
    assert all(key.startswith(f"resume:{crashed.run_id}:") for key in sink.batches)


async def test_a_crashed_workers_lease_expires_and_another_worker_resumes(
    source_url: str, pg_dsn: str, redis_url: str
) -> None:
    kill_after_chunks(source_url, "pg", pg_dsn, 3, redis_url)
    lease = RedisLease.from_url(redis_url)
    try:
        def job() -> BatchJob:
            return BatchJob("resume", kit.rest_source(source_url, limit=40),
                            PostgresTarget(pg_dsn, "customers", primary_key=(), mode="insert"),
                            cursor=CursorSpec("updated_at", "id"), chunk_size=100, lease=lease)

        if await lease.holder("resume") is not None:  # the dead worker's lease is still live: no second runner
            with pytest.raises(LeaseLostError):
                await job().run()
        while await lease.holder("resume") is not None:  # it expires (ttl 1 s) since nobody renews it
            await asyncio.sleep(0.05)
        result = await job().run()
        assert result.resumed and result.counts.loaded == N
        assert kit.pg_rows(pg_dsn, "SELECT count(*), count(DISTINCT id) FROM customers") == [(N, N)]
    finally:
        await lease.aclose()
