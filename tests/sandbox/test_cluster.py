"""Cluster lifecycle: thread and async modes, the child-process mode, env, and nothing left behind."""

from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlsplit

import httpx
import pytest

from weave.sandbox import SERVICES, SandboxCluster, sandbox_process

from ._util import Receiver


def _port_closed(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        return sock.connect_ex((parts.hostname or "", parts.port or 0)) != 0


def test_thread_mode_starts_everything_and_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    with SandboxCluster() as cluster, httpx.Client() as http:
        assert set(cluster.urls) == set(SERVICES)
        assert len({urlsplit(u).port for u in cluster.urls.values()}) == len(SERVICES)
        for name, url in cluster.urls.items():
            assert http.get(url + "/_health").json()["system"] == name
        env = cluster.env()
        assert env["CRM_URL"] == cluster.url("crm") and env["ERP_USER"] == "erp-integration"
        assert env["PAYMENTS_SECRET_KEY"] == "sk_test_acme_demo" and env["MARKETING_CLIENT_ID"]
        urls = dict(cluster.urls)
    assert set(threading.enumerate()) == before
    assert all(_port_closed(u) for u in urls.values())


async def test_async_mode_runs_in_the_callers_loop() -> None:
    before = set(threading.enumerate())
    async with SandboxCluster(["crm", "payments"]) as cluster, httpx.AsyncClient() as http:
        response = await http.get(cluster.url("crm") + "/api/products", headers={"X-API-Key": "crm-demo-key"})
        assert response.status_code == 200 and len(response.json()["data"]) == 12
        assert set(threading.enumerate()) == before  # no thread of its own
        url = cluster.url("crm")
    assert _port_closed(url)


def test_unknown_system_and_port_clash_are_reported() -> None:
    with pytest.raises(ValueError, match="known: crm"):
        SandboxCluster(["crm", "mainframe"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        before = set(threading.enumerate())
        with pytest.raises(OSError):
            SandboxCluster(["crm", "erp"], ports={"erp": taken.getsockname()[1]}).start_in_thread()
        assert set(threading.enumerate()) == before


def test_child_process_mode_prints_urls_and_stops() -> None:
    with sandbox_process(["bulk", "crm"], bulk_records=2500) as proc, httpx.Client() as http:
        assert set(proc.urls) == {"bulk", "crm"} and proc.env["BULK_TOKEN"] == "bulk-demo-token"
        page = http.get(proc.urls["bulk"] + "/v1/records", params={"per_page": 10},
                        headers={"Authorization": "Bearer bulk-demo-token"}).json()
        assert page["meta"]["total"] == 2500
        pid = proc.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_set_webhook_without_http_in_async_mode() -> None:
    async with SandboxCluster(["crm", "payments"], extra={"receiver": Receiver}) as cluster, \
            httpx.AsyncClient() as http:
        cluster.set_webhook("crm", cluster.url("receiver") + "/hook", events=["case.created"])
        emitted = await http.post(cluster.url("crm") + "/admin/emit", json={"event": "case.created", "count": 2})
        assert [d["delivered"] for d in emitted.json()["deliveries"]] == [True, True]
        hooks = (await http.get(cluster.url("receiver") + "/_received")).json()["items"]
        assert len(hooks) == 2 and "webhook-signature" in hooks[0]["headers"]
        cluster.set_webhook("crm", None)
        again = await http.post(cluster.url("crm") + "/_emit", json={"event": "case.created"})
        assert again.json()["deliveries"] == []
        cases = await http.get(cluster.url("crm") + "/api/cases", params={"style": "page"},
                               headers={"X-API-Key": "crm-demo-key"})
        assert cases.json()["meta"]["total"] == 43
        cluster.reset()  # in the caller's loop: a direct call
        cases = await http.get(cluster.url("crm") + "/api/cases", params={"style": "page"},
                               headers={"X-API-Key": "crm-demo-key"})
        assert cases.json()["meta"]["total"] == 40
        assert (await http.get(cluster.url("receiver") + "/_received")).json()["count"] == 0
        with pytest.raises(ValueError, match="sends no webhooks"):
            cluster.set_webhook("receiver", "http://x")
