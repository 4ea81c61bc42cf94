"""The `state_url` / `store` fixtures run every contract test on both backends.

SQLite uses a file in tmp_path. PostgreSQL uses one database on the session's real server, migrated
once and emptied (TRUNCATE ... RESTART IDENTITY) before each test: as good as fresh for the contract,
and far cheaper than a CREATE DATABASE per test. Tests about first-time migration take
`fresh_state_url` instead, a brand-new database (or file) each time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from weave.sandbox.services import PostgresServer
from weave.state import StateStore, open_state


@pytest.fixture(scope="session")
def shared_pg_dsn(pg_server: PostgresServer) -> str:
    return pg_server.create_database("weave_state_contract")


def _empty(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename LIKE 'weave%%' AND tablename <> 'weave_schema_migrations'"
            )
        ]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    dsn = str(request.getfixturevalue("shared_pg_dsn"))
    _empty(dsn)
    return dsn


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return str(request.getfixturevalue("pg_dsn"))


@pytest.fixture
async def store(state_url: str) -> AsyncIterator[StateStore]:
    st = await open_state(state_url)
    try:
        yield st
    finally:
        await st.close()
