"""SQL shared by both backends: identifier checks, upsert statements, value adaptation, params."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from weave.errors import TerminalError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARAM = re.compile(r"('(?:[^']|'')*')|(::)|(?<![:\w]):([A-Za-z_]\w*)|(%)")


def quote_ident(name: str, what: str = "identifier") -> str:
    """`"name"` for a plain identifier, `"schema"."table"` for a dotted one; anything else is refused."""
    parts = str(name).split(".")
    if not 1 <= len(parts) <= 2 or not all(_IDENT.match(p) for p in parts):
        raise TerminalError(f"{what} {name!r} is not a plain SQL identifier (letters, digits, _; optionally schema.name)")
    return ".".join(f'"{p}"' for p in parts)


def upsert_sql(
    table: str, columns: Sequence[str], primary_key: Sequence[str], *, mode: str, placeholder: str
) -> str:
    """INSERT … ON CONFLICT (pk) DO UPDATE SET c = excluded.c (mode merge) or a plain INSERT.

    `placeholder` is a format string taking the column name: `:{}` for SQLite, `%({})s` for psycopg.
    """
    cols = [quote_ident(c, "column") for c in columns]
    values = ", ".join(placeholder.format(c) for c in columns)
    sql = f"INSERT INTO {quote_ident(table, 'table')} ({', '.join(cols)}) VALUES ({values})"
    if mode == "insert":
        return sql
    if not primary_key:
        raise TerminalError(f"writing {table!r} with mode {mode!r} needs `primary_key:`")
    missing = [k for k in primary_key if k not in columns]
    if missing:
        raise TerminalError(f"records for {table!r} lack primary key column(s) {', '.join(missing)}")
    pk = ", ".join(quote_ident(k, "column") for k in primary_key)
    updates = [f"{quote_ident(c)} = excluded.{quote_ident(c)}" for c in columns if c not in primary_key]
    if not updates:
        return f"{sql} ON CONFLICT ({pk}) DO NOTHING"
    return f"{sql} ON CONFLICT ({pk}) DO UPDATE SET {', '.join(updates)}"


def adapt(value: Any, *, json_types: bool = True) -> Any:
    """Values as both drivers take them: nested data as JSON text; dates as ISO text for SQLite."""
    if isinstance(value, dict | list) and json_types:
        return orjson.dumps(value).decode()
    return value


def adapt_sqlite(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def group_by_columns(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, ...], list[Mapping[str, Any]]]:
    """Records grouped by their key set (order kept), so a missing key never overwrites a column with NULL."""
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for record in records:
        groups.setdefault(tuple(record.keys()), []).append(record)
    return groups


def to_pyformat(query: str) -> str:
    """`:name` parameters → psycopg's `%(name)s`; `::casts`, quoted strings and `%` are kept safe."""

    def sub(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1).replace("%", "%%")  # psycopg reads % even inside literals
        if match.group(2):
            return match.group(0)
        if match.group(4):
            return "%%"
        return f"%({match.group(3)})s"

    return _PARAM.sub(sub, query)
