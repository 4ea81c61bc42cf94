"""Bus fixtures: every contract test runs on the embedded SQLite file and on the session's real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from weave.bus import EventBus, open_bus


@pytest.fixture(params=["sqlite", "redis"])
def bus_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/state.db"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
async def bus(bus_url: str) -> AsyncIterator[EventBus]:
    opened = await open_bus(bus_url)
    try:
        yield opened
    finally:
        await opened.close()
