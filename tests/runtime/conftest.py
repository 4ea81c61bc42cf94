"""Fixtures for runtime end-to-end tests: the simulated systems and their environment, the bus backends, and
the example ecosystem's event-driven integrations deployed (shared with tests/events)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.runtime.support import HOOK_SECRET, apply_specs
from weave.sandbox.cluster import SandboxCluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[SandboxCluster]:
    with SandboxCluster(["crm", "operations", "email", "erp", "marketing", "documents", "payments",
                         "telephony"]) as running:
        yield running


@pytest.fixture
def sandbox_env(cluster: SandboxCluster, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in cluster.names:
        httpx.post(f"{cluster.urls[name]}/_reset").raise_for_status()
    env = {**cluster.env(), "HOOK_SECRET": HOOK_SECRET}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


EVENT_DRIVEN = ("crm-order-events", "order-to-fulfillment", "order-to-erp", "crm-case-events",
                "case-resolved-survey", "case-resolved-archive", "case-resolved-marketing")


@pytest.fixture(params=["embedded", "redis"])
def bus_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "embedded":
        return f"sqlite:///{tmp_path}/state.db"
    return str(request.getfixturevalue("redis_url"))


@pytest.fixture
def deployed(tmp_path: Path, repo_root: Path, sandbox_env: dict[str, str]) -> str:
    state_url = f"sqlite:///{tmp_path}/state.db"
    asyncio.run(apply_specs(repo_root / "specs", state_url, only=EVENT_DRIVEN))
    return state_url
