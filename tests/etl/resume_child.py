"""Child process of the kill -9 test (`python tests/etl/resume_child.py URL pg|sqlite DSN|PATH MODE`): runs one
batch job and prints a line after every committed chunk. Self-contained: it imports nothing from tests/."""

from __future__ import annotations

import asyncio
import sys
import time

import httpx

from weave.etl import BatchJob, CursorSpec, Pagination, PostgresTarget, RestSource, SqliteTarget


def main() -> None:
    url, kind, where, mode = sys.argv[1:5]
    target = (PostgresTarget(where, "customers", primary_key=(), mode=mode) if kind == "pg"
              else SqliteTarget(where, "customers", primary_key=(), mode=mode))

    def progress(rows: int, total: int | None) -> None:
        print(f"chunk {rows} {total}", flush=True)
        time.sleep(0.02)  # throttle so the parent can kill mid-run; not used as synchronisation

    source = RestSource(httpx.AsyncClient(base_url=url), "/offset", records="data", cursor_param="updated_since",
                        pagination=Pagination(type="offset", limit=40, total="total"), concurrency=2)
    job = BatchJob("resume", source, target, cursor=CursorSpec("updated_at", "id"),
                   chunk_size=100, on_chunk=progress)
    result = asyncio.run(job.run())
    print(f"done {result.counts.loaded}", flush=True)


if __name__ == "__main__":
    main()
