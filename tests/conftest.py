"""Shared fixtures: real throwaway PostgreSQL and Redis servers, started once per session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from weave.sandbox.services import PostgresServer, RedisServer, postgres_server, redis_server

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"

_db_counter = itertools.count()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def pg_dsn(pg_server: PostgresServer) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return pg_server.create_database(f"t{next(_db_counter)}")


@pytest.fixture(scope="session")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
def redis_url(redis_srv: RedisServer) -> Iterator[str]:
    """The session's Redis, flushed before each test."""
    import redis

    client = redis.Redis.from_url(redis_srv.url)
    client.flushall()
    client.close()
    yield redis_srv.url
