"""The simulated systems (shared with the runtime tests) and a deployed example ecosystem."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.runtime.conftest import cluster, sandbox_env  # noqa: F401 - fixtures reused here
from tests.runtime.support import apply_specs

EVENT_DRIVEN = ("crm-order-events", "order-to-fulfillment", "order-to-erp", "crm-case-events",
                "case-resolved-survey", "case-resolved-archive", "case-resolved-marketing")


@pytest.fixture(params=["embedded", "redis"])
def bus_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "embedded":
        return f"sqlite:///{tmp_path}/state.db"
    return str(request.getfixturevalue("redis_url"))


@pytest.fixture
def deployed(tmp_path: Path, repo_root: Path, sandbox_env: dict[str, str]) -> str:  # noqa: F811
    state_url = f"sqlite:///{tmp_path}/state.db"
    asyncio.run(apply_specs(repo_root / "specs", state_url, only=EVENT_DRIVEN))
    return state_url
