"""Hub throughput: webhook in -> hub queue -> canonical mapping -> two spokes on local HTTP services.

- hub.messages_per_s: weave serve (hub-and-spoke flow, embedded SQLite state) end to end, from the first
  webhook POST until both spokes received every message.
- hub.vs_direct: that rate divided by the limit measured in the same run: the same driver posting every
  message straight to the two spokes (two POSTs per message, no hub, no durability, no mapping).
- hub.p99_ms: p99 of (arrival at the spoke - webhook POST) per message.

The spokes (operations, e-mail) run in a child process (`sandbox_process`); `weave serve` in another.
Rounds alternate A B A B. `python bench/hub.py --quick` prints JSON lines.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

SPEC = """\
kind: system
name: crm
owner: bench
api: {style: rest}
---
kind: system
name: operations
owner: bench
api: {style: rest, base_url: "${env:OPERATIONS_URL}", auth: {type: api-key, header: X-API-Key, key: "${env:OPERATIONS_API_KEY}"}}
---
kind: system
name: email
owner: bench
api: {style: rest, base_url: "${env:EMAIL_URL}", auth: {type: bearer, token: "${env:EMAIL_TOKEN}"}}
---
kind: integration
name: bench-hub
owner: bench
source: crm
targets: [operations, email]
direction: push
timing: near-real-time
volume: {records_per_transaction: 1, transactions_per_day: 100000}
coupling: tight
pattern: hub-and-spoke
pattern_reason: the benchmark measures the hub
trigger: {webhook: {path: /hooks/bench}}
steps:
  - map: "{id: id, email: contact.email, name: name, sku: sku}"
delivery: {retries: 3, backoff: {initial: 50ms, max: 500ms}}
deliver:
  - target: operations
    steps: [{map: "{order_ref: id, lines: [{sku: sku, quantity: `1`}]}"}]
    http: {method: POST, path: /v1/fulfillment-orders}
  - target: email
    steps: [{map: "{to: email, from: 'hub@acme.example', subject: id, text: name}"}]
    http: {method: POST, path: /v3/mail/send}
"""


def _message(i: int, run: str) -> dict[str, Any]:
    return {"id": f"{run}-{i}", "name": f"Customer {i}", "sku": "BOLT-M8", "contact": {"email": f"c{i}@bench.example"}}


def _arrivals(url: str, n: int, path: str, after: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 300
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        r = httpx.get(f"{url}/_received", params={"path": path, "after": after, "min": n, "timeout": 30}, timeout=60)
        items = r.json()["items"]
        if len(items) >= n:
            return items
    raise TimeoutError(f"only {len(items)} of {n} arrived at {url}{path}")


def _seq(url: str) -> int:
    stats = httpx.get(f"{url}/_stats", timeout=10).json()
    return int(stats.get("received", 0))


async def _post_all(n: int, concurrency: int, send: Any) -> dict[int, float]:
    sent: dict[int, float] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            sent[i] = time.time()
            await send(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sent


def _latencies(sent: dict[int, float], items: list[dict[str, Any]], key: Any) -> list[float]:
    out = []
    for item in items:
        i = key(item)
        if i in sent:
            at = dt.datetime.fromisoformat(item["at"].replace("Z", "+00:00")).timestamp()
            out.append((at - sent[i]) * 1000)
    return out


def weave_round(base: str, urls: dict[str, str], n: int, run: str, concurrency: int) -> tuple[float, list[float]]:
    after_ops, after_mail = _seq(urls["operations"]), _seq(urls["email"])

    async def main() -> dict[int, float]:
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:
            async def send(i: int) -> None:
                r = await client.post(f"{base}/hooks/bench", json=_message(i, run))
                r.raise_for_status()
            return await _post_all(n, concurrency, send)

    started = time.time()
    sent = asyncio.run(main())
    ops = _arrivals(urls["operations"], n, "/v1/fulfillment-orders", after_ops)
    mail = _arrivals(urls["email"], n, "/v3/mail/send", after_mail)
    last = max(dt.datetime.fromisoformat(e["at"].replace("Z", "+00:00")).timestamp() for e in ops + mail)
    lat = _latencies(sent, ops, lambda e: int(e["body"]["order_ref"].rsplit("-", 1)[1]))
    lat += _latencies(sent, mail, lambda e: int(e["body"]["subject"].rsplit("-", 1)[1]))
    return n / (last - started), lat


def direct_round(urls: dict[str, str], env: dict[str, str], n: int, run: str, concurrency: int) -> float:
    async def main() -> None:
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:
            async def send(i: int) -> None:
                m = _message(i, run)
                r1 = await client.post(f"{urls['operations']}/v1/fulfillment-orders",
                                       headers={"X-API-Key": env["OPERATIONS_API_KEY"]},
                                       json={"order_ref": m["id"], "lines": [{"sku": m["sku"], "quantity": 1}]})
                r2 = await client.post(f"{urls['email']}/v3/mail/send",
                                       headers={"Authorization": f"Bearer {env['EMAIL_TOKEN']}"},
                                       json={"to": m["contact"]["email"], "from": "hub@acme.example",
                                             "subject": m["id"], "text": m["name"]})
                r1.raise_for_status()
                r2.raise_for_status()
            await _post_all(n, concurrency, send)

    started = time.perf_counter()
    asyncio.run(main())
    return n / (time.perf_counter() - started)


def run(quick: bool) -> list[dict[str, Any]]:
    from weave.sandbox import sandbox_process
    from weave.sandbox.services import free_port, wait_for_port

    n = 300 if quick else 3000
    rounds = 2 if quick else 3
    concurrency = 16
    work = Path(tempfile.mkdtemp(prefix="weave-bench-hub-"))
    (work / "specs").mkdir()
    (work / "specs" / "hub.yaml").write_text(SPEC)
    with sandbox_process(["operations", "email"]) as sandbox:
        env = {**os.environ, **sandbox.env}
        state = f"sqlite:///{work}/state.db"
        subprocess.run([sys.executable, "-m", "weave", "apply", str(work / "specs"), "--state", state,
                        "--auto-approve"], env=env, check=True, capture_output=True)
        port = free_port()
        serve = subprocess.Popen([sys.executable, "-m", "weave", "serve", "--state", state, "--port", str(port)],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port)
            base = f"http://127.0.0.1:{port}"
            weave_round(base, sandbox.urls, 20, "warm", 4)
            direct_round(sandbox.urls, sandbox.env, 20, "warmd", 4)
            hub_rates, direct_rates, lat = [], [], []
            for r in range(rounds):
                rate, latencies = weave_round(base, sandbox.urls, n, f"w{r}", concurrency)
                hub_rates.append(rate)
                lat += latencies
                direct_rates.append(direct_round(sandbox.urls, sandbox.env, n, f"d{r}", concurrency))
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(30)
    hub = statistics.median(hub_rates)
    direct = statistics.median(direct_rates)
    lat.sort()
    p99 = lat[int(len(lat) * 0.99) - 1] if lat else None
    detail = {"messages": n, "rounds": rounds, "concurrency": concurrency, "hub_rounds": hub_rates,
              "direct_rounds": direct_rates, "state": "sqlite (WAL)", "spokes": ["operations", "email"]}
    return [
        {"name": "hub.messages_per_s", "value": round(hub, 1), "unit": "msg/s", "detail": detail},
        {"name": "hub.vs_direct", "value": round(hub / direct, 3), "unit": "ratio",
         "detail": {**detail, "direct_msgs_per_s": round(direct, 1)}},
        {"name": "hub.p99_ms", "value": round(p99, 1) if p99 else None, "unit": "ms",
         "detail": {"p50_ms": round(statistics.median(lat), 1) if lat else None, "samples": len(lat)}},
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for record in run(args.quick):
        print(json.dumps(record))
