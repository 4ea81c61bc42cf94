"""Fixtures of the ETL tests: a real customer service on uvicorn (tests/etl/source_app.py)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest


def load_source_app() -> ModuleType:
    """tests/etl/source_app.py, loaded by path (works whether tests/etl is imported as a package or not)."""
    name = "weave_etl_test_source_app"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("source_app.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_app = load_source_app()
BASE, BulkSink, ListStore, iso = _app.BASE, _app.BulkSink, _app.ListStore, _app.iso
make_app, serve_in_thread = _app.make_app, _app.serve_in_thread


def customer(i: int, seconds: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": i, "name": f"Customer {i}", "email": f"c{i}@example.com", "country": "DE",
        "updated_at": iso(BASE + timedelta(seconds=i if seconds is None else seconds)), **extra,
    }


@pytest.fixture
def store() -> Any:
    return ListStore([customer(i) for i in range(1, 251)])


@pytest.fixture
def sink() -> Any:
    return BulkSink()


@pytest.fixture
def source_url(store: Any, sink: Any) -> Iterator[str]:
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


# Test modules `import etl_testkit as kit`: a name that does not depend on how pytest imports this directory.
sys.modules["etl_testkit"] = SimpleNamespace(  # type: ignore[assignment]
    customer=customer, rest_source=rest_source, pg_rows=pg_rows, BASE=BASE, BulkSink=BulkSink,
    ListStore=ListStore, iso=iso, make_app=make_app, serve_in_thread=serve_in_thread,
)
