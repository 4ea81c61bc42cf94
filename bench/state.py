"""State-store benchmarks: the embedded (SQLite) hub queue against persist-queue, group commit, backlog claims.

- state.queue_roundtrip_vs_persistqueue: one producer puts N messages (one durable commit each), then one
  consumer takes and acks them. weave's SQLite store (synchronous=full) divided by persist-queue's
  SQLiteAckQueue (WAL, the same synchronous=full default), alternating rounds (A B A B ...).
- state.concurrent_ingest_vs_persistqueue: 50 producers at once (asyncio tasks for weave, threads for
  persist-queue), each put durable when it returns; weave's group commit against persist-queue's lock.
- state.group_commit_gain: the same concurrent ingest with group commit on vs off (one transaction per write).
- state.claim_round_ms_at_backlog: a 50-item claim + ack round with a large keyed backlog (lower is better).

`run(quick)` returns records; `python bench/state.py --quick` prints them as JSON lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROUNDS = 3
CONCURRENCY = 50


def _msg(i: int) -> dict[str, Any]:
    return {"order_id": f"o-{i}", "account_id": f"a-{i % 97}", "total": i * 1.5, "note": "x" * 120}


# -- weave --------------------------------------------------------------------------------------------
async def _weave_roundtrip(path: Path, n: int) -> float:
    from weave.state import open_state

    store = await open_state(f"sqlite:///{path}?synchronous=full")
    started = time.perf_counter()
    for i in range(n):
        await store.enqueue("hub", _msg(i))
    got = 0
    while got < n:
        for item in await store.claim("hub", "w", limit=1, visibility_timeout=60):
            await store.ack(item.id)
            got += 1
    elapsed = time.perf_counter() - started
    await store.close()
    return n / elapsed


async def _weave_ingest(path: Path, n: int, group_commit: bool = True) -> float:
    import weave.state._sqlite as sqlite_driver
    from weave.state import open_state

    saved = sqlite_driver.MAX_BATCH
    sqlite_driver.MAX_BATCH = saved if group_commit else 1
    try:
        store = await open_state(f"sqlite:///{path}?synchronous=full")
        gate = asyncio.Semaphore(CONCURRENCY)

        async def put(i: int) -> None:
            async with gate:
                await store.enqueue("hub", _msg(i))

        started = time.perf_counter()
        await asyncio.gather(*(put(i) for i in range(n)))
        elapsed = time.perf_counter() - started
        assert await store.queue_depth("hub") == n
        await store.close()
    finally:
        sqlite_driver.MAX_BATCH = saved
    return n / elapsed


async def _weave_backlog_round_ms(path: Path, backlog: int) -> float:
    from weave.state import open_state

    store = await open_state(path)
    for lo in range(0, backlog, 1000):
        await store.enqueue_many("hub", [_msg(i) for i in range(lo, lo + 1000)],
                                 keys=[f"k{i % 200}" for i in range(lo, lo + 1000)])
    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        items = await store.claim("hub", "w", limit=50, visibility_timeout=60)
        await store.ack([item.id for item in items])
    elapsed = time.perf_counter() - started
    await store.close()
    return elapsed / rounds * 1000


# -- the peer: persist-queue ------------------------------------------------------------------------------
def _pq(path: Path, threaded: bool = False) -> Any:
    from persistqueue import SQLiteAckQueue
    from persistqueue.serializers import json as json_serializer

    return SQLiteAckQueue(str(path), multithreading=threaded, serializer=json_serializer)


def _pq_roundtrip(path: Path, n: int) -> float:
    q = _pq(path)
    started = time.perf_counter()
    for i in range(n):
        q.put(_msg(i))
    for _ in range(n):
        item = q.get(block=False)
        q.ack(item)
    elapsed = time.perf_counter() - started
    q.close()
    return n / elapsed


def _pq_ingest(path: Path, n: int) -> float:
    q = _pq(path, threaded=True)
    per = n // CONCURRENCY

    def producer(base: int) -> None:
        for i in range(base, base + per):
            q.put(_msg(i))

    threads = [threading.Thread(target=producer, args=(t * per,)) for t in range(CONCURRENCY)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    assert q.qsize() == per * CONCURRENCY
    q.close()
    return per * CONCURRENCY / elapsed


# -- the pairs ----------------------------------------------------------------------------------------
def _alternate(a: Any, b: Any, rounds: int) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for r in range(rounds):
        with tempfile.TemporaryDirectory(prefix="weave-bench-state-") as tmp:
            xs.append(a(Path(tmp) / f"a{r}.db"))
            ys.append(b(Path(tmp) / f"b{r}.db"))
    return xs, ys


def _record(name: str, a: list[float], b: list[float], labels: tuple[str, str], n: int) -> dict[str, Any]:
    ma, mb = statistics.median(a), statistics.median(b)
    return {"name": name, "value": round(ma / mb, 2), "unit": "ratio",
            "detail": {labels[0]: round(ma), labels[1]: round(mb), "unit": "msgs/s", "messages": n,
                       "rounds": [[round(x), round(y)] for x, y in zip(a, b, strict=True)]}}


def run(quick: bool) -> list[dict[str, Any]]:
    n_seq = 100 if quick else 1000
    n_conc = 500 if quick else 5000
    backlog = 10_000 if quick else 50_000
    records = []
    a, b = _alternate(lambda p: asyncio.run(_weave_roundtrip(p, n_seq)), lambda p: _pq_roundtrip(p, n_seq), ROUNDS)
    records.append(_record("state.queue_roundtrip_vs_persistqueue", a, b, ("weave", "persist_queue"), n_seq))
    a, b = _alternate(lambda p: asyncio.run(_weave_ingest(p, n_conc)), lambda p: _pq_ingest(p, n_conc), ROUNDS)
    records.append(_record("state.concurrent_ingest_vs_persistqueue", a, b, ("weave", "persist_queue"), n_conc))
    a, b = _alternate(lambda p: asyncio.run(_weave_ingest(p, n_conc)),
                      lambda p: asyncio.run(_weave_ingest(p, n_conc, group_commit=False)), ROUNDS)
    records.append(_record("state.group_commit_gain", a, b, ("group_commit", "tx_per_write"), n_conc))
    with tempfile.TemporaryDirectory(prefix="weave-bench-state-") as tmp:
        ms = asyncio.run(_weave_backlog_round_ms(Path(tmp) / "backlog.db", backlog))
    records.append({"name": "state.claim_round_ms_at_backlog", "value": round(ms, 2), "unit": "ms",
                    "detail": {"backlog": backlog, "keys": 200, "claim_limit": 50, "backend": "sqlite"}})
    return records


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for record in run(args.quick):
        sys.stdout.write(json.dumps(record) + "\n")
