"""Hot reload under traffic: a running `weave serve` (subprocess) keeps taking webhooks while
`weave apply` deploys a changed mapping. Every message is delivered exactly once, and every message
sent after the switch uses the new mapping."""

from __future__ import annotations

import collections
import threading
import time
from pathlib import Path

import httpx

from tests.operate.support import MAPPING_V2, Worker, weave, write_specs
from tests.runtime.support import post_signed, received, wait_until
from tests.support.specs import ship_orders
from weave.sandbox.cluster import SandboxCluster


def order(i: int) -> dict:
    return {"id": f"ORD-{i:05d}", "lines": [{"sku": "BOLT-M8", "qty": 2}]}


def customer(i: int) -> dict:
    return {"id": f"ACC-{i:05d}", "name": f"N{i}", "tier": "gold", "contact": {"email": f"c{i}@example.com"}}


class Driver:
    """Posts orders (point-to-point) and customers (hub) until stopped; resends every 4th order once,
    like a sender retrying, which the idempotency key must absorb."""

    def __init__(self, url: str, lanes: int = 3) -> None:
        self.url = url
        self.lanes = lanes
        self.stop = threading.Event()
        self.next = iter(range(10**6))
        self.lock = threading.Lock()
        self.sent: dict[str, float] = {}  # order_ref -> time the request started
        self.customers: list[str] = []
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(lanes)]

    def run(self) -> None:
        with httpx.Client() as client:
            while not self.stop.is_set():
                with self.lock:
                    i = next(self.next)
                started = time.monotonic()
                response = post_signed(client, f"{self.url}/hooks/orders", order(i))
                if response.status_code != 200 or response.json().get("delivered") != 1:
                    self.failures.append(f"order {i}: {response.status_code} {response.text}")
                with self.lock:
                    self.sent[f"ORD-{i:05d}"] = started
                if i % 4 == 0:
                    again = post_signed(client, f"{self.url}/hooks/orders", order(i))
                    if again.status_code != 200 or again.json().get("duplicates") != 1:
                        self.failures.append(f"resend {i}: {again.status_code} {again.text}")
                if i % 3 == 0:
                    hub = post_signed(client, f"{self.url}/hooks/customers", customer(i))
                    if hub.status_code != 202:
                        self.failures.append(f"customer {i}: {hub.status_code} {hub.text}")
                    else:
                        with self.lock:
                            self.customers.append(f"VIP-KIT-ACC-{i:05d}")

    def __enter__(self) -> Driver:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def test_apply_under_traffic_loses_nothing_and_switches_mapping(cluster: SandboxCluster, sandbox_env: dict[str, str],
                                                                 tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path}/state.db"
    specs = write_specs(tmp_path)
    first = weave("apply", str(specs), "--state", state, "--auto-approve")
    assert first.returncode == 0, first.stdout + first.stderr
    # a slow target keeps requests in flight while the revision switches
    ops = cluster.urls["operations"]
    httpx.post(f"{ops}/_faults", json={"delay_ms": 15}).raise_for_status()
    with Worker("--state", state, log_path=tmp_path / "serve.log") as serve:
        serve.wait_ready()
        with Driver(serve.url) as driver:
            wait_until(lambda: len(driver.sent) >= 30, timeout=30)
            (specs / "p2p.yaml").write_text(ship_orders(MAPPING_V2))
            applied_at = time.monotonic()
            second = weave("apply", str(specs), "--state", state, "--auto-approve")
            assert second.returncode == 0, second.stdout + second.stderr
            wait_until(lambda: serve.revision() == 2, timeout=20)
            switched_at = time.monotonic()
            wait_until(lambda: sum(1 for t in list(driver.sent.values()) if t > switched_at) >= 30, timeout=30)
        assert driver.failures == []
        sent = dict(driver.sent)
        kits = set(driver.customers)
        httpx.delete(f"{ops}/_faults").raise_for_status()
        got = wait_until(lambda: (r := received(cluster, "operations")) and
                         kits <= {e["body"]["order_ref"] for e in r} and r, timeout=30)
        assert serve.terminate() == 0
    refs = collections.Counter(e["body"]["order_ref"] for e in got)
    assert {ref: n for ref, n in refs.items() if n != 1} == {}, "delivered more than once"
    assert set(refs) == set(sent) | kits, "lost or unexpected deliveries"
    bodies = {e["body"]["order_ref"]: e["body"] for e in got}
    before = [ref for ref, t in sent.items() if t < applied_at]
    after = [ref for ref, t in sent.items() if t > switched_at]
    assert before and after
    assert all("channel" not in bodies[ref] for ref in before), "old messages used the new mapping"
    assert all(bodies[ref].get("channel") == "v2" for ref in after), "new messages used the old mapping"
