"""SQL connector: SQLite (`sqlite:///relative.db`, `sqlite:////abs/path.db`) and PostgreSQL
(`postgresql://…`, usually a `${env:…}` reference).

    op (read):  {query: "SELECT * FROM orders WHERE updated_at > :since ORDER BY updated_at", params: {...},
                 chunk_size: 1000}
    op (write): {table: orders, primary_key: [id], mode: merge | insert}

Query parameters are written `:name` for both databases; values come from `params:` overlaid by
the resume `state`. A write is one transaction per call: all records or none. `merge` is
INSERT … ON CONFLICT (primary key) DO UPDATE, so replaying a batch is idempotent.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from weave.connectors.base import Page, ProbeResult, SystemConfig, WriteResult
from weave.errors import TerminalError, WeaveError
from weave.secrets import resolve


class SqlConnector:
    style = "sql"

    def __init__(self, system: SystemConfig, *, transport: Any = None) -> None:
        self.system = system
        self._backend: Any = None

    def _get_backend(self) -> Any:
        if self._backend is not None:
            return self._backend
        url = self.system.base_url
        resolved = str(resolve(url))  # only to learn the scheme; a PostgreSQL DSN is resolved again at connect time
        scheme = resolved.split(":", 1)[0].lower() if ":" in resolved else ""
        if scheme == "sqlite":
            rest = resolved[len("sqlite:") :]
            path = rest[3:] if rest.startswith("///") else rest.lstrip("/")
            if path != ":memory:":
                path = str(self.system.path(path))
            from weave.connectors.sql.sqlite import SqliteBackend

            self._backend = SqliteBackend(path)
        elif scheme in ("postgresql", "postgres"):
            from weave.connectors.sql.postgres import PostgresBackend

            self._backend = PostgresBackend(url, timeout=self.system.timeout)
        else:
            raise TerminalError(
                f"system {self.system.name!r}: sql base_url must start with sqlite:/// or postgresql:// (got scheme {scheme!r})"
            )
        return self._backend

    async def read(self, op: Mapping[str, Any], *, state: dict[str, Any] | None = None) -> AsyncIterator[Page]:
        query = op.get("query")
        if not query:
            raise TerminalError("a sql read needs `query:`")
        params = {**(op.get("params") or {}), **(state or {})}
        chunk = int(op.get("chunk_size", 1000))
        number, rows = 0, 0
        pending: list[dict[str, Any]] | None = None
        async for batch in self._get_backend().fetch(str(query), params, chunk):
            if pending is not None:
                number += 1
                rows += len(pending)
                yield Page(pending, {"rows": rows}, False, number)
            pending = batch
        number += 1
        rows += len(pending or [])
        yield Page(pending or [], {"rows": rows}, True, number)

    async def write(
        self, op: Mapping[str, Any], records: Sequence[dict[str, Any]], *, idempotency_keys: Sequence[str] | None = None
    ) -> WriteResult:
        table = op.get("table")
        if not table:
            raise TerminalError("a sql write needs `table:`")
        pk = op.get("primary_key") or []
        pk = [pk] if isinstance(pk, str) else list(pk)
        mode = str(op.get("mode", "merge" if pk else "insert"))
        if mode in ("append",):
            mode = "insert"
        if mode not in ("merge", "insert", "upsert"):
            raise TerminalError(f"unknown sql write mode {mode!r}; known modes: append, insert, merge")
        if not records:
            return WriteResult(written=0)
        written = await self._get_backend().upsert(str(table), records, pk, "insert" if mode == "insert" else "merge")
        return WriteResult(written=written, detail={"table": table, "mode": mode})

    async def probe(self) -> ProbeResult:
        start = time.perf_counter()
        try:
            await self._get_backend().probe()
        except WeaveError as exc:
            return ProbeResult(self.system.name, False, (time.perf_counter() - start) * 1000, message=str(exc)[:300])
        return ProbeResult(self.system.name, True, (time.perf_counter() - start) * 1000, auth_ok=True, message="SELECT 1")

    async def aclose(self) -> None:
        if self._backend is not None:
            await self._backend.aclose()
            self._backend = None
