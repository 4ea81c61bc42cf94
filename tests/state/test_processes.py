"""Several OS processes on one state store (a SQLite file, or PostgreSQL), and a SIGKILL mid-work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from tests.state._helpers import poll
from weave.state import StateStore, open_state
from weave.state.migrations import for_dialect

WORKER = str(Path(__file__).with_name("_worker.py"))


def spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, WORKER, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def read_json(proc: subprocess.Popen[bytes]) -> Any:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"worker exited early: {proc.wait()} {proc.stderr.read().decode() if proc.stderr else ''}")
    return orjson.loads(line)


@contextmanager
def workers(*argvs: tuple[str, ...]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start the workers, wait until every one is ready, then tell all of them to go at once."""
    procs = [spawn(*argv) for argv in argvs]
    try:
        for proc in procs:
            assert read_json(proc) == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)


async def test_two_processes_never_claim_the_same_item(store: StateStore, state_url: str) -> None:
    ids = await store.enqueue_many("hub", [{"n": n} for n in range(400)])
    with workers(("claim", state_url, "hub", "p1", "3"), ("claim", state_url, "hub", "p2", "3")) as procs:
        results = [read_json(proc) for proc in procs]
        assert [proc.wait(timeout=60) for proc in procs] == [0, 0]
    first, second = results
    assert not set(first) & set(second), "an item was claimed by both processes"
    assert len(first) + len(second) == len(ids)
    assert sorted(first + second) == ids
    assert first and second, "both processes should have taken part"
    assert await store.queue_depth("hub") == 0


async def test_lease_is_exclusive_across_processes(store: StateStore, state_url: str, tmp_path: Path) -> None:
    with workers(
        ("lease", state_url, "job:nightly", "p1", "60", str(tmp_path)),
        ("lease", state_url, "job:nightly", "p2", "60", str(tmp_path)),
    ) as procs:
        results = [read_json(proc) for proc in procs]
        assert [proc.wait(timeout=60) for proc in procs] == [0, 0]
    assert [r["violations"] for r in results] == [0, 0]
    assert sum(r["acquired"] for r in results) > 0
    assert await store.lease_info("job:nightly") is None


async def test_sigkill_after_claim_loses_nothing(store: StateStore, state_url: str) -> None:
    proc = spawn("crash", state_url, "hub")
    try:
        report = read_json(proc)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    enqueued, claimed = report["enqueued"], report["claimed"]
    assert len(claimed) == 2 and await store.queue_depth("hub") == 3
    async with await open_state(state_url) as restarted:  # a new runtime process after the crash
        first = await restarted.claim("hub", "survivor", limit=10, visibility_timeout=60)
        assert [it.id for it in first] == [enqueued[2]]  # the dead worker's claims are still invisible
        assert first[0].payload == b"three"
        back = await poll(lambda: restarted.claim("hub", "survivor", limit=10, visibility_timeout=60), until=bool)
        assert sorted(it.id for it in back) == claimed
        assert all(it.attempts == 2 for it in back)
        assert sorted(it.payload["n"] for it in back) == [1, 2]  # type: ignore[index]
        assert await restarted.ack([*claimed, enqueued[2]]) == 3


async def test_sigkill_during_enqueues_loses_no_committed_item(store: StateStore, state_url: str) -> None:
    proc = spawn("enqueue-loop", state_url, "ingest")
    acknowledged: list[int] = []
    try:
        while len(acknowledged) < 40:
            acknowledged.append(read_json(proc))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    async with await open_state(state_url) as restarted:
        stored: list[int] = []
        while batch := await restarted.claim("ingest", "w", limit=500, visibility_timeout=60):
            stored.extend(it.id for it in batch)
        assert set(acknowledged) <= set(stored), "an enqueue that returned was lost"
        assert stored == sorted(stored)
        if restarted.backend == "sqlite":
            import sqlite3

            path = state_url.removeprefix("sqlite:///")
            with sqlite3.connect(path) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_processes_open_a_fresh_store_at_once(fresh_state_url: str) -> None:
    procs = [spawn("claim", fresh_state_url, "none", f"p{n}", "1") for n in range(3)]
    try:
        for proc in procs:
            assert read_json(proc) == "ready"  # each one opened and migrated (or found migrated) the store
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        assert [read_json(proc) for proc in procs] == [[], [], []]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
    async with await open_state(fresh_state_url) as store:
        assert await store.schema_version() == max(m.version for m in for_dialect(store.backend))
