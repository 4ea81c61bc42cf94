"""Fixtures of the ETL tests: a real customer service on uvicorn (tests/etl/source_app.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from .source_app import BASE, BulkSink, ListStore, iso, make_app, serve_in_thread


def customer(i: int, seconds: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": i, "name": f"Customer {i}", "email": f"c{i}@example.com", "country": "DE",
        "updated_at": iso(BASE + timedelta(seconds=i if seconds is None else seconds)), **extra,
    }


@pytest.fixture
def store() -> ListStore:
    return ListStore([customer(i) for i in range(1, 251)])


@pytest.fixture
def sink() -> BulkSink:
    return BulkSink()


@pytest.fixture
def source_url(store: ListStore, sink: BulkSink) -> Iterator[str]:
    with serve_in_thread(make_app(store, sink)) as url:
        yield url


def rest_source(url: str, path: str = "/offset", *, limit: int = 50, cursor_param: str | None = "updated_since",
                **kwargs: Any) -> Any:
    """A RestSource over the test service's offset route (pages of `limit`, total announced)."""
    import httpx

    from weave.etl import Pagination, RestSource

    pagination = kwargs.pop("pagination", None) or Pagination(type="offset", limit=limit, total="total")
    return RestSource(httpx.AsyncClient(base_url=url), path, records=kwargs.pop("records", "data"),
                      pagination=pagination, cursor_param=cursor_param, **kwargs)


def pg_rows(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()
