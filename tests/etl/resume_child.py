"""Child process of the kill -9 test (`python tests/etl/resume_child.py URL pg|sqlite|http DSN|PATH|DIR MODE [REDIS_URL]`): runs one
batch job and prints a line after every committed chunk. Self-contained: it imports nothing from tests/."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import httpx

from weave.etl import (
    BatchJob,
    CursorSpec,
    HttpBulkTarget,
    JsonFileCheckpointStore,
    Pagination,
    PostgresTarget,
    RedisLease,
    RestSource,
    SqliteTarget,
)


def main() -> None:
    url, kind, where, mode = sys.argv[1:5]
    redis_url = sys.argv[5] if len(sys.argv) > 5 else None  # hold the job's Redis lease (ttl 1 s) while running
    target: Any
    if kind == "pg":
        target = PostgresTarget(where, "customers", primary_key=(), mode=mode)
    elif kind == "sqlite":
        target = SqliteTarget(where, "customers", primary_key=(), mode=mode)
    else:  # bulk HTTP: checkpoints in a JSON file store, after every acknowledged chunk
        target = HttpBulkTarget(httpx.AsyncClient(base_url=url), "/bulk", JsonFileCheckpointStore(where), batch_size=30)

    def progress(rows: int, total: int | None) -> None:
        print(f"chunk {rows} {total}", flush=True)
        time.sleep(0.02)  # throttle so the parent can kill mid-run; not used as synchronisation

    source = RestSource(httpx.AsyncClient(base_url=url), "/offset", records="data", cursor_param="updated_since",
                        pagination=Pagination(type="offset", limit=40, total="total"), concurrency=2)
    lease = RedisLease.from_url(redis_url) if redis_url else None
    job = BatchJob("resume", source, target, cursor=CursorSpec("updated_at", "id"),
                   chunk_size=100, on_chunk=progress, lease=lease, lease_ttl_s=1.0)
    result = asyncio.run(job.run())
    print(f"done {result.counts.loaded}", flush=True)


if __name__ == "__main__":
    main()
