"""Lifecycle of `weave serve`: /readyz is 503 while starting and 200 when ready; SIGTERM finishes the
work in flight, leaves nothing claimed, and exits 0."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.operate.support import Worker, weave, write_specs
from tests.runtime.support import post_signed, received, wait_until
from weave.runtime.serve import Server
from weave.sandbox.cluster import SandboxCluster
from weave.sandbox.services import free_port
from weave.state import open_state


async def _queue(state_url: str, queue: str) -> Any:
    async with await open_state(state_url) as state:
        return await state.queue_stats(queue)


def test_sigterm_finishes_in_flight_work_and_exits_0(cluster: SandboxCluster, sandbox_env: dict[str, str],
                                                     tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path}/state.db"
    specs = write_specs(tmp_path)
    assert weave("apply", str(specs), "--state", state, "--auto-approve").returncode == 0
    ops, email = cluster.urls["operations"], cluster.urls["email"]
    httpx.post(f"{ops}/_faults", json={"delay_ms": 1500, "count": 1}).raise_for_status()
    httpx.post(f"{email}/_faults", json={"delay_ms": 400}).raise_for_status()
    customers = [{"id": f"ACC-{i}", "name": f"N{i}", "tier": "silver", "contact": {"email": f"c{i}@example.com"}}
                 for i in range(5)]
    answers: list[httpx.Response] = []
    with Worker("--state", state, log_path=tmp_path / "serve.log") as serve:
        serve.wait_ready()
        with httpx.Client() as client:
            assert post_signed(client, f"{serve.url}/hooks/customers", customers).status_code == 202
            def send_order() -> None:
                with httpx.Client() as own:
                    answers.append(post_signed(own, f"{serve.url}/hooks/orders",
                                               {"id": "ORD-1", "lines": [{"sku": "A", "qty": 1}]}))

            sender = threading.Thread(target=send_order)
            sender.start()
            # the order is in flight once the slow target has started answering it
            wait_until(lambda: httpx.get(f"{ops}/_faults").json()["rules"][0]["applied"] == 1, timeout=10)
            serve.proc.send_signal(__import__("signal").SIGTERM)
            # draining: not ready any more, new webhooks are told to come back later
            wait_until(lambda: httpx.get(f"{serve.url}/readyz").status_code == 503, timeout=5)
            late = post_signed(client, f"{serve.url}/hooks/orders", {"id": "ORD-2", "lines": []})
            assert late.status_code == 503 and late.headers["retry-after"] == "1"
            sender.join(30)
        assert serve.proc.wait(40) == 0
    logs = serve.logs()
    assert [r["msg"] for r in logs][-1] == "stopped"
    assert [a.status_code for a in answers] == [200] and answers[0].json()["delivered"] == 1
    assert [e["body"]["order_ref"] for e in received(cluster, "operations")] == ["ORD-1"]
    stats = asyncio.run(_queue(state, "hub:customer-sync"))
    assert stats.in_flight == 0  # nothing left claimed by the stopped worker
    delivered = {e["body"]["to"] for e in received(cluster, "email")}
    assert len(received(cluster, "email")) == len(delivered)
    assert len(delivered) + stats.depth == len(customers)  # each delivered or still queued for the next start


def test_readyz_is_503_until_the_flows_have_started(cluster: SandboxCluster, sandbox_env: dict[str, str],
                                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = f"sqlite:///{tmp_path}/state.db"
    assert weave("apply", str(write_specs(tmp_path)), "--state", state, "--auto-approve").returncode == 0
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    async def main() -> None:
        server = Server(state_url=state, bus_url=state, port=port, log=False)
        supervisor = await server.open()
        release = asyncio.Event()
        real_start = supervisor.start

        async def slow_start() -> None:  # hold the start so the "starting" phase can be observed
            await release.wait()
            await real_start()

        monkeypatch.setattr(supervisor, "start", slow_start)
        stop = asyncio.Event()
        serving = asyncio.create_task(server.serve_forever(stop))
        async with httpx.AsyncClient() as client:
            async def status(path: str) -> int:
                try:
                    return (await client.get(f"{url}{path}")).status_code
                except httpx.HTTPError:
                    return 0

            while await status("/healthz") != 200:
                await asyncio.sleep(0.02)
            assert await status("/readyz") == 503
            body = b'{"id": "ORD-1", "lines": []}'
            early = await client.post(f"{url}/hooks/orders", content=body)
            assert early.status_code == 503 and early.headers["retry-after"] == "1"
            release.set()
            for _ in range(500):
                if await status("/readyz") == 200:
                    break
                await asyncio.sleep(0.02)
            assert await status("/readyz") == 200
        stop.set()
        await asyncio.wait_for(serving, 30)

    asyncio.run(main())


async def _apply_unchecked(specs: Path, state_url: str) -> None:
    from weave.api.deploy import apply_deploy, git_meta, plan_deploy

    async with await open_state(state_url) as store:
        deploy = plan_deploy([specs], await store.current_revision())
        await apply_deploy(store, deploy, git_meta([specs]), holder="test")


def test_a_flow_that_cannot_start_does_not_stop_the_others(cluster: SandboxCluster, sandbox_env: dict[str, str],
                                                           tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path}/state.db"
    specs = write_specs(tmp_path)
    broken = (specs / "hub.yaml").read_text().replace(
        "  - map: \"{id: id, email: contact.email, name: name, vip: tier == 'gold'}\"", "  - use: not-there")
    (specs / "hub.yaml").write_text(broken)
    # `weave apply` refuses this spec (WV307); a revision like it can still exist (applied by an older weave,
    # or a transform library changed under it), so write it through the library, bypassing the checks
    assert weave("apply", str(specs), "--state", state, "--auto-approve").returncode == 1
    asyncio.run(_apply_unchecked(specs, state))
    with Worker("--state", state, "--admin-token", "t0ken", log_path=tmp_path / "serve.log") as serve, \
            httpx.Client() as client:
        serve.wait_ready()
        response = post_signed(client, f"{serve.url}/hooks/orders", {"id": "ORD-1", "lines": [{"sku": "A", "qty": 1}]})
        assert response.status_code == 200 and response.json()["delivered"] == 1
        status = client.get(f"{serve.url}/status/api", headers={"authorization": "Bearer t0ken"}).json()
        assert list(status["skipped"]) == ["customer-sync/hub-and-spoke"]
        assert "failed to start" in status["skipped"]["customer-sync/hub-and-spoke"]
        assert "not-there" in status["skipped"]["customer-sync/hub-and-spoke"]
        assert post_signed(client, f"{serve.url}/hooks/customers", {"id": "C"}).status_code == 404
        assert serve.terminate() == 0
    assert any(r["msg"] == "flow failed to start" and r["integration"] == "customer-sync" for r in serve.logs())
