"""PostgreSQL backend: psycopg 3 async (imported lazily; install the `postgres` extra).

Reads use a server-side (named) cursor on their own connection and fetch in chunks; writes go
through one shared connection, one transaction per batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from weave.connectors.sql.common import adapt, group_by_columns, to_pyformat, upsert_sql
from weave.errors import TerminalError, TransientError
from weave.secrets import resolve


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise TerminalError("PostgreSQL connector needs psycopg: pip install 'weave-integrations[postgres]'") from None
    return psycopg


def _translate(exc: Exception, what: str) -> Exception:
    psycopg = _psycopg()
    errors = psycopg.errors
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    transient = (errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable,
                 errors.AdminShutdown, errors.CannotConnectNow, errors.TooManyConnections)
    if isinstance(exc, transient) or (
        isinstance(exc, psycopg.OperationalError) and not isinstance(exc, psycopg.errors.InsufficientPrivilege)
    ) or isinstance(exc, psycopg.InterfaceError):
        return TransientError(f"{what}: {type(exc).__name__}: {text}")
    return TerminalError(f"{what}: {type(exc).__name__}: {text}")


class PostgresBackend:
    dialect = "postgresql"

    def __init__(self, dsn: str, *, timeout: float = 30.0) -> None:
        self._dsn = dsn  # may hold references: resolved at connect time only
        self._timeout = timeout
        self._conn: Any = None
        self._lock = asyncio.Lock()

    async def _connect(self) -> Any:
        psycopg = _psycopg()
        try:
            return await psycopg.AsyncConnection.connect(resolve(self._dsn), connect_timeout=max(1, int(self._timeout)))
        except psycopg.Error as exc:
            # the message of a failed connection can echo the DSN: keep only the class and host-free text
            raise TransientError(f"PostgreSQL connection failed: {type(exc).__name__}") from None

    async def fetch(self, query: str, params: Mapping[str, Any], chunk_size: int) -> AsyncIterator[list[dict[str, Any]]]:
        psycopg = _psycopg()
        from psycopg.rows import dict_row

        conn = await self._connect()
        try:
            async with conn.transaction():
                async with conn.cursor(name="weave_read", row_factory=dict_row) as cur:
                    try:
                        await cur.execute(to_pyformat(query), dict(params))
                    except psycopg.Error as exc:
                        raise _translate(exc, "PostgreSQL query") from None
                    while True:
                        rows = await cur.fetchmany(chunk_size)
                        if not rows:
                            break
                        yield rows
        finally:
            await conn.close()

    async def upsert(self, table: str, records: Sequence[Mapping[str, Any]], primary_key: Sequence[str], mode: str) -> int:
        psycopg = _psycopg()
        statements = [
            (upsert_sql(table, cols, primary_key, mode=mode, placeholder="%({})s"),
             [{c: adapt(r[c]) for c in cols} for r in group])
            for cols, group in group_by_columns(records).items()
        ]
        async with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = await self._connect()
            conn = self._conn
            try:
                async with conn.transaction():
                    async with conn.cursor() as cur:
                        for sql, rows in statements:
                            await cur.executemany(sql, rows)
            except psycopg.Error as exc:
                if conn.broken:
                    self._conn = None
                raise _translate(exc, f"PostgreSQL upsert into {table}") from None
        return len(records)

    async def probe(self) -> None:
        conn = await self._connect()
        try:
            await conn.execute("SELECT 1")
        finally:
            await conn.close()

    async def aclose(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
