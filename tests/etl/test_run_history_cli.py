"""kill -9 a real `weave run` mid-run, then read the history with a real `weave runs` (json and text), `weave status`
and a real `weave serve`'s /status/api (which closes the run itself), on SQLite and PostgreSQL state; and kill -9 a
worker holding the job's lease in Redis (a real Redis server): its run ends at its last renewal too.

The source service holds back every page from offset 400 until the test opens a gate, so the run is stopped
deterministically after three committed chunks (360 rows) with its lease held and renewed; then it is killed.
Load mode `insert` without a key: a chunk loaded twice would show in the row count.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import etl_testkit as kit
import pytest

from weave.etl._state import ENDED
from weave.state import open_state

ROOT = Path(__file__).parents[2]
JOB = "customers-load"
N = 1200
HELD_BACK = 400  # the first offset the gate holds: chunks of 3 pages of 40 -> 360 rows committed before it
PROJECT = """\
kind: owner
name: data-platform
contacts: {email: data-platform@example.com}
---
kind: system
name: crm
owner: data-platform
api: {style: rest, base_url: "${env:CRM_URL}"}
---
kind: system
name: warehouse
owner: data-platform
api: {style: sql, base_url: "${env:WAREHOUSE_DSN}"}
---
kind: integration
name: customers-load
description: Customers from the CRM into the warehouse.
owner: data-platform
source: crm
target: warehouse
direction: push
timing: batch
volume: {records_per_transaction: 1200, transactions_per_day: 1}
coupling: loose
pattern: etl-batch
pattern_reason: bulk copy on demand
trigger: {manual: {}}
extract:
  http: {method: GET, path: /offset, records: data, pagination: {type: offset, limit: 40, total: total}}
deliver:
  - target: warehouse
    sql: {table: customers}
batch:
  chunk_size: 100
  cursor: {field: updated_at, tie_breaker: id, param: updated_since}
  load: {mode: insert}
  lease_ttl: 3s
"""


class Gate:
    """ASGI wrapper: requests for offset >= HELD_BACK wait until `opened` is set (`held` counts them)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.opened = threading.Event()
        self.held = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        query = dict(p.split("=", 1) for p in scope.get("query_string", b"").decode().split("&") if "=" in p)
        if scope["type"] == "http" and int(query.get("offset", 0)) >= HELD_BACK and not self.opened.is_set():
            self.held += 1
            while not self.opened.is_set():
                await asyncio.sleep(0.01)
        await self.app(scope, receive, send)


@pytest.fixture
def gate() -> Iterator[Gate]:
    wrapped = Gate(kit.make_app(kit.ListStore([kit.customer(i) for i in range(1, N + 1)])))
    with kit.serve_in_thread(wrapped) as url:
        wrapped.url = url  # type: ignore[attr-defined]
        yield wrapped
        wrapped.opened.set()


@pytest.fixture
def env(gate: Gate, tmp_path: Path) -> dict[str, str]:
    """The environment of every `weave` subprocess (run in tmp_path, where the project is)."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "project.yaml").write_text(PROJECT)
    return {**os.environ, "CRM_URL": gate.url, "WAREHOUSE_DSN": f"sqlite:///{tmp_path / 'warehouse.db'}",  # type: ignore[attr-defined]
            "WEAVE_STATE": f"sqlite:///{tmp_path / 'state.db'}", "COLUMNS": "220", "WEAVE_TEST_DIR": str(tmp_path),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "engine"), os.environ.get("PYTHONPATH", "")])}


def spawn(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "weave", *args], env=env, cwd=env["WEAVE_TEST_DIR"], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def weave(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "weave", *args], capture_output=True, text=True, env=env,
                          cwd=env["WEAVE_TEST_DIR"], timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def history(env: dict[str, str]) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = json.loads(weave(env, "runs", JOB, "--format", "json").stdout)["runs"]
    return runs


def warehouse(env: dict[str, str]) -> tuple[int, int]:
    path = env["WAREHOUSE_DSN"].removeprefix("sqlite:///")
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return db.execute("SELECT count(*), count(DISTINCT id) FROM customers").fetchone()  # type: ignore[no-any-return]
    except sqlite3.OperationalError:  # the table is not created yet
        return (0, 0)


def poll(check: Any, what: str, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def kill_mid_run(env: dict[str, str], gate: Gate, while_alive: Callable[[], None] | None = None) -> int:
    """Start `weave run`, wait until it committed 3 chunks and waits on the held page, check that a live run
    stays `running` in `weave runs` (worker and revision shown), call `while_alive`, then SIGKILL it. Returns its
    pid."""
    weave(env, "apply", "specs", "--auto-approve")
    proc = spawn(env, "run", JOB, "--format", "json")
    try:
        poll(lambda: gate.held >= 1 and warehouse(env) == (360, 360) or proc.poll() is not None, "3 chunks")
        assert proc.poll() is None, proc.communicate()
        (live,) = history(env)  # the lease is held and renewed: reading must not close the run
        assert (live["status"], live["finished_at"], live["revision"]) == ("running", None, 1)
        assert live["worker"] == f"{socket.gethostname()}:{proc.pid}"
        assert live["lease_holder"].startswith(f"{live['worker']}:")
        if while_alive is not None:
            while_alive()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert warehouse(env) == (360, 360)
    return proc.pid


async def lease_expired(env: dict[str, str]) -> None:
    store = await open_state(env["WEAVE_STATE"])
    try:
        while await store.lease_info(f"etl:{JOB}") is not None:  # nobody renews it now (ttl 3 s)
            await asyncio.sleep(0.05)
    finally:
        await store.close()


def run_to_end(env: dict[str, str]) -> tuple[dict[str, Any], int]:
    proc = spawn(env, "run", JOB, "--format", "json")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    return json.loads(out), proc.pid


def check_resumed(result: dict[str, Any], pid: int, env: dict[str, str]) -> None:
    assert result["status"] == "succeeded" and result["resumed"]
    assert result["counts"]["loaded"] == N and result["counts"]["extracted"] == N  # both attempts, exactly once
    assert result["worker"] == f"{socket.gethostname()}:{pid}" and result["revision"] == 1
    assert warehouse(env) == (N, N)


async def test_weave_runs_closes_a_killed_workers_run_once_its_lease_expired(env: dict[str, str], gate: Gate) -> None:
    killed = kill_mid_run(env, gate)
    await lease_expired(env)
    (row,) = history(env)
    assert row["status"] == "abandoned" and row["error"].startswith("worker lost: its lease expired")
    assert row["finished_at"] >= row["started_at"] and row["duration_s"] is not None
    assert (row["worker"], row["revision"], row["counts"]) == (f"{socket.gethostname()}:{killed}", 1, {})

    gate.opened.set()
    result, pid = run_to_end(env)  # the next worker resumes after the 3 committed chunks
    check_resumed(result, pid, env)
    new, old = history(env)
    assert (new["status"], new["worker"], new["revision"]) == ("ok", result["worker"], 1)
    assert new["counts"]["resumed"] and "took_over" not in new["counts"]  # already closed by `weave runs`
    assert sum(r["counts"].get("loaded", 0) for r in (new, old)) == N  # nothing counted twice

    text = weave(env, "runs", JOB).stdout
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 10}
    assert "abandoned" in lines[str(old["id"])] and old["worker"] in lines[str(old["id"])]
    assert "ok" in lines[str(new["id"])] and new["worker"] in lines[str(new["id"])]
    assert all(" 1 " in line.split("│")[6] for line in lines.values())  # the rev column
    assert f"run {old['id']}: worker lost: its lease expired" in text


async def test_the_next_run_closes_a_killed_workers_run(env: dict[str, str], gate: Gate) -> None:
    killed = kill_mid_run(env, gate)
    await lease_expired(env)
    gate.opened.set()
    result, pid = run_to_end(env)  # nobody read the history in between: the new lease holder closes the row
    check_resumed(result, pid, env)
    new, old = history(env)
    assert old["status"] == "abandoned" and old["worker"] == f"{socket.gethostname()}:{killed}"
    assert old["error"].startswith(f"worker lost: the run never recorded its end; the job's lease was taken over by "
                                   f"{new['worker']} (run {new['id']}); noticed ")
    assert old["error"].endswith(", " + ENDED)
    assert old["finished_at"] is not None and old["counts"] == {}
    assert old["finished_at"] < new["started_at"]  # its last lease renewal, before the takeover noticed it
    assert new["status"] == "ok" and new["counts"]["took_over"] == [old["id"]] and new["counts"]["loaded"] == N

    text = weave(env, "runs", JOB).stdout
    assert "abandoned" in text and new["worker"] in text and old["worker"] in text


async def test_weave_status_shows_a_killed_workers_run_as_abandoned(env: dict[str, str], gate: Gate) -> None:
    killed = kill_mid_run(env, gate)
    await lease_expired(env)
    proc = spawn(env, "status", "--format", "json")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 1), out + err  # 1: some integration is degraded (not this one's concern)
    rows = {row["name"]: row for row in json.loads(out)["integrations"]}
    last = rows[JOB]["last_run"]
    assert last["status"] == "abandoned" and last["finished_at"] is not None and last["counts"] == {}
    (row,) = history(env)
    assert row["worker"] == f"{socket.gethostname()}:{killed}"
    gate.opened.set()


TTL = 3.0  # the spec's lease_ttl


@pytest.fixture(params=["sqlite", "postgresql"])
def state_env(request: pytest.FixtureRequest, env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """`env` with the state on SQLite (the bus in the same file), or on PostgreSQL (the bus in a SQLite file)."""
    if request.param == "sqlite":
        return env
    return {**env, "WEAVE_STATE": request.getfixturevalue("pg_dsn"), "WEAVE_BUS": f"sqlite:///{tmp_path / 'bus.db'}"}


async def lease_times(env: dict[str, str]) -> tuple[float, float]:
    """(acquired_at, expires_at) of the job's lease as the store has it, expired or not."""
    store = await open_state(env["WEAVE_STATE"])
    try:
        row = await store._db.fetchone("SELECT acquired_at, expires_at FROM weave_leases WHERE key = %s",
                                       (f"etl:{JOB}",))
        assert row is not None
        return float(row[0]), float(row[1])
    finally:
        await store.close()


class Serve:
    """A real `weave serve` subprocess (uvicorn on a free loopback port), without an admin token."""

    def __init__(self, env: dict[str, str]) -> None:
        from weave.sandbox.services import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "weave", "serve", "--port", str(self.port)], env=env,
                                     cwd=env["WEAVE_TEST_DIR"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True)

    def get(self, path: str) -> Any:
        import httpx

        response = httpx.get(f"{self.url}{path}", timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def ready(self) -> bool:
        import httpx

        assert self.proc.poll() is None, self.proc.communicate()[1][-3000:]
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def last_run(self) -> dict[str, Any]:
        rows = {row["name"]: row for row in self.get("/status/api")["integrations"]}
        last: dict[str, Any] = rows[JOB]["last_run"]
        return last

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()


def noticed_at(error: str) -> float:
    import datetime as dt
    import re

    found = re.search(r"; noticed (\S+Z), " + re.escape(ENDED) + "$", error)
    assert found, error
    return dt.datetime.strptime(found.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp()


def test_served_status_closes_a_killed_workers_run_ended_at_its_last_lease_renewal(state_env: dict[str, str],
                                                                                   gate: Gate) -> None:
    """Nobody runs `weave runs`, `weave status` or the job again: `weave serve`'s /status/api closes the run
    itself, and the row's end is the lease's last renewal (expiry minus TTL, read from the lease table after
    the kill), not the moment the loss was noticed."""
    env = state_env
    serve: Serve | None = None

    def while_alive() -> None:
        nonlocal serve
        serve = Serve(env)
        poll(serve.ready, "weave serve ready")
        # renewed at least once (every ttl/3), so its last renewal is later than the run's start
        poll(lambda: (t := asyncio.run(lease_times(env)))[1] - TTL > t[0] + 0.5, "a lease renewal", timeout=30)
        live = serve.last_run()  # a live lease protects the run from the served status too
        assert (live["status"], live["finished_at"]) == ("running", None)

    try:
        kill_mid_run(env, gate, while_alive)
        assert serve is not None
        acquired, expires = asyncio.run(lease_times(env))  # nobody renews it after the kill
        renewed = expires - TTL

        def closed() -> bool:
            assert serve is not None
            return serve.last_run()["status"] != "running"

        poll(closed, "the served status to close the run", timeout=30)
        last = serve.last_run()
        assert last["status"] == "abandoned" and last["counts"] == {}
        assert last["error"].startswith("worker lost: its lease expired")
        assert last["finished_at"] == pytest.approx(renewed, abs=1e-6)  # the last renewal, not the detection
        assert last["started_at"] < acquired + 0.5 < last["finished_at"] < expires <= noticed_at(last["error"]) + 1
        (detail,) = [r for r in serve.get(f"/status/api/integrations/{JOB}")["runs"] if r["id"] == last["id"]]
        assert (detail["status"], detail["finished_at"], detail["error"]) == ("abandoned", last["finished_at"],
                                                                              last["error"])
    finally:
        if serve is not None:
            serve.stop()
    (row,) = history(env)  # `weave runs` reads the same row: closed once, by the served status
    assert (row["id"], row["status"], row["finished_at"], row["error"]) == (last["id"], "abandoned",
                                                                           last["finished_at"], last["error"])
    assert row["duration_s"] == pytest.approx(renewed - row["started_at"], abs=1e-6)
    gate.opened.set()


# A worker running the job under a Redis lease (the library's scale-out lease; `weave run` itself always takes the
# state store's lease): the job, target and recorder `weave run` builds, printing the time of each renewal.
REDIS_WORKER = """\
import asyncio, os, time
import httpx
from weave.etl import BatchJob, CursorSpec, Pagination, RedisLease, RestSource, SqliteTarget, StateRunRecorder
from weave.state import open_state

class PrintingLease(RedisLease):
    async def renew(self, key, ttl_s):
        ok = await super().renew(key, ttl_s)
        if ok:
            print(f"renewed {time.time()!r}", flush=True)
        return ok

async def main():
    store = await open_state(os.environ["WEAVE_STATE"])
    source = RestSource(httpx.AsyncClient(base_url=os.environ["CRM_URL"]), "/offset", records="data",
                        cursor_param="updated_since", pagination=Pagination(type="offset", limit=40, total="total"))
    target = SqliteTarget(os.environ["WAREHOUSE_DSN"].removeprefix("sqlite:///"), "customers", (), "insert")
    job = BatchJob(os.environ["JOB"], source, target, cursor=CursorSpec("updated_at", "id"), chunk_size=100,
                   lease=PrintingLease.from_url(os.environ["REDIS_URL"]), lease_ttl_s=float(os.environ["TTL"]),
                   recorder=StateRunRecorder(store))
    await job.run()

asyncio.run(main())
"""


async def alive_at(env: dict[str, str]) -> float | None:
    store = await open_state(env["WEAVE_STATE"])
    try:
        row = await store._db.fetchone("SELECT alive_at FROM weave_runs WHERE integration = %s", (JOB,))
        return None if row is None or row[0] is None else float(row[0])
    finally:
        await store.close()


def test_a_killed_worker_under_a_redis_lease_ends_at_its_last_renewal(env: dict[str, str], gate: Gate,
                                                                        redis_url: str) -> None:
    """kill -9 a worker holding the job's lease in Redis: the store saw each renewal (the job reports them to its
    recorder whatever the lease backend), so `weave runs` closes the run once its sign of life lapses and its end
    is the last renewal the worker printed, not its start."""
    weave(env, "apply", "specs", "--auto-approve")
    child_env = {**env, "REDIS_URL": redis_url, "JOB": JOB, "TTL": str(TTL)}
    proc = subprocess.Popen([sys.executable, "-c", REDIS_WORKER], env=child_env, cwd=env["WEAVE_TEST_DIR"], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    renewals: list[float] = []
    try:
        poll(lambda: gate.held >= 1 and warehouse(env) == (360, 360) or proc.poll() is not None, "3 chunks")
        assert proc.poll() is None, proc.communicate()
        assert proc.stdout is not None
        (live,) = history(env)  # its sign of life in the store protects it
        assert live["status"] == "running" and live["lease_holder"].startswith(f"{live['worker']}:")
        assert live["worker"] == f"{socket.gethostname()}:{proc.pid}"
        for _ in range(2):  # held mid-run: renewed every ttl/3 = 1 s
            line = proc.stdout.readline()
            assert line.startswith("renewed "), line + proc.communicate()[1][-3000:]
            renewals.append(float(line.split()[1]))
        # the store recorded the last one (just after the worker printed it); the next is ~1 s away: kill now
        poll(lambda: (a := asyncio.run(alive_at(env))) is not None and a >= renewals[-1] - 0.05, "renewal recorded")
    finally:
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    renewals += [float(line.split()[1]) for line in out.splitlines() if line.startswith("renewed ")]

    def closed() -> bool:  # `weave runs` closes it once the sign of life lapses (ttl after the last renewal)
        return history(env)[0]["status"] != "running"

    poll(closed, "weave runs to close the run", timeout=30)
    (row,) = history(env)
    assert row["status"] == "abandoned" and row["error"].startswith("worker lost: its lease expired")
    assert row["finished_at"] == pytest.approx(renewals[-1], abs=0.05)  # its last renewal ...
    assert row["finished_at"] > row["started_at"] + TTL / 3  # ... not its start
    assert row["finished_at"] + TTL <= noticed_at(row["error"]) + 1
    gate.opened.set()


SECRET = "tok-3f9a1c77e2b4"  # a resolved secret of the job's systems, which a source error happened to echo


class FailingSource:
    """A source whose first page fails with an error that carries markup and a resolved secret."""

    name = "crm"

    async def pages(self, request: Any) -> Any:
        raise RuntimeError(f'<img src=x onerror="alert(1)"> upstream refused token {SECRET} & closed')
        yield  # an async generator

    async def aclose(self) -> None:
        return None


async def seed_runs(env: dict[str, str]) -> None:
    """A failed run (a real `BatchJob` run, recorded by the state recorder), then a run whose worker died under
    the store's lease after one renewal: the served status closes it (`abandoned`, ended at that renewal)."""
    from weave.etl import BatchJob, SqliteTarget, StateLease, StateRunRecorder

    store = await open_state(env["WEAVE_STATE"])
    try:
        recorder = StateRunRecorder(store, worker="host-a:1")
        job = BatchJob(JOB, FailingSource(), SqliteTarget(str(Path(env["WEAVE_TEST_DIR"]) / "w.db"), "c", ("id",)),
                       recorder=recorder, secret_values=lambda: [SECRET])
        with pytest.raises(RuntimeError):
            await job.run()
        lease = StateLease(store, "host-b:2")
        assert await lease.acquire(JOB, 0.5)
        worker = StateRunRecorder(store, worker="host-b:2")
        dead = await worker.start(JOB, lease, 0.5)
        await asyncio.sleep(0.2)
        assert await lease.renew(JOB, 0.5)
        await worker.renewed(dead, 0.5)  # its last sign of life; then nothing renews the lease
    finally:
        await store.close()


def chromium_dom(url: str, tmp_path: Path) -> str:
    """The page as headless Chromium renders it (the status page builds its tables client-side)."""
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           f"--user-data-dir={tmp_path / 'chromium'}", "--virtual-time-budget=5000", "--dump-dom", url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_status_page_shows_the_last_runs_end_and_error_escaped(env: dict[str, str], tmp_path: Path) -> None:
    """`weave serve`'s status page, rendered by Chromium: the integrations table shows the last run's status, end
    time and (failed or abandoned) error; the detail's recent runs show each run's end and error. Errors are
    escaped (markup shown as text, never as elements) and carry no secret (the job redacted it)."""
    weave(env, "apply", "specs", "--auto-approve")
    asyncio.run(seed_runs(env))
    serve = Serve(env)
    try:
        poll(serve.ready, "weave serve ready")
        poll(lambda: serve.last_run()["status"] == "abandoned", "the served status to close the dead run")
        last = serve.last_run()
        runs = serve.get(f"/status/api/integrations/{JOB}")["runs"]
        failed = next(r for r in runs if r["status"] == "failed")
        assert SECRET not in json.dumps(runs) and "token *** &" in failed["error"]
        dom = chromium_dom(f"{serve.url}/status?select={JOB}", tmp_path)
    finally:
        serve.stop()

    import datetime as dt
    import re

    def shown(t: float) -> str:  # the page's `when`: UTC, to the second
        return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")

    listing = dom[dom.index('<tbody id="rows">'):]
    listing = listing[:listing.index("</tbody>")]
    assert re.search(r'<td class="lastrun"><span class="pill failing">abandoned</span> <span class="sub">ended '
                     + re.escape(shown(last["finished_at"])) + "</span></td>", listing), listing
    assert last["error"].startswith("worker lost: its lease expired")
    assert f'<td colspan="10" class="err">{last["error"]}</td>' in listing  # the abandoned run's error
    detail = dom[dom.index('<section id="detail">'):]
    detail = detail[:detail.index("</section>")]
    assert detail.count('<td colspan="4" class="err">') == 2  # both runs' errors, under each run
    for run in (last, failed):
        assert f'<span class="sub">ended {shown(run["finished_at"])}</span>' in detail
    escaped = ("&lt;img src=x onerror=\"alert(1)\"&gt; upstream refused token *** &amp; closed")
    assert escaped in detail
    assert "<img" not in dom and SECRET not in dom


def test_a_failed_weave_run_prints_its_error_without_the_systems_secrets(env: dict[str, str]) -> None:
    """The CRM's base URL is a secret reference with a broken value (a token where the scheme goes). `weave run`
    fails (exit 1) and neither its text nor its JSON output, nor the recorded runs, carry the resolved value."""
    secret_env = {**env, "CRM_URL": "tok-5e3c7a9b1d://127.0.0.1:9"}
    weave(secret_env, "apply", "specs", "--auto-approve")
    for args in (("run", JOB), ("run", JOB, "--format", "json")):
        done = subprocess.run([sys.executable, "-m", "weave", *args], capture_output=True, text=True, env=secret_env,
                              cwd=env["WEAVE_TEST_DIR"], timeout=120, stdin=subprocess.DEVNULL)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "error: TransientError: GET /offset: UnsupportedProtocol" in done.stderr, done.stderr
        assert "tok-5e3c7a9b1d" not in done.stdout + done.stderr
    runs = history(secret_env)
    assert [r["status"] for r in runs] == ["failed", "failed"]
    assert all(r["error"] == "TransientError: GET /offset: UnsupportedProtocol" for r in runs), runs


async def test_run_integration_redacts_the_deployed_specs_secrets_from_any_error(env: dict[str, str],
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth behind the connectors: whatever a run raises, `run_integration` (so `weave run`) reports it
    as `Type: message` with every resolved secret of the deployed specs replaced by ***, and does not chain the
    original exception (its text could reach a log with the traceback). The failure is injected after a real
    `weave apply`, as no connector here puts a secret in its errors."""
    from weave.api import run as api_run

    weave(env, "apply", "specs", "--auto-approve")
    for name in ("CRM_URL", "WAREHOUSE_DSN"):
        monkeypatch.setenv(name, env[name])

    def broken(self: Any, revision: Any) -> Any:
        raise ConnectionError(f"cannot reach {env['CRM_URL']}/offset nor {env['WAREHOUSE_DSN']}")

    monkeypatch.setattr(api_run.Supervisor, "build", broken)
    with pytest.raises(api_run.RunFailed) as failed:
        await api_run.run_integration(env["WEAVE_STATE"], f"sqlite:///{env['WEAVE_TEST_DIR']}/bus.db", JOB)
    assert str(failed.value) == "ConnectionError: cannot reach ***/offset nor ***"
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
