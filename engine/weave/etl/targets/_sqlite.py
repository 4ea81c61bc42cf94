"""SQLite load: rows and the job's checkpoint in one transaction (`_weave_cursors` in the same file).

Modes insert | merge (INSERT … ON CONFLICT DO UPDATE) | replace (shadow table swapped in at the end).
sqlite3 is synchronous, so every database call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import orjson

from weave.etl._errors import ReconciliationError
from weave.etl._types import Checkpoint, DriftEvent, LoadAck, Record
from weave.etl.targets._schema import SQLITE_TYPES, check_policy, columns_of, infer_type, plan_columns

CURSOR_TABLE = "_weave_cursors"


def qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _infer(rows: list[Record], column: str) -> str:
    return infer_type(rows, column, SQLITE_TYPES, "TEXT")


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@dataclass
class SqliteTarget:
    path: str
    table: str
    primary_key: tuple[str, ...] = ()
    mode: str = "merge"
    schema_drift: str = "evolve"
    create: bool = True
    name: str = "sqlite"
    _conn: sqlite3.Connection | None = field(default=None, init=False)
    _reported: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self.primary_key = tuple(self.primary_key)
        check_policy(self.mode, self.schema_drift, self.primary_key)

    @property
    def _shadow(self) -> str:
        return self.table + "__weave_replace"

    def _open(self, job: str) -> Checkpoint | None:
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._reported = set()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"CREATE TABLE IF NOT EXISTS {CURSOR_TABLE} (job TEXT PRIMARY KEY, state TEXT NOT NULL)")
        row = self._conn.execute(f"SELECT state FROM {CURSOR_TABLE} WHERE job = ?", [job]).fetchone()
        return Checkpoint.from_json(orjson.loads(row[0])) if row else None

    async def open(self, job: str) -> Checkpoint | None:
        return await asyncio.to_thread(self._open, job)

    def _columns(self, table: str) -> dict[str, str] | None:
        assert self._conn is not None
        rows = self._conn.execute(f"PRAGMA table_info({qi(table)})").fetchall()
        return {r[1]: r[2] for r in rows} or None

    def _clone(self, new: str) -> None:
        """Create `new` with the target table's columns, types and primary key."""
        assert self._conn is not None
        info = self._conn.execute(f"PRAGMA table_info({qi(self.table)})").fetchall()
        cols = ", ".join(f"{qi(r[1])} {r[2]}" for r in info)
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        pk_sql = f", PRIMARY KEY ({', '.join(qi(c) for c in pk)})" if pk else ""
        self._conn.execute(f"CREATE TABLE {qi(new)} ({cols}{pk_sql})")

    def _save(self, checkpoint: Checkpoint) -> None:
        assert self._conn is not None
        self._conn.execute(
            f"INSERT INTO {CURSOR_TABLE} (job, state) VALUES (?, ?) ON CONFLICT (job) DO UPDATE SET state = excluded.state",
            [checkpoint.job, orjson.dumps(checkpoint.to_json()).decode()],
        )

    def _write(self, rows: list[Record], checkpoint: Checkpoint) -> LoadAck:
        conn = self._conn
        assert conn is not None
        events: list[DriftEvent] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            if rows:
                cols, _ = columns_of(rows)
                existing = self._columns(self.table)
                if existing is None:
                    if not self.create:
                        raise ReconciliationError(f"target table {self.table} does not exist (create: false)")
                    pk = f", PRIMARY KEY ({', '.join(qi(c) for c in self.primary_key)})" if self.primary_key else ""
                    conn.execute(f"CREATE TABLE {qi(self.table)} ({', '.join(f'{qi(c)} {_infer(rows, c)}' for c in cols)}{pk})")
                    existing = {c: _infer(rows, c) for c in cols}
                plan = plan_columns(self.table, rows, cols, existing, self.schema_drift, _infer, self._reported)
                events = plan.events
                write_table = self.table
                if self.mode == "replace":
                    write_table = self._shadow
                    if checkpoint.chunks <= 1:
                        conn.execute(f"DROP TABLE IF EXISTS {qi(self._shadow)}")
                        self._clone(self._shadow)
                for column, sql_type in plan.add:
                    conn.execute(f"ALTER TABLE {qi(self.table)} ADD COLUMN {qi(column)} {sql_type}")
                    if self.mode == "replace":
                        conn.execute(f"ALTER TABLE {qi(self._shadow)} ADD COLUMN {qi(column)} {sql_type}")
                cols = plan.load
                col_list = ", ".join(qi(c) for c in cols)
                sql = f"INSERT INTO {qi(write_table)} ({col_list}) VALUES ({', '.join('?' for _ in cols)})"
                if self.mode == "merge" or (self.mode == "replace" and self.primary_key):
                    updates = [c for c in cols if c not in self.primary_key]
                    action = ("DO UPDATE SET " + ", ".join(f"{qi(c)} = excluded.{qi(c)}" for c in updates)
                              if updates else "DO NOTHING")
                    sql += f" ON CONFLICT ({', '.join(qi(c) for c in self.primary_key)}) {action}"
                before = conn.total_changes
                conn.executemany(sql, [[_cell(r.get(c)) for c in cols] for r in rows])
                if conn.total_changes - before != len(rows):
                    raise ReconciliationError(
                        f"{self.table} acknowledged {conn.total_changes - before} of {len(rows)} rows"
                    )
            self._save(checkpoint)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return LoadAck(len(rows), tuple(events))

    async def write(self, rows: list[Record], checkpoint: Checkpoint) -> LoadAck:
        return await asyncio.to_thread(self._write, rows, checkpoint)

    def _finish(self, checkpoint: Checkpoint) -> None:
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self.mode == "replace" and self._columns(self.table) is not None:
                if self._columns(self._shadow) is None:
                    self._clone(self._shadow)
                conn.execute(f"DROP TABLE {qi(self.table)}")
                conn.execute(f"ALTER TABLE {qi(self._shadow)} RENAME TO {qi(self.table)}")
            self._save(checkpoint)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    async def finish(self, checkpoint: Checkpoint) -> None:
        await asyncio.to_thread(self._finish, checkpoint)

    async def aclose(self) -> None:
        if self._conn is not None:
            await asyncio.to_thread(self._conn.close)
            self._conn = None
