"""SQLite driver: one connection on one dedicated thread, WAL, ``BEGIN IMMEDIATE`` for writes.

Inside a process, every statement runs on the store's single thread, and an ``asyncio.Lock``
keeps a multi-statement transaction from interleaving with other tasks. Across processes,
SQLite's file locks serialise writers: ``BEGIN IMMEDIATE`` takes the write lock up front (so a
read never has to be upgraded mid-transaction) and ``busy_timeout`` makes a second writer wait
instead of failing.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from weave.state._driver import Dialect, Params, Row, Tx
from weave.state._types import StateError, StateUnavailableError

T = TypeVar("T")

DIALECT = Dialect(name="sqlite", skip_locked="", lock_revisions=None, lock_migrations=None)
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


@lru_cache(maxsize=512)
def _q(sql: str) -> str:
    return sql.replace("%s", "?")


class SqliteDriver:
    dialect = DIALECT

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL", busy_timeout: float = 30.0) -> None:
        if synchronous.upper() not in SYNCHRONOUS:
            raise StateError(f"unknown sqlite synchronous mode {synchronous!r}; known: {', '.join(SYNCHRONOUS)}")
        self.path = str(path)
        self._synchronous = synchronous.upper()
        self._busy_timeout = busy_timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weave-sqlite")
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    # -- lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        await self._call(self._connect)

    def _connect(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(
                self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise StateError(f"cannot open SQLite state at {self.path}: {exc}") from exc
        conn.create_function("weave_now", 0, time.time)
        self._conn = conn

    async def close(self) -> None:
        if self._conn is not None:
            async with self._lock:
                await self._call(self._conn.close)
            self._conn = None
        self._executor.shutdown(wait=True)

    # -- running statements ----------------------------------------------------------------
    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except sqlite3.IntegrityError as exc:
            raise StateError(f"conflicts with stored state: {exc}") from exc
        except sqlite3.OperationalError as exc:
            raise StateUnavailableError(f"SQLite state at {self.path}: {exc}") from exc
        except sqlite3.Error as exc:
            raise StateError(f"SQLite state at {self.path}: {exc}") from exc

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StateError("the SQLite state store is closed")
        return self._conn

    def _in_tx(self, fn: Callable[[sqlite3.Connection], T], write: bool) -> T:
        conn = self._db()
        if not write:
            return fn(conn)
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    async def _run(self, fn: Callable[[sqlite3.Connection], T], write: bool) -> T:
        self._db()  # fail fast, in this thread, when closed
        async with self._lock:
            return await self._call(self._in_tx, fn, write)

    async def fetchall(self, sql: str, params: Params = (), *, write: bool = False) -> list[Row]:
        return await self._run(lambda c: c.execute(_q(sql), params).fetchall(), write)

    async def fetchone(self, sql: str, params: Params = (), *, write: bool = False) -> Row | None:
        def one(c: sqlite3.Connection) -> Row | None:
            cur = c.execute(_q(sql), params)
            row = cur.fetchone()
            cur.fetchall()  # finish the statement (RETURNING rows are produced eagerly anyway)
            return row  # type: ignore[no-any-return]

        return await self._run(one, write)

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._run(lambda c: c.execute(_q(sql), params).rowcount, True)

    async def fetch_each(self, sql: str, rows: Sequence[Params]) -> list[Row]:
        def each(c: sqlite3.Connection) -> list[Row]:
            out: list[Row] = []
            for params in rows:
                found = c.execute(_q(sql), params).fetchall()
                out.append(found[0] if found else ())
            return out

        return await self._run(each, True)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        self._db()
        async with self._lock:
            await self._call(lambda: self._db().execute("BEGIN IMMEDIATE"))
            try:
                yield _SqliteTx(self)
            except BaseException:
                await asyncio.shield(self._call(lambda: self._db().execute("ROLLBACK")))
                raise
            await self._call(lambda: self._db().execute("COMMIT"))


class _SqliteTx:
    def __init__(self, driver: SqliteDriver) -> None:
        self._d = driver

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._d._call(lambda: self._d._db().execute(_q(sql), params).fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._d._call(lambda: self._d._db().execute(_q(sql), params).rowcount)
