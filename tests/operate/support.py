"""Helpers for operational tests: `weave` as a subprocess, `weave serve` workers, polling /metrics."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.runtime.support import wait_until
from tests.support.cli import weave
from tests.support.specs import ORDER_MAP, SANDBOX_SYSTEMS, customer_sync, documents, owner, ship_orders
from weave.sandbox.services import free_port

SYSTEMS = documents(SANDBOX_SYSTEMS, owner("ops", "ops@acme.example"))
MAPPING_V2 = "{order_ref: id, channel: 'v2', lines: lines[].{sku: sku, quantity: qty}}"
OWNER = "ops-integration"  # the owner of the flows `repo_project` adds to the repository's specs

__all__ = ["MAPPING_V2", "OWNER", "SYSTEMS", "Worker", "metric_value", "repo_project", "samples", "weave",
           "write_specs"]


def write_specs(root: Path, mapping: str = ORDER_MAP, hub: bool = True) -> Path:
    """The sandbox systems, ship-orders with `mapping` and (with `hub`) customer-sync, under root/specs."""
    specs = root / "specs"
    specs.mkdir(exist_ok=True)
    (specs / "systems.yaml").write_text(SYSTEMS)
    (specs / "p2p.yaml").write_text(ship_orders(mapping))
    if hub:
        (specs / "hub.yaml").write_text(customer_sync())
    return specs


def repo_project(repo_root: Path, tmp_path: Path, *, with_ship_orders: bool = True) -> Path:
    """The repository's specs, transform library and contracts copied under tmp_path, plus customer-sync
    (and ship-orders) owned by OWNER; returns the specs folder."""
    specs = tmp_path / "specs"
    for part in ("specs", "transforms", "contracts"):  # the specs use the transform library and contracts
        shutil.copytree(repo_root / part, tmp_path / part)
    own = specs / "integrations"
    (own / "customer-sync.yaml").write_text(customer_sync(owner=OWNER))
    if with_ship_orders:
        (own / "ship-orders.yaml").write_text(ship_orders(owner=OWNER))
    return specs


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
