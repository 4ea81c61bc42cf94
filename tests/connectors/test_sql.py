"""SQL connector on real SQLite files and a real PostgreSQL server (pg_dsn fixture)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest

from weave.connectors import SystemConfig, create_connector
from weave.connectors.sql.common import quote_ident, to_pyformat, upsert_sql
from weave.errors import TerminalError, TransientError

DDL = "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, tags TEXT, updated_at TEXT)"


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[SystemConfig, Any]:
    """(system config, run-SQL function) for a fresh database with a `customers` table."""
    if request.param == "sqlite":
        path = tmp_path / "db" / "crm.sqlite"
        path.parent.mkdir()
        with sqlite3.connect(path) as conn:
            conn.execute(DDL)

        def run_sqlite(sql: str) -> list[tuple[Any, ...]]:
            with sqlite3.connect(path) as conn:
                return conn.execute(sql).fetchall()

        return SystemConfig(name="crmdb", style="sql", base_url="sqlite:///db/crm.sqlite", base_dir=str(tmp_path)), run_sqlite
    dsn = request.getfixturevalue("pg_dsn")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DDL)

    def run_pg(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(dsn, autocommit=True) as conn:
            return conn.execute(sql).fetchall()

    return SystemConfig(name="crmdb", style="sql", base_url=dsn), run_pg


ROWS = [{"id": i, "email": f"c{i}@example.com", "name": f"C{i}", "tags": ["a", "b"], "updated_at": f"2024-01-{i:02d}"}
        for i in range(1, 26)]


async def test_upsert_is_idempotent_and_updates(db: tuple[SystemConfig, Any]) -> None:
    cfg, run = db
    conn = create_connector(cfg)
    op = {"table": "customers", "primary_key": ["id"]}
    assert (await conn.write(op, ROWS)).written == 25
    assert (await conn.write(op, ROWS)).written == 25  # replay: no duplicates
    # partial records update only the columns they carry
    await conn.write(op, [{"id": 3, "email": "c3@example.com", "name": "Renamed"}, {"id": 99, "email": "n@example.com"}])
    await conn.aclose()
    assert run("SELECT count(*) FROM customers") == [(26,)]
    assert run("SELECT email, name, tags FROM customers WHERE id = 3") == [("c3@example.com", "Renamed", '["a","b"]')]


async def test_batch_is_one_transaction(db: tuple[SystemConfig, Any]) -> None:
    cfg, run = db
    conn = create_connector(cfg)
    bad = [{"id": 1, "email": "ok@example.com"}, {"id": 2, "email": None}]  # NOT NULL violation on the 2nd
    with pytest.raises(TerminalError, match="upsert into customers"):
        await conn.write({"table": "customers", "primary_key": "id"}, bad)
    assert run("SELECT count(*) FROM customers") == [(0,)]  # nothing half-written
    # the connector is still usable afterwards
    await conn.write({"table": "customers", "primary_key": "id"}, bad[:1])
    await conn.aclose()
    assert run("SELECT count(*) FROM customers") == [(1,)]


async def test_read_in_chunks_with_params_and_state(db: tuple[SystemConfig, Any]) -> None:
    cfg, _ = db
    conn = create_connector(cfg)
    await conn.write({"table": "customers", "primary_key": ["id"]}, ROWS)
    op = {"query": "SELECT id, email FROM customers WHERE updated_at > :since AND email LIKE '%@example.com' ORDER BY id",
          "params": {"since": "2024-01-00"}, "chunk_size": 10}
    pages = [p async for p in conn.read(op)]
    assert [len(p.records) for p in pages] == [10, 10, 5]
    assert [p.done for p in pages] == [False, False, True]
    assert pages[0].records[0] == {"id": 1, "email": "c1@example.com"}
    resumed = [p async for p in conn.read(op, state={"since": "2024-01-20"})]
    assert [r["id"] for p in resumed for r in p.records] == [21, 22, 23, 24, 25]
    empty = [p async for p in conn.read({**op, "params": {"since": "2099"}})]
    assert len(empty) == 1 and empty[0].records == [] and empty[0].done
    probe = await conn.probe()
    assert probe.ok
    await conn.aclose()


async def test_bad_sql_and_identifiers_are_terminal(db: tuple[SystemConfig, Any]) -> None:
    cfg, _ = db
    conn = create_connector(cfg)
    with pytest.raises(TerminalError):
        [p async for p in conn.read({"query": "SELECT * FROM nope"})]
    with pytest.raises(TerminalError, match="not a plain SQL identifier"):
        await conn.write({"table": "customers; DROP TABLE customers", "primary_key": ["id"]}, [{"id": 1, "email": "x"}])
    with pytest.raises(TerminalError, match="column 'e\"mail'"):
        await conn.write({"table": "customers", "primary_key": ["id"]}, [{"id": 1, 'e"mail': "x"}])
    with pytest.raises(TerminalError, match="lack primary key"):
        await conn.write({"table": "customers", "primary_key": ["id"]}, [{"email": "x"}])
    await conn.aclose()


async def test_unreachable_postgres_is_transient_and_hides_dsn() -> None:
    from weave.sandbox.services import free_port

    dsn = f"postgresql://admin:hunter2secret@127.0.0.1:{free_port()}/x"
    conn = create_connector(SystemConfig(name="pg", style="sql", base_url=dsn, timeout=1))
    with pytest.raises(TransientError) as info:
        await conn.write({"table": "t", "primary_key": ["id"]}, [{"id": 1}])
    assert "hunter2secret" not in str(info.value)
    probe = await conn.probe()
    assert not probe.ok and "hunter2secret" not in probe.message
    await conn.aclose()


def test_unknown_sql_scheme() -> None:
    conn = create_connector(SystemConfig(name="x", style="sql", base_url="mysql://h/db"))
    with pytest.raises(TerminalError, match="sqlite:/// or postgresql://"):
        conn._get_backend()


def test_sql_helpers() -> None:
    assert quote_ident("public.orders") == '"public"."orders"'
    assert upsert_sql("t", ["id", "a"], ["id"], mode="merge", placeholder=":{}") == (
        'INSERT INTO "t" ("id", "a") VALUES (:id, :a) ON CONFLICT ("id") DO UPDATE SET "a" = excluded."a"')
    assert upsert_sql("t", ["id"], ["id"], mode="merge", placeholder=":{}").endswith("DO NOTHING")
    assert to_pyformat("SELECT x::text, ':no' FROM t WHERE a = :a AND b LIKE '5%' AND c % 2 = :c") == (
        "SELECT x::text, ':no' FROM t WHERE a = %(a)s AND b LIKE '5%%' AND c %% 2 = %(c)s")
