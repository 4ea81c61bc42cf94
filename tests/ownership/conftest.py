"""Fixtures for ownership tests: the simulated systems (as in tests/runtime) and real local receivers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.ownership.receivers import HttpReceiver, SmtpReceiver
from tests.runtime.support import HOOK_SECRET
from weave.sandbox.cluster import SandboxCluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[SandboxCluster]:
    with SandboxCluster(["crm", "operations"]) as running:
        yield running


@pytest.fixture
def sandbox_env(cluster: SandboxCluster, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in cluster.names:
        httpx.post(f"{cluster.urls[name]}/_reset").raise_for_status()
        httpx.delete(f"{cluster.urls[name]}/_faults").raise_for_status()
    env = {**cluster.env(), "HOOK_SECRET": HOOK_SECRET}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver
