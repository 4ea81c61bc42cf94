"""SQLite backend: stdlib sqlite3 run in a dedicated worker thread (one per connection)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from weave.connectors.sql.common import adapt_sqlite, group_by_columns, upsert_sql
from weave.errors import TerminalError, TransientError


def _translate(exc: sqlite3.Error, what: str) -> Exception:
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return TransientError(f"{what}: {text}")
    return TerminalError(f"{what}: {type(exc).__name__}: {text}")


class _Worker:
    """A sqlite3 connection confined to one thread."""

    def __init__(self, path: str) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="weave-sqlite")
        self._path = path
        self._conn: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            if self._path != ":memory:":
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 5000")
            self._conn = conn
        return self._conn

    async def run(self, fn: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(self._open(), *args))

    async def close(self) -> None:
        def _close(conn: sqlite3.Connection) -> None:
            conn.close()

        if self._conn is not None:
            await self.run(_close)
            self._conn = None
        self._pool.shutdown(wait=False)


class SqliteBackend:
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._writer = _Worker(path)

    async def fetch(self, query: str, params: Mapping[str, Any], chunk_size: int) -> AsyncIterator[list[dict[str, Any]]]:
        reader = _Worker(self.path)  # a read has its own connection and thread: writes never wait for it
        cursor: sqlite3.Cursor | None = None
        try:
            try:
                cursor = await reader.run(lambda conn: conn.execute(query, dict(params)))
            except sqlite3.Error as exc:
                raise _translate(exc, "SQLite query") from None
            while True:
                assert cursor is not None
                rows = await reader.run(lambda _conn, c=cursor: c.fetchmany(chunk_size))
                if not rows:
                    return
                yield [dict(row) for row in rows]
        finally:
            await reader.close()

    async def upsert(self, table: str, records: Sequence[Mapping[str, Any]], primary_key: Sequence[str], mode: str) -> int:
        statements = [
            (upsert_sql(table, cols, primary_key, mode=mode, placeholder=":{}"),
             [{c: adapt_sqlite(r[c]) for c in cols} for r in group])
            for cols, group in group_by_columns(records).items()
        ]

        def work(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, rows in statements:
                    conn.executemany(sql, rows)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return len(records)

        try:
            return int(await self._writer.run(work))
        except sqlite3.Error as exc:
            raise _translate(exc, f"SQLite upsert into {table}") from None

    async def probe(self) -> None:
        try:
            await self._writer.run(lambda conn: conn.execute("SELECT 1").fetchone())
        except sqlite3.Error as exc:
            raise _translate(exc, "SQLite probe") from None

    async def aclose(self) -> None:
        await self._writer.close()
