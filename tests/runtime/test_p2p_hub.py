"""Point-to-point and hub-and-spoke end to end: real simulated systems, a real `weave serve`, real state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.runtime.support import RunningServe, apply_specs, post_signed, received, sign_github, wait_until
from tests.support.specs import SANDBOX_SYSTEMS, customer_sync, ship_orders
from weave.sandbox.cluster import SandboxCluster
from weave.sandbox.services import free_port


def make_project(tmp_path: Path) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "systems.yaml").write_text(SANDBOX_SYSTEMS)
    # a record without an id fails the coerce step; the hub gives up on a spoke sooner than in the operate tests
    (specs / "p2p.yaml").write_text(ship_orders(coerce=True))
    (specs / "hub.yaml").write_text(customer_sync(retries=2, backoff=("50ms", "100ms")))
    return specs


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(state URL, bus URL): the embedded default, and PostgreSQL state with the Redis bus."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/state.db"
        return url, url
    return str(request.getfixturevalue("pg_dsn")), str(request.getfixturevalue("redis_url"))


@pytest.fixture
def deployed(tmp_path: Path, sandbox_env: dict[str, str], backend: tuple[str, str]) -> str:
    import asyncio

    state_url, _ = backend
    asyncio.run(apply_specs(make_project(tmp_path), state_url))
    return state_url


def order(i: int) -> dict:
    return {"id": f"ORD-{i:04d}", "lines": [{"sku": "BOLT-M8", "qty": 2}]}


def test_point_to_point_delivers_synchronously(cluster: SandboxCluster, deployed: str, backend: tuple[str, str]) -> None:
    with RunningServe(deployed, backend[1]) as serve, httpx.Client() as client:
        response = post_signed(client, f"{serve.url}/hooks/orders", order(1))
        assert response.status_code == 200, response.text
        assert response.json()["delivered"] == 1
        got = received(cluster, "operations")
        assert [e["body"]["order_ref"] for e in got] == ["ORD-0001"]
        assert got[0]["body"]["lines"] == [{"sku": "BOLT-M8", "quantity": 2}]
        # the same order again: the idempotency key stops a second delivery
        again = post_signed(client, f"{serve.url}/hooks/orders", order(1))
        assert again.json()["duplicates"] == 1
        assert len(received(cluster, "operations")) == 1


def test_hub_routes_by_content_to_spokes(cluster: SandboxCluster, deployed: str, backend: tuple[str, str]) -> None:
    customers = [
        {"id": "ACC-1", "name": "Ada", "tier": "gold", "contact": {"email": "ada@example.com"}},
        {"id": "ACC-2", "name": "Bob", "tier": "silver", "contact": {"email": "bob@example.com"}},
        {"id": "ACC-3", "name": "Cy", "tier": "gold", "contact": {}},
    ]
    with RunningServe(deployed, backend[1]) as serve, httpx.Client() as client:
        response = post_signed(client, f"{serve.url}/hooks/customers", customers)
        assert response.status_code == 202 and response.json()["accepted"] == 3
        mails = wait_until(lambda: (r := received(cluster, "email")) and len(r) >= 2 and r)
        kits = wait_until(lambda: (r := received(cluster, "operations")) and len(r) >= 2 and r)
        assert sorted(m["body"]["to"] for m in mails) == ["ada@example.com", "bob@example.com"]
        assert sorted(k["body"]["order_ref"] for k in kits) == ["VIP-KIT-ACC-1", "VIP-KIT-ACC-3"]


def test_bad_webhooks_are_refused_and_counted(cluster: SandboxCluster, deployed: str, backend: tuple[str, str]) -> None:
    with RunningServe(deployed, backend[1]) as serve, httpx.Client() as client:
        url = f"{serve.url}/hooks/customers"
        body = b'{"id": "ACC-1"'
        assert client.post(url, content=body, headers=sign_github(body)).status_code == 400
        good = b'{"id": "ACC-9", "name": "Z", "contact": {}}'
        assert client.post(url, content=good, headers={"content-type": "application/json",
                                                       "x-hub-signature-256": "sha256=" + "0" * 64}).status_code == 401
        assert client.post(url, content=good, headers={**sign_github(good), "content-type": "text/plain"}
                           ).status_code == 415
        huge = b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
        assert client.post(url, content=huge, headers=sign_github(huge)).status_code == 413
        metrics = client.get(f"{serve.url}/metrics").text
        for reason in ("bad_json", "bad_signature", "wrong_content_type"):
            assert f'weave_ingest_rejected_total{{integration="customer-sync",reason="{reason}"}} 1.0' in metrics
        depth = serve.call(_queue_depth(deployed))
        assert depth == 0


async def _queue_depth(state_url: str) -> int:
    from weave.state import open_state

    async with await open_state(state_url) as state:
        return int(await state.queue_depth("hub:customer-sync"))


def test_bad_record_goes_to_dlq_and_batch_continues(cluster: SandboxCluster, deployed: str, backend: tuple[str, str]) -> None:
    records = [order(1), {"id": "ORD-BAD", "lines": "not-a-list"}, {"lines": []}, order(3)]
    with RunningServe(deployed, backend[1]) as serve, httpx.Client() as client:
        response = post_signed(client, f"{serve.url}/hooks/orders", records)
        assert response.status_code == 200
        counts = response.json()
        assert counts["delivered"] == 2 and counts["dead_lettered"] == 2
    dlq = subprocess.run([sys.executable, "-m", "weave", "dlq", "list", "--state", deployed, "--bus", backend[1],
                          "--format", "json"],
                         capture_output=True, text=True, timeout=60)
    entries = sorted(__import__("json").loads(dlq.stdout)["entries"], key=lambda e: e["id"])
    assert [e["integration"] for e in entries] == ["ship-orders", "ship-orders"]
    # the mapping turns the bad lines into null; the target refuses it (422, terminal): no retry, dead letter
    refused = next(e for e in entries if e["target"] == "operations")
    assert refused["payload"]["order_ref"] == "ORD-BAD" and "422" in refused["error"] and refused["attempts"] == 1
    # a record without an id fails its transform (coerce, required): dead-lettered with the step, not delivered
    failed = next(e for e in entries if e["target"] is None)
    assert failed["payload"] == {"lines": []} and "coerce" in failed["error"]


def test_target_down_then_dlq_then_replay_exactly_once(cluster: SandboxCluster, deployed: str, backend: tuple[str, str]) -> None:
    ops = cluster.urls["operations"]
    httpx.post(f"{ops}/_faults", json={"status": 503, "count": 1000}).raise_for_status()
    with RunningServe(deployed, backend[1]) as serve, httpx.Client() as client:
        for i in range(3):
            response = post_signed(client, f"{serve.url}/hooks/orders", order(i))
            assert response.json()["dead_lettered"] == 1
    httpx.delete(f"{ops}/_faults").raise_for_status()
    cmd = [sys.executable, "-m", "weave", "dlq", "replay", "--integration", "ship-orders", "--state", deployed,
           "--bus", backend[1], "--format", "json"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stdout + first.stderr
    assert [r["outcome"] for r in __import__("json").loads(first.stdout)["results"]] == ["delivered"] * 3
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert __import__("json").loads(second.stdout)["results"] == []  # nothing pending any more
    refs = sorted(e["body"]["order_ref"] for e in received(cluster, "operations"))
    assert refs == ["ORD-0000", "ORD-0001", "ORD-0002"]  # each exactly once


def test_kill_9_with_messages_in_the_hub_queue_loses_nothing(cluster: SandboxCluster, deployed: str,
                                                            backend: tuple[str, str], tmp_path: Path) -> None:
    email = cluster.urls["email"]
    httpx.post(f"{email}/_faults", json={"delay_ms": 300, "count": 1000}).raise_for_status()
    port = free_port()
    env = {**os.environ}
    serve_cmd = [sys.executable, "-m", "weave", "serve", "--state", deployed, "--bus", backend[1], "--port", str(port)]
    proc = subprocess.Popen(serve_cmd,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    customers = [{"id": f"ACC-{i}", "name": f"N{i}", "tier": "silver", "contact": {"email": f"c{i}@example.com"}}
                 for i in range(20)]
    try:
        wait_until(lambda: _up(port), timeout=30)
        with httpx.Client() as client:
            response = post_signed(client, f"http://127.0.0.1:{port}/hooks/customers", customers)
            assert response.status_code == 202
        wait_until(lambda: len(received(cluster, "email")) >= 2, timeout=20)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    delivered_before = len(received(cluster, "email"))
    assert delivered_before < 20  # the kill happened mid-queue
    httpx.delete(f"{email}/_faults").raise_for_status()
    restarted = subprocess.Popen(serve_cmd,
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        got = wait_until(lambda: (r := received(cluster, "email")) and
                         len({m["body"]["to"] for m in r}) == 20 and r, timeout=90)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(30)
    recipients = [m["body"]["to"] for m in got]
    assert sorted(set(recipients)) == sorted(c["contact"]["email"] for c in customers)
    # Only what was in flight at the kill can be delivered twice (committed idempotency keys stop the rest;
    # this e-mail provider does not dedup): at most one claimed batch of parallel lanes.
    from weave.patterns.hub_and_spoke import CLAIM_BATCH

    assert len(recipients) <= len(customers) + CLAIM_BATCH


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
