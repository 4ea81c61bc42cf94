"""One sandbox cluster per test module (in a background thread), reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from weave.sandbox import SandboxCluster

from ._util import Receiver


@pytest.fixture(scope="module")
def cluster() -> Iterator[SandboxCluster]:
    with SandboxCluster(extra={"receiver": Receiver}, options={"bulk": {"records": 5000}}) as running:
        yield running


@pytest.fixture
def sandbox(cluster: SandboxCluster) -> SandboxCluster:
    """The module's cluster with every system back in its seeded state."""
    cluster.reset()
    return cluster


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=20) as client:
        yield client
