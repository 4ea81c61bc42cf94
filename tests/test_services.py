"""The throwaway services the other tests rely on actually start and answer."""

from __future__ import annotations

import psycopg
import redis


def test_postgres_fixture_answers(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT 1 + 1").fetchone() == (2,)


def test_redis_fixture_answers(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set("k", "v")
    assert client.get("k") == b"v"
