"""The status page, served by `weave serve` behind the admin token, rendered by headless Chromium:
the planner's topology coloured by live health, the table, and an integration's detail with its owner,
recent runs and dead letters. A screenshot is taken (kept in the test's tmp dir)."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import httpx

from tests.operate.support import OWNER, Worker, repo_project, weave
from tests.runtime.support import post_standard, sign_github, wait_until
from weave.sandbox.cluster import SandboxCluster

TOKEN = "status-token-0123456789"


def chromium(url: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"chromium-{time.monotonic_ns()}"
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
           "--virtual-time-budget=5000", *extra, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


def _post(client: httpx.Client, url: str, payload: object, delivery: str) -> httpx.Response:
    body = json.dumps(payload).encode()
    return client.post(url, content=body, headers={**sign_github(body), "x-github-delivery": delivery})


def test_status_page_in_headless_chromium(cluster: SandboxCluster, sandbox_env: dict[str, str], repo_root: Path,
                                          tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path}/state.db"
    applied = weave("apply", str(repo_project(repo_root, tmp_path)), "--state", state, "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # one batch run, so an integration has recent runs to show (forced: the CRM's peak window may be on)
    ran = weave("run", "campaign-results-import", "--state", state, "--force", "--format", "json")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    extracted = json.loads(ran.stdout)["counts"]["extracted"]
    httpx.post(f"{cluster.urls['email']}/_faults", json={"status": 422}).raise_for_status()
    with Worker("--state", state, env={"WEAVE_ADMIN_TOKEN": TOKEN}, log_path=tmp_path / "serve.log") as serve, \
            httpx.Client(timeout=30) as client:
        serve.wait_ready()
        # read-only and behind the admin token
        for path in ("/status", "/status/api", "/status/topology.svg", "/status/api/integrations/ship-orders"):
            assert client.get(f"{serve.url}{path}").status_code == 401, path
            assert client.get(f"{serve.url}{path}", headers={"authorization": "Bearer wrong"}).status_code == 401
        assert client.get(f"{serve.url}/status", params={"token": TOKEN}).status_code == 200
        assert client.post(f"{serve.url}/status/api", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
        # traffic: ship-orders degraded (one dead letter), customer-sync failing (its spoke refuses), events ok
        for i in range(5):
            assert _post(client, f"{serve.url}/hooks/orders", {"id": f"O-{i}", "lines": [{"sku": "A", "qty": 1}]},
                         f"gh-{i}").status_code in (200, 202)
        _post(client, f"{serve.url}/hooks/orders", {"id": "O-BAD", "lines": "x"}, "gh-bad")
        _post(client, f"{serve.url}/hooks/customers",
              {"id": "C-1", "name": "Ada", "tier": "silver", "contact": {"email": "ada@example.com"}}, "gh-hub-1")
        for i in range(3):
            order = {"type": "order.created", "data": {"id": f"ORD-8{i:05d}", "account_id": "ACC-0001",
                                                        "currency": "EUR", "total": 5.0,
                                                        "lines": [{"sku": "BOLT-M8", "quantity": 1, "unit_price": 5.0,
                                                                   "amount": 5.0}]}}
            assert post_standard(client, f"{serve.url}/hooks/crm/orders", order,
                                 sandbox_env["CRM_WEBHOOK_SECRET"]).status_code == 202
        api = {"authorization": f"Bearer {TOKEN}"}

        def healths() -> dict[str, str]:
            rows = client.get(f"{serve.url}/status/api", headers=api).json()["integrations"]
            return {r["name"]: r["health"] for r in rows}

        wait_until(lambda: (h := healths())["customer-sync"] == "failing" and h["ship-orders"] == "degraded"
                   and h["order-to-fulfillment"] == "ok", timeout=30, interval=0.2)

        page = f"{serve.url}/status?token={TOKEN}&select=customer-sync"
        dom = chromium(page, tmp_path, "--dump-dom")
        assert dom.returncode == 0, dom.stderr[-2000:]
        batch = chromium(f"{serve.url}/status?token={TOKEN}&select=campaign-results-import", tmp_path, "--dump-dom")
        shot = tmp_path / "status.png"
        taken = chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1400,1000")
        assert taken.returncode == 0 and shot.is_file(), taken.stderr[-2000:]
        assert serve.terminate() == 0

    html = dom.stdout
    assert "error:" not in re.sub(r"<script.*?</script>", "", html, flags=re.S)
    # the table: one row per integration with its live health and owner
    rows = dict(re.findall(r'<tr class="row[^"]*" data-name="([^"]+)">.*?<span class="pill (\w+)">', html, re.S))
    assert rows["customer-sync"] == "failing" and rows["ship-orders"] == "degraded"
    assert rows["order-to-fulfillment"] == "ok" and rows["case-resolved-survey"] == "idle"
    # the planner's topology, each edge coloured by the worst health of its integrations
    edges = re.findall(r'<g class="edge[^"]*" data-health="(\w+)"><title data-base="([^"]+)"', html)
    by_name = {name.strip(): health for health, title in edges for name in title.split(":", 1)[1].split(",")}
    assert by_name["order-to-fulfillment"] == "ok" and by_name["call-logging"] == "idle"
    assert any(h == "failing" and "customer-sync" in title for h, title in edges)
    assert "API gateway" in html and "integration-hub" in html  # the planner's picture, not a stand-in
    # the selected integration's detail: owner and contacts, recent runs, the dead letter and its correlation id
    detail = html[html.index('<section id="detail"'):]
    detail = detail[:detail.index("</section>")]
    assert "customer-sync" in detail and OWNER in detail and f"{OWNER}@acme.example" in detail
    assert "Recent runs" in detail and "Dead letters (1)" in detail and "gh-hub-1" in detail
    assert "422" in detail and "weave dlq replay --integration customer-sync" in detail

    runs = batch.stdout[batch.stdout.index('<section id="detail"'):]
    runs = runs[:runs.index("</section>")]
    assert "campaign-results-import" in runs and "marketing-ops" in runs
    assert re.search(r'#1</td><td[^>]*>batch</td><td><span class="pill ok">ok</span>', runs)
    assert f"{extracted} extracted" in runs and "forced" in runs

    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1400, 1000)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    present = {rgb for _, rgb in colours}
    assert (0xD6, 0x45, 0x45) in present and (0x2E, 0x9D, 0x5B) in present  # failing red and ok green drawn
