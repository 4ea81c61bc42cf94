"""Helpers for operational tests: `weave` as a subprocess, `weave serve` workers, polling /metrics."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.runtime.support import wait_until
from weave.sandbox.services import free_port

SYSTEMS = """\
kind: system
name: crm
owner: crm-team
role: crm
api: {style: rest, base_url: "${env:CRM_URL}", auth: {type: bearer, token: "${env:CRM_TOKEN}"}}
---
kind: system
name: operations
owner: ops
api: {style: rest, base_url: "${env:OPERATIONS_URL}", auth: {type: api-key, header: X-API-Key, key: "${env:OPERATIONS_API_KEY}"}}
---
kind: system
name: email
owner: ops
api: {style: rest, base_url: "${env:EMAIL_URL}", auth: {type: bearer, token: "${env:EMAIL_TOKEN}"}}
---
kind: owner
name: ops
contacts: {email: ops@acme.example}
"""

P2P = """\
kind: integration
name: ship-orders
owner: ops
source: crm
target: operations
direction: push
timing: near-real-time
volume: {records_per_transaction: 1, transactions_per_day: 500}
coupling: tight
trigger:
  webhook: {path: /hooks/orders, signature: {scheme: github, secret: "${env:HOOK_SECRET}"}}
steps:
  - map: "MAPPING"
idempotency_key: order_ref
delivery: {retries: 4, backoff: {initial: 50ms, max: 200ms}}
deliver:
  - target: operations
    http: {method: POST, path: /v1/fulfillment-orders}
"""

MAPPING_V1 = "{order_ref: id, lines: lines[].{sku: sku, quantity: qty}}"
MAPPING_V2 = "{order_ref: id, channel: 'v2', lines: lines[].{sku: sku, quantity: qty}}"

HUB = """\
kind: integration
name: customer-sync
owner: ops
source: crm
targets: [operations, email]
direction: push
timing: near-real-time
volume: {records_per_transaction: 1, transactions_per_day: 500}
coupling: tight
trigger:
  webhook: {path: /hooks/customers, signature: {scheme: github, secret: "${env:HOOK_SECRET}"}}
steps:
  - map: "{id: id, email: contact.email, name: name, vip: tier == 'gold'}"
idempotency_key: id
delivery: {retries: 6, backoff: {initial: 50ms, max: 200ms}}
deliver:
  - target: email
    when: "email != null"
    steps:
      - map: "{to: email, from: 'crm@acme.example', subject: join(' ', ['Welcome', name]), text: 'Hello'}"
    http: {method: POST, path: /v3/mail/send}
  - target: operations
    when: "vip"
    steps:
      - map: "{order_ref: join('-', ['VIP-KIT', id]), lines: [{sku: 'WELCOME-KIT', quantity: `1`}]}"
    http: {method: POST, path: /v1/fulfillment-orders}
"""


def write_specs(root: Path, mapping: str = MAPPING_V1, hub: bool = True) -> Path:
    specs = root / "specs"
    specs.mkdir(exist_ok=True)
    (specs / "systems.yaml").write_text(SYSTEMS)
    (specs / "p2p.yaml").write_text(P2P.replace("MAPPING", mapping))
    if hub:
        (specs / "hub.yaml").write_text(HUB)
    return specs


def weave(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
          timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "weave", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, cwd=cwd)


class Worker:
    """A `weave serve` subprocess; JSON logs go to `log_path`."""

    def __init__(self, *args: str, log_path: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "weave", "serve", "--port", str(self.port), *args],
                                     env={**os.environ, **(env or {})}, cwd=cwd,
                                     stdout=subprocess.DEVNULL, stderr=self._log)

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"weave serve exited {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 30) -> Worker:
        wait_until(self.ready, timeout=timeout, interval=0.05)
        return self

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5).text

    def revision(self) -> int:
        found = re.search(r"^weave_revision (\S+)$", self.metrics(), re.M)
        return int(float(found.group(1))) if found else 0

    def logs(self) -> list[dict[str, Any]]:
        import json

        out = []
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def terminate(self, timeout: float = 40) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


def samples(text: str, name: str, **labels: str) -> list[float]:
    """Values of the samples of `name` whose labels include `labels` (any label order)."""
    out = []
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            out.append(float(value))
    return out


def metric_value(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    return sum(samples(text, name, **labels))
