"""The small seam between the store's logic (written once) and each database.

SQL is written once with ``%s`` placeholders and a ``weave_now()`` function (the store's clock:
the server's clock on PostgreSQL, the host's on SQLite). A driver runs one statement as one
transaction (``fetchall``/``fetchone``/``execute``), a statement for each of many parameter rows in
one transaction (``fetch_each``), or a multi-statement ``transaction()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

Params = Sequence[Any]
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Dialect:
    name: str  # "sqlite" | "postgresql"
    skip_locked: str  # appended to the claim query's SELECT
    lock_revisions: str | None  # statement serialising revision writers inside a transaction
    lock_migrations: str | None  # statement serialising schema migrations inside a transaction


class Tx(Protocol):
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def execute(self, sql: str, params: Params = ()) -> int: ...


class Driver(Protocol):
    dialect: Dialect

    async def fetchall(self, sql: str, params: Params = (), *, write: bool = False) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Params = (), *, write: bool = False) -> Row | None: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a write statement in its own transaction; the number of rows it touched."""
        ...

    async def fetch_each(self, sql: str, rows: Sequence[Params]) -> list[Row]:
        """Run ``sql`` once per parameter row in one transaction; the first result row of each."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Tx]: ...

    async def close(self) -> None: ...


def placeholders(n: int) -> str:
    """``%s, %s, ...`` for an ``IN (...)`` list of n values."""
    return ", ".join(["%s"] * n)


def greatest(column: str, table: str) -> str:
    """Portable NULL-ignoring max(table.column, excluded.column) for ON CONFLICT updates."""
    old, new = f"{table}.{column}", f"excluded.{column}"
    return f"CASE WHEN {new} IS NULL THEN {old} WHEN {old} IS NULL OR {new} > {old} THEN {new} ELSE {old} END"
