"""The `state_url` / `store` fixtures run every contract test on both backends.

SQLite uses a file in tmp_path; PostgreSQL a fresh database on the session's real server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from weave.state import StateStore, open_state


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("pg_dsn"))


@pytest.fixture
async def store(state_url: str) -> AsyncIterator[StateStore]:
    st = await open_state(state_url)
    try:
        yield st
    finally:
        await st.close()
