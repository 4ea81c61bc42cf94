"""PostgreSQL load: COPY into a temporary staging table, then merge by primary key — in ONE transaction
together with the job's checkpoint row in `_weave_cursors`, so a crash can neither lose nor double a chunk.

Modes: `insert` (COPY straight into the table), `merge` (COPY → staging → INSERT … ON CONFLICT DO UPDATE),
`replace` (load a shadow table, swap it in atomically when the run finishes). A missing table is created
from the first chunk's values. New source columns follow the drift policy (evolve | ignore | fail).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import Any

import orjson

from weave.etl._errors import ReconciliationError
from weave.etl._types import Checkpoint, Counts, DriftEvent, LoadAck, Record, Rejected
from weave.etl.targets._schema import PG_TYPES, check_policy, columns_of, infer_type, plan_columns

CURSOR_TABLE = "_weave_cursors"
REJECT_TABLE = "_weave_rejects"


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

    async def _merge(self, table: str, cols: list[str], data: list[tuple[Any, ...]], fresh_stage: bool = False) -> int:
        pk_idx = [cols.index(c) for c in self.primary_key]
        if len(pk_idx) == 1:
            i = pk_idx[0]
            unique = list({t[i]: t for t in data}.values())
        else:
            unique = list({tuple(t[i] for i in pk_idx): t for t in data}.values())
        stage = await self._staging(cols)
        if fresh_stage:  # several merges in one transaction (bad-row isolation): start from an empty stage
            await self._conn.execute(f"DELETE FROM {qi(stage)}")
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

    async def _load(self, cols: list[str], data: list[tuple[Any, ...]], fresh_stage: bool = False) -> int:
        if self.mode == "insert" or not self.primary_key:
            return await self._copy(self._write_table, cols, data)
        return await self._merge(self._write_table, cols, data, fresh_stage)

    async def _isolate(self, cols: list[str], data: list[tuple[Any, ...]]) -> tuple[int, list[tuple[int, str]]]:
        """Load `data` in savepoints, halving a failing batch down to single rows: (rows loaded, [(index, error)])."""
        import psycopg.errors as pe

        loaded, bad = 0, []

        async def attempt(lo: int, hi: int) -> None:
            nonlocal loaded
            try:
                async with self._conn.transaction():  # a savepoint inside the chunk's transaction
                    await self._load(cols, data[lo:hi], fresh_stage=True)
                loaded += hi - lo
            except (pe.DataError, pe.IntegrityError) as exc:
                if hi - lo == 1:
                    bad.append((lo, str(exc).splitlines()[0]))
                    return
                mid = (lo + hi) // 2
                await attempt(lo, mid)
                await attempt(mid, hi)

        await attempt(0, len(data))
        return loaded, bad

    async def _keep_rejects(self, checkpoint: Checkpoint, rejected: list[Rejected]) -> None:
        await self._conn.execute(
            f"CREATE TABLE IF NOT EXISTS {REJECT_TABLE} (id bigserial PRIMARY KEY, job text NOT NULL, run text, "
            "chunk int, record jsonb NOT NULL, reason text NOT NULL, at timestamptz NOT NULL DEFAULT now())"
        )
        async with self._conn.cursor() as cur:
            await cur.executemany(
                f"INSERT INTO {REJECT_TABLE} (job, run, chunk, record, reason) VALUES (%s, %s, %s, %s, %s)",
                [(checkpoint.job, checkpoint.run_id, r.chunk, orjson.dumps(r.record, default=str).decode(), r.reason)
                 for r in rejected],
            )

    async def _write(self, rows: list[Record], checkpoint: Checkpoint, isolate: bool) -> LoadAck:
        events: list[DriftEvent] = []
        rejected: list[Rejected] = []
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
                if isolate:
                    if self.mode != "insert" and self.primary_key:
                        await self._staging(load_cols)  # outside the savepoints, so a rollback keeps it
                    written, bad = await self._isolate(load_cols, data)
                    rejected = [Rejected(rows[i], f"target refused the row: {err}", "load", checkpoint.chunks)
                                for i, err in bad]
                    if rejected:
                        await self._keep_rejects(checkpoint, rejected)
                        n = len(rejected)
                        checkpoint = replace(checkpoint, counts=checkpoint.counts.plus(
                            Counts(loaded=-n, rejected=n, load_rejected=n)))
                else:
                    written = await self._load(load_cols, data)
                if written + len(rejected) != len(rows):
                    raise ReconciliationError(f"{self.table} acknowledged {written} of {len(rows)} rows")
            await self._save(checkpoint)
        return LoadAck(written, tuple(events), tuple(rejected), checkpoint if rejected else None)

    async def write(self, rows: list[Record], checkpoint: Checkpoint) -> LoadAck:
        """One transaction: rows + checkpoint. If the database refuses a row (bad value, constraint), the chunk is
        redone isolating the bad rows: they go to `_weave_rejects` (same transaction) and back as `rejected`."""
        import psycopg.errors as pe

        try:
            return await self._write(rows, checkpoint, isolate=False)
        except (pe.DataError, pe.IntegrityError):
            if not rows:
                raise
            self._columns, self._stage = None, None  # the rollback undid any ALTER TABLE / CREATE TEMP TABLE
            return await self._write(rows, checkpoint, isolate=True)

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
