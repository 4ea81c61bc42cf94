"""PostgreSQL driver: psycopg 3 (async) with a psycopg_pool connection pool, imported lazily.

Pooled connections are in autocommit mode, so a single statement is its own transaction;
``transaction()`` pins one connection for a multi-statement transaction. Queue claims use
``FOR UPDATE SKIP LOCKED``; revision writers serialise on a table lock.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from weave.state._driver import Dialect, Params, Row, Tx
from weave.state._types import StateError, StateUnavailableError

T = TypeVar("T")
RETRIES = 5  # for statements PostgreSQL rolled back to break a deadlock

DIALECT = Dialect(
    name="postgresql",
    skip_locked=" FOR UPDATE SKIP LOCKED",
    lock_revisions="LOCK TABLE weave_revisions IN SHARE ROW EXCLUSIVE MODE",
    lock_migrations="SELECT pg_advisory_xact_lock(5713243)",
)


def redact_dsn(dsn: str) -> str:
    """The DSN without a password, for error messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", re.sub(r"password=\S+", "password=***", dsn))


@contextmanager
def _translated(dsn: str) -> Iterator[None]:
    """psycopg and pool errors become StateError / StateUnavailableError (retryable)."""
    try:
        yield
    except StateError:
        raise
    except Exception as exc:
        import psycopg
        from psycopg_pool import PoolTimeout

        if isinstance(exc, psycopg.errors.IntegrityError):
            raise StateError(f"conflicts with stored state: {exc}") from exc
        if isinstance(exc, psycopg.OperationalError | PoolTimeout):
            raise StateUnavailableError(f"PostgreSQL state at {redact_dsn(dsn)}: {exc}") from exc
        if isinstance(exc, psycopg.Error):
            raise StateError(f"PostgreSQL state at {redact_dsn(dsn)}: {exc}") from exc
        raise


class PostgresDriver:
    dialect = DIALECT

    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 10, connect_timeout: float = 10.0) -> None:
        self.dsn = dsn
        self._min = min_size
        self._max = max(max_size, min_size)
        self._timeout = connect_timeout
        self._pool: Any = None

    async def open(self) -> None:
        try:
            import psycopg  # lazy: the embedded default never needs it
            from psycopg_pool import AsyncConnectionPool
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise StateError(
                "the PostgreSQL state store needs psycopg and psycopg-pool: pip install 'weave-integrations[postgres]'"
            ) from exc
        try:  # one direct attempt first: fails fast, with libpq's own reason (refused, bad password ...)
            probe = await psycopg.AsyncConnection.connect(self.dsn, connect_timeout=max(1, int(self._timeout)))
            await probe.close()
        except psycopg.Error as exc:
            raise StateUnavailableError(
                f"cannot connect to the PostgreSQL state at {redact_dsn(self.dsn)}: {str(exc).strip()}"
            ) from exc
        pool = AsyncConnectionPool(
            self.dsn,
            min_size=self._min,
            max_size=self._max,
            kwargs={"autocommit": True},
            open=False,
            timeout=self._timeout,
            name="weave-state",
        )
        try:
            await pool.open(wait=True, timeout=self._timeout)
        except Exception as exc:
            await pool.close()
            raise StateUnavailableError(
                f"cannot connect to the PostgreSQL state at {redact_dsn(self.dsn)}: {exc}"
            ) from exc
        self._pool = pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _p(self) -> Any:
        if self._pool is None:
            raise StateError("the PostgreSQL state store is closed")
        return self._pool

    async def _retrying(self, run: Callable[[Any], Awaitable[T]]) -> T:
        """Run `run(conn)`; a deadlock or serialisation failure rolled it back, so run it again."""
        import psycopg

        with _translated(self.dsn):
            for attempt in range(RETRIES):
                try:
                    async with self._p().connection() as conn:
                        return await run(conn)
                except psycopg.errors.TransactionRollback:
                    if attempt == RETRIES - 1:
                        raise
                    await asyncio.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    async def fetchall(self, sql: str, params: Params = (), *, write: bool = False) -> list[Row]:
        async def run(conn: Any) -> list[Row]:
            cur = await conn.execute(sql, params)
            return await cur.fetchall() if cur.description else []  # type: ignore[no-any-return]

        return await self._retrying(run)

    async def fetchone(self, sql: str, params: Params = (), *, write: bool = False) -> Row | None:
        rows = await self.fetchall(sql, params, write=write)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Params = ()) -> int:
        async def run(conn: Any) -> int:
            cur = await conn.execute(sql, params)
            return int(cur.rowcount)

        return await self._retrying(run)

    async def fetch_each(self, sql: str, rows: Sequence[Params]) -> list[Row]:
        if not rows:
            return []

        async def run(conn: Any) -> list[Row]:
            out: list[Row] = []
            async with conn.transaction(), conn.cursor() as cur:
                await cur.executemany(sql, rows, returning=True)
                while True:
                    found = await cur.fetchone()
                    out.append(found if found is not None else ())
                    if not cur.nextset():
                        break
            return out

        return await self._retrying(run)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        with _translated(self.dsn):
            async with self._p().connection() as conn, conn.transaction():
                yield _PgTx(conn)


class _PgTx:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        cur = await self._conn.execute(sql, params)
        return await cur.fetchall() if cur.description else []  # type: ignore[no-any-return]

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Params = ()) -> int:
        cur = await self._conn.execute(sql, params)
        return int(cur.rowcount)
