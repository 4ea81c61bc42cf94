"""PostgreSQL load: COPY into a temporary staging table, then merge by primary key — in ONE transaction
together with the job's checkpoint row in `_weave_cursors`, so a crash can neither lose nor double a chunk.

Modes: `insert` (COPY straight into the table), `merge` (COPY → staging → INSERT … ON CONFLICT DO UPDATE),
`replace` (load a shadow table, swap it in atomically when the run finishes). A missing table is created
from the first chunk's values. New source columns follow the drift policy (evolve | ignore | fail).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson

from weave.etl._errors import ReconciliationError
from weave.etl._types import Checkpoint, DriftEvent, LoadAck, Record
from weave.etl.targets._schema import PG_TYPES, check_policy, columns_of, infer_type, plan_columns

CURSOR_TABLE = "_weave_cursors"


def qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qname(name: str) -> str:
    return ".".join(qi(part) for part in name.split("."))


def _infer(rows: list[Record], column: str) -> str:
    return infer_type(rows, column, PG_TYPES, "text")


@dataclass
class PostgresTarget:
    dsn: str
    table: str
    primary_key: tuple[str, ...] = ()
    mode: str = "merge"
    schema_drift: str = "evolve"
    create: bool = True
    name: str = "postgres"
    _conn: Any = field(default=None, init=False)
    _columns: dict[str, str] | None = field(default=None, init=False)
    _stage: tuple[str, tuple[str, ...]] | None = field(default=None, init=False)
    _stage_n: int = field(default=0, init=False)
    _reported: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self.primary_key = tuple(self.primary_key)
        check_policy(self.mode, self.schema_drift, self.primary_key)

    @property
    def _shadow(self) -> str:
        return self.table + "__weave_replace"

    @property
    def _write_table(self) -> str:
        return self._shadow if self.mode == "replace" else self.table

    async def open(self, job: str) -> Checkpoint | None:
        import psycopg

        self._conn = await psycopg.AsyncConnection.connect(self.dsn)
        # per-connection state: a temp staging table dies with its connection; the table may have changed
        self._columns, self._stage, self._reported = None, None, set()
        async with self._conn.transaction():
            await self._conn.execute(
                f"CREATE TABLE IF NOT EXISTS {CURSOR_TABLE} (job text PRIMARY KEY, state jsonb NOT NULL, "
                "updated_at timestamptz NOT NULL DEFAULT now())"
            )
            cur = await self._conn.execute(f"SELECT state FROM {CURSOR_TABLE} WHERE job = %s", [job])
            row = await cur.fetchone()
        return Checkpoint.from_json(row[0]) if row else None

    async def _introspect(self, table: str) -> dict[str, str] | None:
        cur = await self._conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            [qname(table)],
        )
        rows = await cur.fetchall()
        return {name: typ for name, typ in rows} or None

    async def _ensure_table(self, rows: list[Record], cols: list[str], first_chunk: bool) -> dict[str, str]:
        if self._columns is None:
            self._columns = await self._introspect(self.table)
        if self._columns is None:
            if not self.create:
                raise ReconciliationError(f"target table {self.table} does not exist (create: false)")
            defs = [f"{qi(c)} {_infer(rows, c)}" for c in cols]
            pk = f", PRIMARY KEY ({', '.join(qi(c) for c in self.primary_key)})" if self.primary_key else ""
            await self._conn.execute(f"CREATE TABLE {qname(self.table)} ({', '.join(defs)}{pk})")
            self._columns = {c: _infer(rows, c) for c in cols}
        if self.mode == "replace" and first_chunk:
            await self._conn.execute(f"DROP TABLE IF EXISTS {qname(self._shadow)}")
            await self._conn.execute(
                f"CREATE TABLE {qname(self._shadow)} (LIKE {qname(self.table)} INCLUDING ALL)"
            )
        return self._columns

    async def _add_columns(self, add: list[tuple[str, str]]) -> None:
        assert self._columns is not None
        tables = [self.table] + ([self._shadow] if self.mode == "replace" else [])
        for column, sql_type in add:
            for table in tables:
                await self._conn.execute(f"ALTER TABLE {qname(table)} ADD COLUMN IF NOT EXISTS {qi(column)} {sql_type}")
            self._columns[column] = sql_type
        self._stage = None  # the staging table must pick the new columns up

    def _tuples(self, rows: list[Record], cols: list[str], uniform: bool) -> list[tuple[Any, ...]]:
        assert self._columns is not None
        if uniform and len(cols) > 1:
            get = itemgetter(*cols)
            data = [get(r) for r in rows]
        else:
            data = [tuple(r.get(c) for c in cols) for r in rows]
        json_cols = [i for i, c in enumerate(cols) if self._columns.get(c, "").startswith("json")]
        if json_cols:
            out = []
            for t in data:
                row = list(t)
                for i in json_cols:
                    if row[i] is not None:
                        row[i] = orjson.dumps(row[i]).decode()
                out.append(tuple(row))
            data = out
        return data

    async def _copy(self, table: str, cols: list[str], data: list[tuple[Any, ...]]) -> int:
        sql = f"COPY {qname(table)} ({', '.join(qi(c) for c in cols)}) FROM STDIN"
        async with self._conn.cursor() as cur:
            async with cur.copy(sql) as copy:
                for row in data:
                    await copy.write_row(row)
            return int(cur.rowcount)

    async def _staging(self, cols: list[str]) -> str:
        key = tuple(cols)
        if self._stage and self._stage[1] == key:
            return self._stage[0]
        self._stage_n += 1
        name = f"_weave_stage_{self._stage_n}"
        await self._conn.execute(
            f"CREATE TEMP TABLE {qi(name)} (LIKE {qname(self._write_table)} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        self._stage = (name, key)
        return name

    async def _merge(self, table: str, cols: list[str], data: list[tuple[Any, ...]]) -> int:
        pk_idx = [cols.index(c) for c in self.primary_key]
        if len(pk_idx) == 1:
            i = pk_idx[0]
            unique = list({t[i]: t for t in data}.values())
        else:
            unique = list({tuple(t[i] for i in pk_idx): t for t in data}.values())
        stage = await self._staging(cols)
        copied = await self._copy(stage, cols, unique)
        if copied != len(unique):
            raise ReconciliationError(f"COPY into staging wrote {copied} of {len(unique)} rows")
        col_list = ", ".join(qi(c) for c in cols)
        updates = [c for c in cols if c not in self.primary_key]
        action = (
            "DO UPDATE SET " + ", ".join(f"{qi(c)} = EXCLUDED.{qi(c)}" for c in updates) if updates else "DO NOTHING"
        )
        cur = await self._conn.execute(
            f"INSERT INTO {qname(table)} ({col_list}) SELECT {col_list} FROM {qi(stage)} "
            f"ON CONFLICT ({', '.join(qi(c) for c in self.primary_key)}) {action}"
        )
        merged = int(cur.rowcount)
        if updates and merged != len(unique):
            raise ReconciliationError(f"merge into {table} touched {merged} of {len(unique)} rows")
        return len(data)

    async def _save(self, checkpoint: Checkpoint) -> None:
        await self._conn.execute(
            f"INSERT INTO {CURSOR_TABLE} (job, state) VALUES (%s, %s) "
            "ON CONFLICT (job) DO UPDATE SET state = EXCLUDED.state, updated_at = now()",
            [checkpoint.job, orjson.dumps(checkpoint.to_json()).decode()],
        )

    async def write(self, rows: list[Record], checkpoint: Checkpoint) -> LoadAck:
        events: list[DriftEvent] = []
        async with self._conn.transaction():
            written = 0
            if rows:
                cols, uniform = columns_of(rows)
                existing = await self._ensure_table(rows, cols, first_chunk=checkpoint.chunks <= 1)
                plan = plan_columns(self.table, rows, cols, existing, self.schema_drift, _infer, self._reported)
                events = plan.events
                if plan.add:
                    await self._add_columns(plan.add)
                load_cols = plan.load
                data = self._tuples(rows, load_cols, uniform and load_cols == cols)
                missing_pk = [c for c in self.primary_key if c not in load_cols]
                if missing_pk:
                    raise ReconciliationError(f"rows lack primary key column(s) {missing_pk}")
                if self.mode == "insert" or not self.primary_key:
                    written = await self._copy(self._write_table, load_cols, data)
                else:
                    written = await self._merge(self._write_table, load_cols, data)
                if written != len(rows):
                    raise ReconciliationError(f"{self.table} acknowledged {written} of {len(rows)} rows")
            await self._save(checkpoint)
        return LoadAck(written, tuple(events))

    async def finish(self, checkpoint: Checkpoint) -> None:
        async with self._conn.transaction():
            if self.mode == "replace" and await self._introspect(self.table) is not None:
                if await self._introspect(self._shadow) is None:
                    await self._conn.execute(
                        f"CREATE TABLE {qname(self._shadow)} (LIKE {qname(self.table)} INCLUDING ALL)"
                    )
                await self._conn.execute(f"DROP TABLE {qname(self.table)}")
                short = self.table.split(".")[-1]
                await self._conn.execute(f"ALTER TABLE {qname(self._shadow)} RENAME TO {qi(short)}")
                self._columns = None
            await self._save(checkpoint)

    async def aclose(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
