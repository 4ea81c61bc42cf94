"""Every extract source end to end: all REST pagination styles (real uvicorn), PostgreSQL server-side cursor,
SQLite, CSV/JSONL files and SOAP paged list calls."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import etl_testkit as kit
import httpx
import orjson
import psycopg
import pytest

from weave.errors import TerminalError, TransientError
from weave.etl import (
    BatchJob,
    CursorSpec,
    FileSource,
    Pagination,
    PostgresSource,
    PostgresTarget,
    SoapSource,
    SqliteSource,
    SqliteTarget,
)

STYLES = {
    "offset": ("/offset", "data", Pagination(type="offset", limit=40, total="total")),
    "page": ("/page", "data", Pagination(type="page", limit=40, size_param="per_page", total="total")),
    "cursor": ("/cursor", "data", Pagination(type="cursor", next="meta.next")),
    "link": ("/link?limit=40", None, Pagination(type="link")),
    "next_url": ("/next?limit=40", "items", Pagination(type="next_url", next="next")),
    "offset-ahead": ("/offset", "data", Pagination(type="offset", limit=40, total="total")),
    "page-ahead": ("/page", "data", Pagination(type="page", limit=40, size_param="per_page", total="total")),
}


def sqlite_ids(db: str) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM customers ORDER BY id")]


@pytest.mark.parametrize("style", sorted(STYLES))
async def test_every_pagination_style_reads_every_record_once(source_url: str, tmp_path: Path, style: str) -> None:
    path, records, pagination = STYLES[style]
    params = {"limit": 40} if style == "cursor" else {}
    concurrency = 3 if style.endswith("-ahead") else 1  # requests in flight, pages still in order
    db = str(tmp_path / "t.db")
    pages: list[int] = []
    result = await BatchJob(
        style, kit.rest_source(source_url, path, records=records, pagination=pagination, params=params,
                               concurrency=concurrency),
        SqliteTarget(db, "customers", primary_key=(), mode="insert"), chunk_size=100,
        on_chunk=lambda rows, total: pages.append(rows),
    ).run()
    assert result.counts.loaded == 250
    assert sqlite_ids(db) == list(range(1, 251))
    assert pages[-1] == 250 and len(pages) >= 2


async def test_incremental_bound_reaches_link_style_sources(source_url: str, tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    path, records, pagination = STYLES["link"]
    result = await BatchJob(
        "link", kit.rest_source(source_url, path, records=records, pagination=pagination),
        SqliteTarget(db, "customers", primary_key=("id",)), chunk_size=100,
        cursor=CursorSpec("updated_at", "id", initial="2024-01-01T00:03:20Z"),
    ).run()
    assert result.counts.extracted == 51 and sqlite_ids(db)[0] == 200


async def test_rest_4xx_is_terminal_with_the_status(source_url: str, tmp_path: Path) -> None:
    with pytest.raises(TerminalError, match="HTTP 404"):
        await BatchJob("x", kit.rest_source(source_url, "/missing"), SqliteTarget(str(tmp_path / "t.db"), "c", mode="insert")).run()


async def test_postgres_server_side_cursor_incremental_keyset(pg_dsn: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("CREATE TABLE src (id int PRIMARY KEY, name text, updated_at timestamptz)")
        conn.execute(
            "INSERT INTO src SELECT g, 'n' || g, timestamptz '2024-01-01' + g * interval '1 minute' "
            "FROM generate_series(1, 2000) g"
        )
    db = str(tmp_path / "t.db")

    def make() -> BatchJob:
        return BatchJob(
            "pg-src", PostgresSource(pg_dsn, "SELECT id, name, updated_at FROM src", CursorSpec("updated_at", "id"),
                                     fetch_size=300),
            SqliteTarget(db, "customers", primary_key=("id",)), cursor=CursorSpec("updated_at", "id"), chunk_size=500,
        )

    first = await make().run()
    assert first.counts.loaded == 2000 and first.chunks == 4  # pages of 300 make chunks of 600,600,600,200
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("UPDATE src SET name = 'changed', updated_at = updated_at + interval '1 year' WHERE id IN (5, 6)")
        conn.execute("INSERT INTO src VALUES (2001, 'new', timestamptz '2024-01-01' + 2000 * interval '1 minute')")
    second = await make().run()
    assert second.counts.extracted == 3  # keyset (updated_at, id) > cursor: only the changes
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), sum(name = 'changed') FROM customers").fetchone() == (2001, 2)


async def test_sqlite_source_into_postgres_with_resume_by_row_count(pg_dsn: str, tmp_path: Path) -> None:
    src = str(tmp_path / "src.db")
    with sqlite3.connect(src) as conn:
        conn.execute("CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT)")
        conn.executemany("INSERT INTO s VALUES (?, ?)", [(i, f"v{i}") for i in range(1, 701)])
    calls = {"n": 0}

    def flaky(record: dict[str, Any]) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 450:
            raise TransientError("the run breaks off here")  # not a bad record: the run stops
        return record

    def make(transform: Any = None) -> BatchJob:
        return BatchJob("lite", SqliteSource(src, "SELECT id, v FROM s ORDER BY id", fetch_size=100),
                        PostgresTarget(pg_dsn, "s_copy", mode="insert"), transform=transform, chunk_size=200)

    with pytest.raises(TransientError):
        await make(flaky).run()
    assert kit.pg_rows(pg_dsn, "SELECT count(*) FROM s_copy") == [(400,)]
    result = await make().run()
    assert result.resumed and result.counts.extracted == 700
    assert kit.pg_rows(pg_dsn, "SELECT count(*), count(DISTINCT id) FROM s_copy") == [(700, 700)]


async def test_csv_and_jsonl_files_by_glob(tmp_path: Path, pg_dsn: str) -> None:
    (tmp_path / "a.csv").write_text('id,name,note\n1,Ann,"multi\nline"\n2,Bob,plain\n')
    (tmp_path / "b.csv").write_text("id,name,note\n3,Cid,x\n")
    (tmp_path / "c.jsonl").write_text("".join(orjson.dumps(kit.customer(i)).decode() + "\n" for i in range(1, 8)) + "\n")
    csv_run = await BatchJob("csv", FileSource(str(tmp_path / "*.csv"), "csv", page_size=2),
                             PostgresTarget(pg_dsn, "people", primary_key=("id",))).run()
    assert csv_run.counts.loaded == 3
    assert kit.pg_rows(pg_dsn, "SELECT note FROM people WHERE id = '1'") == [("multi\nline",)]
    jsonl_run = await BatchJob("jsonl", FileSource(str(tmp_path / "c.jsonl"), "jsonl", page_size=3),
                               PostgresTarget(pg_dsn, "customers", primary_key=("id",))).run()
    assert jsonl_run.counts.loaded == 7
    assert kit.pg_rows(pg_dsn, "SELECT pg_typeof(id)::text FROM customers LIMIT 1") == [("bigint",)]
    (tmp_path / "bad.jsonl").write_text('{"id": 1}\nnot json\n')
    with pytest.raises(TerminalError, match="bad.jsonl:2"):
        await BatchJob("bad", FileSource(str(tmp_path / "bad.jsonl"), "jsonl"),
                       PostgresTarget(pg_dsn, "bad", primary_key=("id",))).run()


ENVELOPE = """<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:erp="urn:erp">
<soapenv:Body><erp:ListCustomers><erp:page>{{ page }}</erp:page><erp:pageSize>{{ page_size }}</erp:pageSize>
</erp:ListCustomers></soapenv:Body></soapenv:Envelope>"""


async def test_soap_paged_list_calls(source_url: str, tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    source = SoapSource(httpx.AsyncClient(base_url=source_url), "/soap", ENVELOPE,
                        records="Envelope.Body.ListCustomersResponse.customers.customer",
                        soap_action="urn:erp/ListCustomers", page_size=60)
    result = await BatchJob("soap", source, SqliteTarget(db, "customers", primary_key=("id",)), chunk_size=100).run()
    assert result.counts.loaded == 250
    assert sorted(int(i) for i in sqlite_ids(db)) == list(range(1, 251))  # SOAP values arrive as text
    with pytest.raises(TerminalError, match="fault page and pageSize required"):
        bad = SoapSource(httpx.AsyncClient(base_url=source_url), "/soap", "<x/>", records="a.b", soap_action="urn:x")
        await BatchJob("soap-bad", bad, SqliteTarget(db, "other", mode="insert")).run()


@pytest.mark.parametrize(
    ("path", "records", "config", "params"),
    [
        ("/offset", "data", {"type": "offset", "limit": 40, "total": "total"}, {}),
        ("/page", "data", {"type": "page", "size": 40, "size_param": "per_page"}, {}),
        ("/cursor", "data", {"type": "cursor", "next": "meta.next"}, {"limit": 40}),
        ("/next?limit=40", "items", {"type": "cursor", "next": "next"}, {}),  # a next URL in the body
        ("/link?limit=40", None, {"type": "link"}, {}),
    ],
)
async def test_connector_paginators_drive_the_rest_source(
    source_url: str, tmp_path: Path, path: str, records: str | None, config: dict[str, Any], params: dict[str, Any]
) -> None:
    from weave.connectors.http.pagination import build_paginator

    db = str(tmp_path / "t.db")
    source = kit.rest_source(source_url, path, records=records, params=params, paginator=build_paginator(config))
    result = await BatchJob(config["type"], source, SqliteTarget(db, "customers", mode="insert"), chunk_size=100).run()
    assert result.counts.loaded == 250
    assert sqlite_ids(db) == list(range(1, 251))
