"""Run history bookkeeping: worker and revision on every run row, and a run whose worker died is closed.

In-process: the store's stale-run statements on both backends (a live lease protects its run; an expired,
released or taken-over one does not; a worker presumed lost that comes back has the last word), an abandoned
row's end time (its lease's last renewal, else its start), the Redis-lease path (without a TTL: closed by the next
run only; with one: a sign-of-life entry in the store, renewed with the lease), a recorder failing to record a
renewal (the lease is kept), and the migration of an existing state database (schema 2 → 4+, 3 → 4+).
The kill -9 end-to-end tests (with `weave runs`, `weave status` and `weave serve`) are in test_run_history_cli.py.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from weave.etl import (
    Counts,
    RedisLease,
    RunResult,
    StateLease,
    StateRunRecorder,
    default_worker,
    reap_stale_runs,
)
from weave.etl._state import ENDED
from weave.state import open_state

JOB = "customers-load"


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("pg_dsn"))


@pytest.fixture
async def store(state_url: str) -> AsyncIterator[Any]:
    st = await open_state(state_url)
    try:
        yield st
    finally:
        await st.close()


def result(loaded: int, status: str = "succeeded") -> RunResult:
    return RunResult(job=JOB, run_id="r1", status=status, counts=Counts(extracted=loaded, transformed=loaded,
                     loaded=loaded), started_at="", finished_at="", duration_s=0.5, chunks=1, resumed=False,
                     cursor=None, drift=(), error=None, forced=False)


async def expire(store: Any, key: str) -> None:
    while await store.lease_info(key) is not None:  # ttl 0.2 s, nobody renews it
        await asyncio.sleep(0.02)


async def test_rows_record_worker_revision_and_the_lease_they_hold(store: Any) -> None:
    lease = StateLease(store, "host-a:11")
    assert await lease.acquire(JOB, 30)
    run = await StateRunRecorder(store, revision=7, worker="host-a:11").start(JOB, lease)
    row = await store.run_get(run)
    assert (row.status, row.revision, row.worker) == ("running", 7, "host-a:11")
    assert (row.lease_key, row.lease_holder) == (f"etl:{JOB}", lease.holder)
    assert lease.holder.startswith("host-a:11:")
    default = await StateRunRecorder(store).start("other-job")  # no worker given: host:pid
    assert (await store.run_get(default)).worker == default_worker() == f"{socket.gethostname()}:{os.getpid()}"


async def test_a_live_lease_protects_its_run_an_expired_one_does_not(store: Any) -> None:
    live_lease, dead_lease = StateLease(store, "live"), StateLease(store, "dead")
    assert await live_lease.acquire("live-job", 30)
    assert await dead_lease.acquire(JOB, 0.2)
    recorder = StateRunRecorder(store, revision=3)
    live = await recorder.start("live-job", live_lease)
    dead = await recorder.start(JOB, dead_lease)
    unleased = await recorder.start("no-lease-job")  # no lease recorded: nothing to judge it by
    await expire(store, f"etl:{JOB}")
    assert await reap_stale_runs(store) == [dead]
    row = await store.run_get(dead)
    assert row.status == "abandoned" and row.error.startswith("worker lost")
    assert row.finished_at is not None and row.finished_at >= row.started_at and row.counts == {}
    assert (await store.run_get(live)).status == "running"
    assert (await store.run_get(unleased)).status == "running"
    assert await reap_stale_runs(store) == []  # once
    # a released lease (the worker stopped without recording an end) and a taken-over one are stale too
    await live_lease.release("live-job")
    thief = StateLease(store, "thief")
    assert await thief.acquire("live-job", 30)
    assert await reap_stale_runs(store) == [live]


async def test_a_worker_presumed_lost_that_comes_back_has_the_last_word(store: Any) -> None:
    lease = StateLease(store, "slow")
    assert await lease.acquire(JOB, 0.2)
    recorder = StateRunRecorder(store)
    run = await recorder.start(JOB, lease)
    await expire(store, f"etl:{JOB}")
    assert await reap_stale_runs(store) == [run]
    await recorder.finish(run, result(40))
    row = await store.run_get(run)
    assert row.status == "ok" and row.counts["loaded"] == 40 and row.error is None


async def test_the_next_lease_holder_closes_runs_under_a_lease_outside_the_store(store: Any, redis_url: str) -> None:
    first, second = RedisLease.from_url(redis_url), RedisLease.from_url(redis_url)
    try:
        assert await first.acquire(JOB, 0.2)
        dead = await StateRunRecorder(store, revision=1, worker="host-a:1").start(JOB, first)
        assert (await store.run_get(dead)).lease_key is None  # a Redis lease: the store cannot judge it
        assert await reap_stale_runs(store) == []
        while await second.holder(JOB) is not None:  # the dead worker's lease expires unrenewed
            await asyncio.sleep(0.02)
        assert await second.acquire(JOB, 30)
        recorder = StateRunRecorder(store, revision=2, worker="host-b:2")
        run = await recorder.start(JOB, second)
        old = await store.run_get(dead)
        assert old.status == "abandoned" and old.finished_at == old.started_at  # no renewal seen by the store
        assert old.error is not None and old.error.startswith(
            f"worker lost: the run never recorded its end; the job's lease was taken over by host-b:2 (run {run}); "
            "noticed ") and old.error.endswith(", " + ENDED)
        await recorder.finish(run, result(1200))
        new = await store.run_get(run)
        assert new.status == "ok" and new.counts["took_over"] == [dead] and new.counts["loaded"] == 1200
        assert old.counts == {}  # the abandoned row counts nothing: its chunks are in the resuming run's counts
        # without a lease nothing is closed: no exclusivity, another run may be alive
        other = await recorder.start(JOB)
        await recorder.start(JOB)
        assert (await store.run_get(other)).status == "running"
    finally:
        await first.aclose()
        await second.aclose()


async def test_an_existing_state_database_migrates_to_run_leases(state_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import weave.state._migrate as migrate
    from weave.state.migrations import for_dialect

    with monkeypatch.context() as patch:  # a database made by the weave before migration 3
        patch.setattr(migrate, "for_dialect", lambda name: tuple(m for m in for_dialect(name) if m.version < 3))
        old = await open_state(state_url)
        try:
            assert await old.schema_version() == 2
            await old._db.execute("INSERT INTO weave_runs (integration, kind, status, started_at, counts, revision, "
                                  "worker) VALUES ('legacy', 'batch', 'running', 1.0, '{}', 4, 'host-z:9')")
        finally:
            await old.close()
    store = await open_state(state_url)
    try:
        assert await store.schema_version() >= 4  # later migrations too
        (row,) = await store.runs()
        assert (row.integration, row.status, row.revision, row.worker) == ("legacy", "running", 4, "host-z:9")
        assert row.lease_key is None and row.lease_holder is None
        assert await reap_stale_runs(store) == []  # no lease recorded: left to the next run of the job
        lease = StateLease(store, "host-y:8")
        assert await lease.acquire("legacy", 30)
        await StateRunRecorder(store).start("legacy", lease)
        closed = await store.run_get(row.id)
        assert (closed.status, closed.finished_at) == ("abandoned", 1.0)  # no evidence of life after its start
    finally:
        await store.close()


async def test_a_run_leased_before_migration_4_ends_at_its_start(state_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import weave.state._migrate as migrate
    from weave.state.migrations import for_dialect

    with monkeypatch.context() as patch:  # a run under a lease, recorded by the weave before migration 4
        patch.setattr(migrate, "for_dialect", lambda name: tuple(m for m in for_dialect(name) if m.version < 4))
        old = await open_state(state_url)
        try:
            assert await old.schema_version() == 3
            assert await old.acquire_lease(f"etl:{JOB}", "old-worker:1", 0.2)
            run = await old.run_start(JOB, "batch", worker="old-worker", lease_key=f"etl:{JOB}",
                                      lease_holder="old-worker:1")
        finally:
            await old.close()
    store = await open_state(state_url)
    try:
        assert await store.schema_version() >= 4  # later migrations too
        await expire(store, f"etl:{JOB}")
        assert await reap_stale_runs(store) == [run]
        row = await store.run_get(run)
        assert row.status == "abandoned" and row.finished_at == row.started_at
    finally:
        await store.close()


async def lease_row(store: Any, key: str) -> tuple[str, float]:
    """(holder, expires_at) of a lease, expired or not."""
    row = await store._db.fetchone("SELECT holder, expires_at FROM weave_leases WHERE key = %s", (key,))
    return str(row[0]), float(row[1])


async def test_an_abandoned_run_ends_at_its_leases_last_renewal_not_when_noticed(store: Any) -> None:
    lease, other = StateLease(store, "host-a:1"), StateLease(store, "host-b:2")
    assert await lease.acquire(JOB, 0.3) and await other.acquire("other-job", 30)
    recorder = StateRunRecorder(store)
    run = await recorder.start(JOB, lease)
    bystander = await recorder.start("other-job", other)
    started = (await store.run_get(run)).started_at
    renewals = []
    for _ in range(3):  # each renewal is recorded on the run's row (the job calls `renewed` after each one)
        assert await lease.renew(JOB, 0.3)
        await recorder.renewed(run, 0.3)
        holder, expires = await lease_row(store, f"etl:{JOB}")
        renewals.append(expires - 0.3)
    assert holder == lease.holder and started <= renewals[0] <= renewals[-1]
    assert await store.run_lease_renewed(f"etl:{JOB}", "someone-else", 0.3) == 0  # only the holder's rows
    await expire(store, f"etl:{JOB}")
    assert await reap_stale_runs(store) == [run]
    row = await store.run_get(run)
    assert row.status == "abandoned" and row.finished_at == pytest.approx(renewals[-1], abs=1e-6)
    assert row.error.startswith("worker lost: its lease expired") and "; noticed 20" in row.error
    assert row.error.endswith(", " + ENDED)
    assert (await store.run_get(bystander)).status == "running"

    # the next holder closes a run the same way: ended at its last renewal, before the takeover
    second = StateLease(store, "host-c:3")
    assert await second.acquire(JOB, 0.3)
    dead = await recorder.start(JOB, second)
    assert await second.renew(JOB, 0.3)
    await recorder.renewed(dead, 0.3)
    renewed = (await lease_row(store, f"etl:{JOB}"))[1] - 0.3
    await expire(store, f"etl:{JOB}")
    third = StateLease(store, "host-d:4")
    assert await third.acquire(JOB, 30)
    taker = await StateRunRecorder(store, worker="host-d:4").start(JOB, third)
    closed, new = await store.run_get(dead), await store.run_get(taker)
    assert closed.status == "abandoned" and closed.finished_at == pytest.approx(renewed, abs=1e-6)
    assert closed.finished_at < new.started_at


async def test_a_run_under_a_redis_lease_keeps_a_sign_of_life_in_the_store(store: Any, redis_url: str) -> None:
    """With the lease's TTL, a run under a Redis lease records a sign-of-life entry in the store (`etl-alive:<job>`),
    extended by each renewal the job reports: the store closes the run once the entry lapses, ended at the last
    renewal (not its start), and a clean end drops the entry."""
    lease = RedisLease.from_url(redis_url)
    try:
        assert await lease.acquire(JOB, 0.3)
        recorder = StateRunRecorder(store, worker="host-a:1")
        run = await recorder.start(JOB, lease, 0.3)
        row = await store.run_get(run)
        assert row.lease_key == f"etl-alive:{JOB}" and row.lease_holder.startswith("host-a:1:")
        assert await reap_stale_runs(store) == []  # alive: its entry is live
        for _ in range(2):
            await asyncio.sleep(0.1)
            assert await lease.renew(JOB, 0.3)
            await recorder.renewed(run, 0.3)
        holder, expires = await lease_row(store, f"etl-alive:{JOB}")
        assert holder == row.lease_holder and expires - 0.3 > row.started_at + 0.15
        await expire(store, f"etl-alive:{JOB}")  # the worker "dies": nothing renews either lease
        assert await reap_stale_runs(store) == [run]
        closed = await store.run_get(run)
        assert closed.status == "abandoned" and closed.finished_at == pytest.approx(expires - 0.3, abs=1e-6)

        # a live entry left by a worker that lost the lease is dropped by the next holder; a clean end drops its own
        while await lease.holder(JOB) is not None:
            await asyncio.sleep(0.02)
        assert await lease.acquire(JOB, 30)
        assert await store.acquire_lease(f"etl-alive:{JOB}", "ghost:1", 30)
        new = await recorder.start(JOB, lease, 30)
        assert (await store.lease_info(f"etl-alive:{JOB}")).holder == (await store.run_get(new)).lease_holder
        await recorder.finish(new, result(10))
        assert await store.lease_info(f"etl-alive:{JOB}") is None
        assert (await store.run_get(new)).status == "ok"
    finally:
        await lease.release(JOB)
        await lease.aclose()


class _FlakyRecorder(StateRunRecorder):
    """Fails to record every other renewal (the state store unreachable for a moment)."""

    def __init__(self, store: Any) -> None:
        super().__init__(store, worker="host-f:1")
        self.calls = 0

    async def renewed(self, handle: Any, ttl_s: float) -> None:
        self.calls += 1
        if self.calls % 2:
            raise ConnectionError("state store unreachable")
        await super().renewed(handle, ttl_s)


async def test_the_job_records_each_renewal_and_a_failed_record_keeps_the_lease(
        store: Any, redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """`BatchJob` reports every successful renewal to its recorder, whatever the lease backend (Redis here): the
    run's row gets its last renewal; a recorder error is logged and neither fails the renewal nor the run."""
    import sqlite3

    from weave.etl import BatchJob, SqliteSource, SqliteTarget

    src = tmp_path / "src.db"
    with sqlite3.connect(src) as db:
        db.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, name TEXT)")
        db.executemany("INSERT INTO c VALUES (?, ?)", [(i, f"n{i}") for i in range(1, 101)])
    recorder = _FlakyRecorder(store)

    async def slow(rows: int, total: int | None) -> None:
        await asyncio.sleep(0.15)  # ten chunks: ~1.5 s, several renewals at ttl/3 = 0.33 s

    lease = RedisLease.from_url(redis_url)
    try:
        job = BatchJob(JOB, SqliteSource(str(src), "SELECT id, name FROM c ORDER BY id", fetch_size=10),
                       SqliteTarget(str(tmp_path / "dst.db"), "c", ("id",)), chunk_size=10, lease=lease,
                       lease_ttl_s=1.0, recorder=recorder, on_chunk=slow)  # slack for a slow machine
        with caplog.at_level("WARNING", logger="weave.etl"):
            done = await job.run()
    finally:
        await lease.aclose()
    assert done.status == "succeeded" and done.counts.loaded == 100
    assert recorder.calls >= 3
    assert "recording the renewal on its run failed: ConnectionError: state store unreachable" in caplog.text
    (row,) = await store.runs(JOB)
    assert row.status == "ok" and row.lease_key == f"etl-alive:{JOB}"
    assert await store.lease_info(f"etl-alive:{JOB}") is None  # dropped at the end
    alive = await store._db.fetchone("SELECT alive_at FROM weave_runs WHERE id = %s", (row.id,))
    assert alive[0] is not None and row.started_at < float(alive[0]) < row.finished_at


def test_a_built_job_knows_its_systems_secrets_to_redact_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`build_job` hands the job the resolved value of every secret reference of its source and target systems
    (resolved when an error is recorded, never kept, never in the job's repr); the runner replaces them by ***."""
    from weave.etl import build_job

    monkeypatch.setenv("RH_CRM_URL", "http://127.0.0.1:9/crm")
    monkeypatch.setenv("RH_TOKEN", "tok-81d0c3aa")
    systems = {"crm": {"api": {"style": "rest", "base_url": "${env:RH_CRM_URL}",
                               "auth": {"type": "bearer", "token": "${env:RH_TOKEN}"}}},
               "dw": {"api": {"style": "sql", "base_url": f"sqlite:///{tmp_path / 'dw.db'}"}},
               "other": {"api": {"style": "rest", "base_url": "${env:RH_UNRELATED}"}}}
    spec = {"name": JOB, "source": "crm", "target": "dw", "extract": {"http": {"path": "/c", "records": "data"}},
            "deliver": [{"target": "dw", "sql": {"table": "c", "primary_key": ["id"]}}]}
    job = build_job(spec, systems)
    assert job.secret_values is not None and sorted(job.secret_values()) == ["http://127.0.0.1:9/crm", "tok-81d0c3aa"]
    assert "tok-81d0c3aa" not in repr(job)
    assert job.redact_error("HTTPError: GET http://127.0.0.1:9/crm/c with tok-81d0c3aa") == "HTTPError: GET ***/c with ***"
    monkeypatch.delenv("RH_TOKEN")  # unset since: what still resolves is redacted
    assert job.secret_values() == ["http://127.0.0.1:9/crm"]
