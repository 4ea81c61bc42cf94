"""SQLite driver: one connection on one dedicated thread, WAL, ``BEGIN IMMEDIATE`` for writes.

Inside a process, every statement runs on the store's single thread, and an ``asyncio.Lock``
keeps a multi-statement transaction from interleaving with other tasks. Across processes,
SQLite's file locks serialise writers: ``BEGIN IMMEDIATE`` takes the write lock up front (so a
read never has to be upgraded mid-transaction) and ``busy_timeout`` makes a second writer wait
instead of failing.

Writes are group-committed: while one transaction runs on the thread, the writes that arrive
meanwhile queue up and then share one ``BEGIN IMMEDIATE ... COMMIT`` (a SAVEPOINT each), so many
concurrent webhook ingests cost one commit (and, with ``synchronous=full``, one fsync) per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
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
MAX_BATCH = 256  # writes per group commit

_Request = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]


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
        self._pending: list[_Request] = []

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
    def _translate(self, exc: BaseException) -> BaseException:
        if isinstance(exc, sqlite3.IntegrityError):
            return StateError(f"conflicts with stored state: {exc}")
        if isinstance(exc, sqlite3.OperationalError):
            return StateUnavailableError(f"SQLite state at {self.path}: {exc}")
        if isinstance(exc, sqlite3.Error):
            return StateError(f"SQLite state at {self.path}: {exc}")
        return exc

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StateError("the SQLite state store is closed")
        return self._conn

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        self._db()  # fail fast, in this thread, when closed
        async with self._lock:
            return await self._call(fn, self._db())

    async def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Group commit: writes waiting while another batch runs share the next transaction.

        Each write runs in its own SAVEPOINT, so one failing write does not undo the others, and
        every caller returns only after the COMMIT that holds its write.
        """
        self._db()
        loop = asyncio.get_running_loop()
        mine: asyncio.Future[Any] = loop.create_future()
        self._pending.append((fn, mine))
        async with self._lock:
            if not mine.done():
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                running = loop.run_in_executor(self._executor, self._run_batch, batch)
                running.add_done_callback(lambda done: self._settle(batch, done))
                with contextlib.suppress(Exception):  # failures reach every waiter through _settle
                    await asyncio.shield(running)  # and a cancelled leader must not strand the others
        return await mine

    def _run_batch(self, batch: list[_Request]) -> list[tuple[bool, Any]]:
        conn = self._db()
        outcomes: list[tuple[bool, Any]] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            if len(batch) == 1:
                try:
                    outcomes.append((True, batch[0][0](conn)))
                except Exception as exc:
                    conn.execute("ROLLBACK")
                    return [(False, exc)]
            else:
                for fn, _ in batch:
                    conn.execute("SAVEPOINT weave_write")
                    try:
                        outcomes.append((True, fn(conn)))
                    except Exception as exc:
                        conn.execute("ROLLBACK TO weave_write")
                        outcomes.append((False, exc))
                    conn.execute("RELEASE weave_write")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return outcomes

    def _settle(self, batch: list[_Request], done: asyncio.Future[list[tuple[bool, Any]]]) -> None:
        failure = done.exception() if not done.cancelled() else asyncio.CancelledError()
        outcomes = done.result() if failure is None else [(False, failure)] * len(batch)
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(self._translate(value))

    async def fetchall(self, sql: str, params: Params = (), *, write: bool = False) -> list[Row]:
        def run(c: sqlite3.Connection) -> list[Row]:
            return c.execute(_q(sql), params).fetchall()

        return await (self._write(run) if write else self._read(run))  # type: ignore[no-any-return]

    async def fetchone(self, sql: str, params: Params = (), *, write: bool = False) -> Row | None:
        rows = await self.fetchall(sql, params, write=write)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._write(lambda c: c.execute(_q(sql), params).rowcount)  # type: ignore[no-any-return]

    async def fetch_each(self, sql: str, rows: Sequence[Params]) -> list[Row]:
        def each(c: sqlite3.Connection) -> list[Row]:
            out: list[Row] = []
            for params in rows:
                found = c.execute(_q(sql), params).fetchall()
                out.append(found[0] if found else ())
            return out

        return await self._write(each)  # type: ignore[no-any-return]

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
