"""Fixtures for runtime end-to-end tests: the simulated systems and their environment."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.runtime.support import HOOK_SECRET
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
