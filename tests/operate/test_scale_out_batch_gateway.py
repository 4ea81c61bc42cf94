"""Scale-out of the gateway and of scheduled batch jobs: two `weave serve` workers on one PostgreSQL state
store and one Redis bus. Both answer gateway calls with a key created once in the shared state, and share
one rate limit (Redis). A batch job scheduled every minute runs its fire time on exactly one worker (a lease
in the state store), loading every CRM order into the warehouse once.

The scheduler's first-sight rule (a job seen for the first time records "now" and waits for its next fire)
would make the test wait for a minute boundary; instead the shared fire log (`StateFireLog`, the cursor
`etl-fire:<job>` in the state store) is seeded as if the previous fire time had been handled, so the
current minute's fire time is due as soon as the workers start."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.operate.support import Worker, weave
from tests.runtime.support import wait_until
from tests.support.specs import bearer, documents, owner, system
from weave.sandbox.cluster import SandboxCluster

JOB = "orders-every-minute"
ORDERS = 150  # the simulated CRM's orders
RATE = 8  # the consumer's requests per minute, across all workers

SPECS = {
    "systems.yaml": documents(
        system("crm", "data-platform", "CRM_URL", role="crm", auth=bearer("CRM_TOKEN")),
        system("warehouse", "data-platform", "WAREHOUSE_DSN", style="sql"),
        system("partner-app", "data-platform"),
        owner("data-platform", "data@acme.example"), """\
kind: consumer
name: orders-reader
owner: data-platform
auth: {type: api-key, header: X-API-Key}
scopes: ["orders:read"]
rate_limit: {requests: RATE, per: minute}
""".replace("RATE", str(RATE))),
    "batch.yaml": """\
kind: integration
name: JOB
owner: data-platform
source: crm
target: warehouse
direction: push
timing: batch
volume: {records_per_transaction: 200000, transactions_per_day: 1}
coupling: loose
transform_complexity: complex
trigger:
  schedule: {cron: "* * * * *", timezone: UTC, missed: catch-up}
extract:
  http:
    method: GET
    path: /api/orders
    records: data
    params: {style: cursor, limit: PAGE}
    pagination: {type: cursor, cursor_param: cursor, next: meta.next}
steps:
  - map: "{id: id, account_id: account_id, status: status, total: total, updated_at: updated_at}"
deliver:
  - target: warehouse
    sql: {table: crm_orders}
batch:
  chunk_size: PAGE
  lease_ttl: LEASE
  cursor: {field: updated_at, tie_breaker: id, param: updated_since}
  load: {mode: merge, primary_key: [id]}
""",
    "gateway.yaml": """\
kind: integration
name: orders-api
owner: data-platform
source: crm
target: partner-app
direction: pull
timing: real-time
volume: {records_per_transaction: 10, transactions_per_day: 1000}
coupling: loose
exposure: partner
gateway:
  consumers: [orders-reader]
  routes:
    - method: GET
      path: /v1/orders
      upstream: {system: crm, path: /api/orders, query: {style: offset, limit: "5"}}
      scopes: ["orders:read"]
""",
}


def _write_specs(root: Path, page: int = 40, lease: str = "60s") -> Path:
    specs = root / "specs"
    specs.mkdir()
    for name, text in SPECS.items():
        text = text.replace("JOB", JOB).replace("PAGE", str(page)).replace("LEASE", lease)
        (specs / name).write_text(text)
    return specs


def _seed_fire_log(state_url: str, latest_second: int = 50) -> datetime:
    """Record the previous minute's fire time as handled: the current minute's is due now. Returns it.
    Past `latest_second` of the minute, waits for the next minute first (the workers' start or the scenario
    must not cross into the next fire time)."""
    from weave.etl import StateFireLog

    now = datetime.now(UTC)
    if now.second >= latest_second:
        time.sleep(60.5 - now.second - now.microsecond / 1e6)  # the clock itself is the condition
        now = datetime.now(UTC)
    fire = now.replace(second=0, microsecond=0)

    _in_state(state_url, lambda state: StateFireLog(state).set_last_fire(JOB, fire - timedelta(seconds=30)))
    return fire


def _in_state(state_url: str, read: Any) -> Any:
    from weave.state import open_state

    async def main() -> Any:
        async with await open_state(state_url) as state:
            return await read(state)

    return asyncio.run(main())


def _last_fire(state_url: str) -> datetime | None:
    from weave.etl import StateFireLog

    return _in_state(state_url, lambda state: StateFireLog(state).last_fire(JOB))


def _runs(env: dict[str, str]) -> list[dict]:
    """`weave runs JOB --format json` (newest first)."""
    done = weave("runs", JOB, "--format", "json", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)["runs"]


def test_gateway_on_both_workers_and_one_batch_run_per_fire(cluster: SandboxCluster, sandbox_env: dict[str, str],
                                                            tmp_path: Path, pg_dsn: str, redis_url: str) -> None:
    specs = _write_specs(tmp_path)
    warehouse = tmp_path / "warehouse.db"
    env = {"WEAVE_STATE": pg_dsn, "WEAVE_BUS": redis_url, "WAREHOUSE_DSN": f"sqlite:///{warehouse}"}
    applied = weave("apply", str(specs), "--auto-approve", env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    created = weave("keys", "create", "orders-reader", "--state", pg_dsn, "--format", "json", env=env, cwd=tmp_path)
    assert created.returncode == 0, created.stdout + created.stderr
    key = json.loads(created.stdout)["key"]
    # a run of a second or more (4 pages, 250 ms each): both workers' first ticks overlap it under the lease
    httpx.post(f"{cluster.urls['crm']}/_faults", json={"delay_ms": 250, "path": "/api/orders", "method": "GET"}
               ).raise_for_status()
    fire = _seed_fire_log(pg_dsn)
    with Worker("--worker-id", "w1", env=env, log_path=tmp_path / "w1.log") as w1, \
            Worker("--worker-id", "w2", env=env, log_path=tmp_path / "w2.log") as w2:
        w1.wait_ready()
        w2.wait_ready()
        # the gateway runs on every worker, with the key from the shared state store
        with httpx.Client(timeout=10) as client:
            answers = [client.get(f"{w.url}/v1/orders", headers={"X-API-Key": key}) for w in (w1, w2)]
            assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
            assert answers[0].json()["data"] == answers[1].json()["data"] and len(answers[0].json()["data"]) == 5
            assert client.get(f"{w1.url}/v1/orders", headers={"X-API-Key": "wrong"}).status_code == 401
            # one rate limit across the workers (Redis): RATE calls in all, alternating, then 429 on either
            statuses = [client.get(f"{(w1, w2)[i % 2].url}/v1/orders", headers={"X-API-Key": key}).status_code
                        for i in range(RATE - 2)]
            assert statuses == [200] * (RATE - 2)
            limited = [client.get(f"{w.url}/v1/orders", headers={"X-API-Key": key}) for w in (w1, w2)]
            assert [r.status_code for r in limited] == [429, 429]
            assert all(int(r.headers["retry-after"]) > 0 for r in limited)
        # the current minute's fire time: one worker runs it under the lease, the other finds it busy/done
        runs = wait_until(lambda: (r := _runs(env)) and all(x["status"] != "running" for x in r) and r, timeout=30,
                          interval=0.3)
        # a duplicate run of the fire time cannot be polled for (it is an absence): give one a second to appear
        time.sleep(1.0)
        runs = _runs(env)
        assert w1.terminate() == 0 and w2.terminate() == 0
    last_fire = _last_fire(pg_dsn)
    assert last_fire is not None and last_fire >= fire  # the shared fire log moved on
    # exactly one run for the fire time across both workers (a later minute's run, if the test crossed the
    # next fire time, is a different fire time and would be an incremental no-op)
    window = [r for r in runs if fire.timestamp() <= r["started_at"] < fire.timestamp() + 60]
    assert len(window) == 1, runs
    (only,) = window
    assert only["status"] == "ok", only
    workers = _in_state(pg_dsn, lambda state: state.runs(JOB))
    assert [r.worker for r in workers if r.id == only["id"]] in (["w1"], ["w2"])
    assert all(r["counts"]["loaded"] == 0 for r in runs if r is not only), runs
    assert only["counts"]["loaded"] == ORDERS and only["counts"]["rejected"] == 0
    with sqlite3.connect(warehouse) as db:
        assert db.execute("SELECT count(*), count(DISTINCT id) FROM crm_orders").fetchone() == (ORDERS, ORDERS)
    crm_ids = {o["id"] for o in httpx.get(
        f"{cluster.urls['crm']}/api/orders", params={"style": "offset", "limit": 1000},
        headers={"Authorization": f"Bearer {sandbox_env['CRM_TOKEN']}"}).json()["data"]}
    with sqlite3.connect(warehouse) as db:
        assert {row[0] for row in db.execute("SELECT id FROM crm_orders")} == crm_ids


def _warehouse_rows(warehouse: Path) -> tuple[int, int]:
    try:
        with sqlite3.connect(warehouse, timeout=5) as db:
            return db.execute("SELECT count(*), count(DISTINCT id) FROM crm_orders").fetchone()
    except sqlite3.OperationalError:  # not created yet
        return (0, 0)


def test_lease_holder_killed_mid_run_other_worker_completes_the_fire_time(
        cluster: SandboxCluster, sandbox_env: dict[str, str], tmp_path: Path, pg_dsn: str, redis_url: str) -> None:
    specs = _write_specs(tmp_path, page=10, lease="3s")
    warehouse = tmp_path / "warehouse.db"
    env = {"WEAVE_STATE": pg_dsn, "WEAVE_BUS": redis_url, "WAREHOUSE_DSN": f"sqlite:///{warehouse}"}
    applied = weave("apply", str(specs), "--only", JOB, "--auto-approve", env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # a slow source: 15 pages of 10 orders, 400 ms each, one committed chunk per page (a run of 6 s or more)
    crm = cluster.urls["crm"]
    httpx.post(f"{crm}/_faults", json={"delay_ms": 400, "path": "/api/orders", "method": "GET"}).raise_for_status()
    fire = _seed_fire_log(pg_dsn, latest_second=40)
    with Worker("--worker-id", "w1", env=env, log_path=tmp_path / "w1.log") as w1, \
            Worker("--worker-id", "w2", env=env, log_path=tmp_path / "w2.log") as w2:
        workers = {"w1": w1, "w2": w2}
        w1.wait_ready()
        w2.wait_ready()

        def holder() -> str | None:
            rows = _in_state(pg_dsn, lambda state: state.runs(JOB))
            assert len(rows) <= 1, rows  # the other worker ticks every lease TTL and finds the lease busy
            return rows[0].worker if rows and rows[0].status == "running" and \
                _warehouse_rows(warehouse)[0] >= 30 else None

        victim = wait_until(holder, timeout=20, interval=0.1)
        requests_at_kill = httpx.get(f"{crm}/_stats").json()["requests"]
        workers[victim].kill()  # SIGKILL mid-run: its lease is not released, it records no end of run
        before = _warehouse_rows(warehouse)
        assert 30 <= before[0] < ORDERS and before[0] == before[1], before
        survivor_name = "w2" if victim == "w1" else "w1"

        def completed() -> list[dict]:
            runs = _runs(env)
            return [r for r in runs if r["status"] == "ok"] and runs

        runs = wait_until(completed, timeout=40, interval=0.3)
        assert workers[survivor_name].terminate() == 0
    by_id = {r.id: r for r in _in_state(pg_dsn, lambda state: state.runs(JOB))}
    (done,) = [r for r in runs if r["status"] == "ok"]
    assert by_id[done["id"]].worker == survivor_name
    # the survivor resumed the same fire time from the killed run's last committed chunk, before the next one
    assert fire.timestamp() <= done["started_at"] < fire.timestamp() + 60, (fire, done)
    assert _last_fire(pg_dsn) == fire
    assert done["counts"]["resumed"] is True
    # the resumed run's counts are the logical run's (same run, counts so far carried over)
    assert (done["counts"]["extracted"], done["counts"]["loaded"], done["counts"]["chunks"]) == \
        (ORDERS, ORDERS, ORDERS // 10)
    # ...and the survivor read only the pages after the last committed chunk (a restart would read all 15;
    # the victim's request in flight at the kill may be counted after it)
    remaining_pages = (ORDERS - before[0]) // 10
    survivor_requests = httpx.get(f"{crm}/_stats").json()["requests"] - requests_at_kill
    assert remaining_pages <= survivor_requests <= remaining_pages + 1, (before, survivor_requests)
    assert _warehouse_rows(warehouse) == (ORDERS, ORDERS)
    killed = [r for r in runs if r["id"] != done["id"]]
    assert len(killed) == 1 and killed[0]["status"] != "ok" and by_id[killed[0]["id"]].worker == victim
