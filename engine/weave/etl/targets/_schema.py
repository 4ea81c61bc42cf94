"""Column planning shared by the database targets: column order, type inference and schema-drift policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from weave.etl._errors import BatchConfigError, SchemaDriftError
from weave.etl._types import DriftEvent, Record

DRIFT_POLICIES = ("evolve", "ignore", "fail")
LOAD_MODES = ("insert", "merge", "replace")

PG_TYPES: list[tuple[type, str]] = [
    (bool, "boolean"), (int, "bigint"), (float, "double precision"), (Decimal, "numeric"),
    (dt.datetime, "timestamptz"), (dt.date, "date"), (dict, "jsonb"), (list, "jsonb"), (str, "text"),
]
SQLITE_TYPES: list[tuple[type, str]] = [
    (bool, "INTEGER"), (int, "INTEGER"), (float, "REAL"), (Decimal, "NUMERIC"), (dict, "TEXT"), (list, "TEXT"),
    (str, "TEXT"),
]


def check_policy(mode: str, drift: str, primary_key: tuple[str, ...]) -> None:
    if mode not in LOAD_MODES:
        raise BatchConfigError(f"load mode {mode!r} is not one of {', '.join(LOAD_MODES)}")
    if drift not in DRIFT_POLICIES:
        raise BatchConfigError(f"schema_drift {drift!r} is not one of {', '.join(DRIFT_POLICIES)}")
    if mode == "merge" and not primary_key:
        raise BatchConfigError("load mode merge needs primary_key")


def columns_of(rows: list[Record]) -> tuple[list[str], bool]:
    """Columns in first-seen order, and whether every row has exactly the same keys (fast path)."""
    first = rows[0].keys()
    if all(r.keys() == first for r in rows):
        return list(first), True
    seen: dict[str, None] = dict.fromkeys(first)
    for r in rows:
        if r.keys() != first:
            seen.update(dict.fromkeys(r))
    return list(seen), False


def infer_type(rows: list[Record], column: str, table: list[tuple[type, str]], default: str) -> str:
    for r in rows:
        value = r.get(column)
        if value is not None:
            for py, sql in table:
                if isinstance(value, py):
                    return sql
            return default
    return default


@dataclass
class DriftPlan:
    """What to do with this chunk's columns against the table's."""

    load: list[str]  # columns to write
    add: list[tuple[str, str]]  # (column, sql type) to add (evolve)
    events: list[DriftEvent]


def plan_columns(
    table: str, rows: list[Record], cols: list[str], existing: dict[str, str], policy: str,
    infer: Callable[[list[Record], str], str], reported: set[str],
) -> DriftPlan:
    new = [c for c in cols if c not in existing]
    if not new:
        return DriftPlan(cols, [], [])
    if policy == "fail":
        raise SchemaDriftError(table, new)
    events: list[DriftEvent] = []
    if policy == "ignore":
        for c in new:
            if c not in reported:
                reported.add(c)
                events.append(DriftEvent(table, c, infer(rows, c), "ignored"))
        return DriftPlan([c for c in cols if c in existing], [], events)
    add = [(c, infer(rows, c)) for c in new]
    events = [DriftEvent(table, c, t, "added") for c, t in add]
    return DriftPlan(cols, add, events)
