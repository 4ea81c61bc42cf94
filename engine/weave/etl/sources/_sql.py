"""SQL extract: PostgreSQL through a server-side (named) cursor, SQLite through `fetchmany`.

With an incremental cursor the query is wrapped so it reads in keyset order:
``SELECT * FROM (<query>) q WHERE (field, tie) > (v, t) ORDER BY field, tie`` (or ``field >= lower`` inside a
lag window). Resuming a crashed run continues after the last committed key. Without a cursor the position
is a row count and a resumed run skips that many rows, so the query must have a deterministic ORDER BY.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from weave.etl._cursor import CursorSpec
from weave.etl._types import ExtractRequest, Page, Position


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _wrap(query: str, cursor: CursorSpec | None, request: ExtractRequest, ph: str) -> tuple[str, list[Any]]:
    """The query to run and its parameters, with `ph` as the placeholder (%s or ?)."""
    inner = query.strip().rstrip(";")
    pos = request.position or {}
    if cursor is None:
        skip = int(pos.get("rows", 0))
        return (f"SELECT * FROM ({inner}) AS _weave_q OFFSET {skip}" if skip else inner), []
    f = quote_ident(cursor.field)
    order = f if cursor.tie_breaker is None else f"{f}, {quote_ident(cursor.tie_breaker)}"
    where, params = "", []
    after = pos.get("after")
    if after is not None or (request.lower_tie is not None and request.lower_bound is not None):
        key = after if after is not None else [request.lower_bound, request.lower_tie]
        if cursor.tie_breaker is None:
            where, params = f"WHERE {f} > {ph}", [key[0]]
        else:
            where = f"WHERE ({f}, {quote_ident(cursor.tie_breaker)}) > ({ph}, {ph})"
            params = [key[0], key[1]]
    elif request.lower_bound is not None:
        where, params = f"WHERE {f} >= {ph}", [request.lower_bound]
    return f"SELECT * FROM ({inner}) AS _weave_q {where} ORDER BY {order}", params


def _position(cursor: CursorSpec | None, rows: list[dict[str, Any]], done: int) -> Position:
    if cursor is None:
        return {"rows": done}
    return {"after": cursor.raw(rows[-1])}


@dataclass
class PostgresSource:
    dsn: str
    query: str
    cursor: CursorSpec | None = None
    fetch_size: int = 5000
    name: str = "postgres"

    async def pages(self, request: ExtractRequest) -> AsyncIterator[Page]:
        import psycopg

        sql, params = _wrap(self.query, self.cursor, request, "%s")
        done = int((request.position or {}).get("rows", 0))
        async with await psycopg.AsyncConnection.connect(self.dsn) as conn:
            async with conn.transaction(), conn.cursor(name="weave_etl_extract") as cur:
                await cur.execute(sql, params or None)
                while True:
                    rows = await cur.fetchmany(self.fetch_size)
                    if not rows:
                        yield Page([], None)
                        return
                    cols = [d.name for d in cur.description or ()]
                    records = [dict(zip(cols, r, strict=True)) for r in rows]
                    done += len(records)
                    yield Page(records, _position(self.cursor, records, done))

    async def aclose(self) -> None:
        return None


@dataclass
class SqliteSource:
    path: str
    query: str
    cursor: CursorSpec | None = None
    fetch_size: int = 5000
    name: str = "sqlite"

    async def pages(self, request: ExtractRequest) -> AsyncIterator[Page]:
        sql, params = _wrap(self.query, self.cursor, request, "?")
        sql = sql.replace(" OFFSET ", " LIMIT -1 OFFSET ")
        done = int((request.position or {}).get("rows", 0))
        conn = await asyncio.to_thread(sqlite3.connect, self.path, check_same_thread=False)
        try:
            cur = await asyncio.to_thread(conn.execute, sql, params)
            cols = [d[0] for d in cur.description or ()]
            while True:
                rows = await asyncio.to_thread(cur.fetchmany, self.fetch_size)
                if not rows:
                    yield Page([], None)
                    return
                records = [dict(zip(cols, r, strict=True)) for r in rows]
                done += len(records)
                yield Page(records, _position(self.cursor, records, done))
        finally:
            await asyncio.to_thread(conn.close)

    async def aclose(self) -> None:
        return None
