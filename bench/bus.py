"""Bus benchmarks: weave's Redis bus against a bare redis-py loop, the embedded bus, and latency.

- bus.redis_vs_raw: weave end to end (publish_many -> Subscriber fetch -> trivial transform -> no-op sink -> ack)
  msgs/s divided by a bare redis-py loop (pipelined XADD in batches of 500, then XREADGROUP 500 + XACK),
  same Redis, same process, alternating rounds (A B A B ...).
- bus.embedded_events_per_s: the embedded bus (SQLite WAL, synchronous=FULL: durable) end to end.
- bus.embedded_vs_raw_sqlite: the same against a bare sqlite3 queue loop (INSERT batches, then SELECT + DELETE).
- bus.redis_p99_ms / bus.embedded_p99_ms: publish-to-deliver latency at a fixed moderate rate, single publishes.

`run(quick)` returns records; `python bench/bus.py --quick` prints them as JSON lines. Starts its own redis.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

BATCH = 500


def _payload(i: int) -> dict[str, Any]:
    return {"order_id": f"o-{i}", "account_id": f"a-{i % 97}", "total": i * 1.5, "lines": 3, "status": "created"}


def _transform(p: dict[str, Any]) -> dict[str, Any]:
    return {"id": p["order_id"], "account": p["account_id"], "amount": p["total"]}


# -- peers -------------------------------------------------------------------------------------------------
def raw_redis_round(url: str, n: int, stream: str) -> float:
    """Bare redis-py: pipelined XADD batches of 500, then XREADGROUP 500 + XACK until drained. msgs/s."""
    import redis

    r = redis.Redis.from_url(url)
    r.xgroup_create(stream, "g", "$", mkstream=True)
    bodies = [orjson.dumps(_payload(i)) for i in range(n)]
    started = time.perf_counter()
    for lo in range(0, n, BATCH):
        pipe = r.pipeline(transaction=False)
        for body in bodies[lo:lo + BATCH]:
            pipe.xadd(stream, {"p": body})
        pipe.execute()
    seen = 0
    while seen < n:
        reply = r.xreadgroup("g", "c", {stream: ">"}, count=BATCH)
        entries = reply[0][1]
        r.xack(stream, "g", *[e[0] for e in entries])
        seen += len(entries)
    elapsed = time.perf_counter() - started
    r.delete(stream)
    r.close()
    return n / elapsed


def raw_sqlite_round(path: str, n: int) -> float:
    """Bare sqlite3 queue (WAL, synchronous=FULL): INSERT batches of 500, then SELECT 500 + DELETE."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS q (id INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB)")
    bodies = [orjson.dumps(_payload(i)) for i in range(n)]
    started = time.perf_counter()
    for lo in range(0, n, BATCH):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO q (body) VALUES (?)", [(b,) for b in bodies[lo:lo + BATCH]])
        conn.execute("COMMIT")
    seen = 0
    while seen < n:
        conn.execute("BEGIN IMMEDIATE")
        rows = conn.execute("SELECT id, body FROM q ORDER BY id LIMIT ?", (BATCH,)).fetchall()
        for _, body in rows:
            orjson.loads(body)
        conn.execute("DELETE FROM q WHERE id <= ?", (rows[-1][0],))
        conn.execute("COMMIT")
        seen += len(rows)
    elapsed = time.perf_counter() - started
    conn.close()
    return n / elapsed


# -- weave -------------------------------------------------------------------------------------------------
async def weave_round(url: str, n: int, topic: str, lazy: bool = False) -> float:
    """publish_many (batches of 500) concurrently with a Subscriber; msgs/s until the last ack.
    lazy=True builds the input batch by batch (for the memory figure of the scaling points)."""
    from weave.bus import Message, Subscriber, open_bus

    bus = await open_bus(url)
    try:
        sub = await bus.subscribe(topic, "g", "c")
        sink: list[dict[str, Any]] = []
        done = asyncio.Event()
        handled = 0

        async def handler(message: Message) -> None:
            nonlocal handled
            _transform(message.payload)  # no-op sink: the result is dropped
            handled += 1
            if handled == n:
                done.set()

        async def dead_letter(message: Message, error: BaseException) -> None:
            raise RuntimeError(error)

        worker = Subscriber(sub, handler, dead_letter=dead_letter, batch_size=BATCH, max_in_flight=4 * BATCH,
                            block_ms=50)
        payloads = [] if lazy else [_payload(i) for i in range(n)]
        started = time.perf_counter()
        task = asyncio.create_task(worker.run())
        for lo in range(0, n, BATCH):
            batch = [_payload(i) for i in range(lo, min(n, lo + BATCH))] if lazy else payloads[lo:lo + BATCH]
            await bus.publish_many(topic, batch)
        await done.wait()
        while (await bus.pending(topic, "g")).count:
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - started
        worker.stop()
        await task
        del sink
        return n / elapsed
    finally:
        await bus.close()


async def latency_round(url: str, rate: float, seconds: float, topic: str, shared: bool = False) -> list[float]:
    """Single publishes at `rate`/s; returns publish-to-deliver latencies in ms.

    shared=False: publisher and consumer are separate bus instances (as separate processes would be);
    shared=True: one instance, as inside one `weave serve` process (the embedded bus then wakes consumers
    on commit instead of polling)."""
    from weave.bus import Message, Subscriber, open_bus

    publisher = await open_bus(url)
    consumer = publisher if shared else await open_bus(url)
    latencies: list[float] = []
    total = int(rate * seconds)
    try:
        sub = await consumer.subscribe(topic, "lat", "c")
        done = asyncio.Event()

        async def handler(message: Message) -> None:
            latencies.append((time.perf_counter() - message.payload["t"]) * 1000)
            if len(latencies) == total:
                done.set()

        async def dead_letter(message: Message, error: BaseException) -> None:
            raise RuntimeError(error)

        worker = Subscriber(sub, handler, dead_letter=dead_letter, block_ms=1000)
        task = asyncio.create_task(worker.run())
        start = time.perf_counter()
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await publisher.publish(topic, {"i": i, "t": time.perf_counter()})
        await asyncio.wait_for(done.wait(), 30)
        worker.stop()
        await task
    finally:
        await publisher.close()
        if not shared:
            await consumer.close()
    return latencies


async def raw_latency_round(url: str, rate: float, seconds: float, stream: str) -> list[float]:
    """The same with bare redis-py asyncio: XADD each, XREADGROUP BLOCK + XACK in a consumer task."""
    import redis.asyncio as aioredis

    pub = aioredis.Redis.from_url(url)
    con = aioredis.Redis.from_url(url)
    await con.xgroup_create(stream, "lat", "$", mkstream=True)
    total = int(rate * seconds)
    latencies: list[float] = []

    async def consume() -> None:
        while len(latencies) < total:
            reply = await con.xreadgroup("lat", "c", {stream: ">"}, count=100, block=1000)
            if not reply:
                continue
            now = time.perf_counter()
            for _, fields in reply[0][1]:
                latencies.append((now - orjson.loads(fields[b"p"])["t"]) * 1000)
            await con.xack(stream, "lat", *[e[0] for e in reply[0][1]])

    task = asyncio.create_task(consume())
    start = time.perf_counter()
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await pub.xadd(stream, {"p": orjson.dumps({"i": i, "t": time.perf_counter()})})
    await asyncio.wait_for(task, 30)
    await pub.delete(stream)
    await pub.aclose()
    await con.aclose()
    return latencies


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _peak_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def scaling_point(url: str, size: int) -> dict[str, Any]:
    """One size in a fresh child process, so its peak RSS is its own."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child-size", str(size), "--url", url],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "engine")},
    )
    point: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return point


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(quick: bool) -> list[dict[str, Any]]:
    from weave.sandbox.services import redis_server

    n = 20_000 if quick else 100_000
    rounds = 2 if quick else 4
    rate, seconds = (500.0, 2.0) if quick else (1000.0, 5.0)
    records: list[dict[str, Any]] = []
    with redis_server() as server, tempfile.TemporaryDirectory(prefix="weave-bench-bus-") as tmp:
        weave_r: list[float] = []
        raw_r: list[float] = []
        for k in range(rounds):  # A B A B
            weave_r.append(asyncio.run(weave_round(server.url, n, f"bench.w{k}")))
            raw_r.append(raw_redis_round(server.url, n, f"weave:bench:raw{k}"))
        ratio = statistics.median(weave_r) / statistics.median(raw_r)
        records.append({"name": "bus.redis_vs_raw", "value": round(ratio, 3), "unit": "ratio", "detail": {
            "messages": n, "rounds": rounds, "weave_msgs_per_s": [round(x) for x in weave_r],
            "raw_redis_py_msgs_per_s": [round(x) for x in raw_r], "goal": ">= 0.5",
            "peer": "redis-py (sync) pipelined XADD x500, then XREADGROUP 500 + XACK, no transform",
            "weave": "publish_many x500 concurrently with Subscriber (Lua batch publish/read), transform, ack",
            "hiredis": _has("hiredis"),
        }})

        emb: list[float] = []
        raw_sql: list[float] = []
        for k in range(rounds):
            emb.append(asyncio.run(weave_round(f"sqlite:///{tmp}/emb{k}.db", n, "bench.e")))
            raw_sql.append(raw_sqlite_round(f"{tmp}/raw{k}.db", n))
        records.append({"name": "bus.embedded_events_per_s", "value": round(statistics.median(emb)),
                        "unit": "events/s", "detail": {"messages": n, "rounds": [round(x) for x in emb],
                                                       "synchronous": "FULL", "journal_mode": "WAL"}})
        records.append({"name": "bus.embedded_vs_raw_sqlite",
                         "value": round(statistics.median(emb) / statistics.median(raw_sql), 3), "unit": "ratio",
                         "detail": {"raw_sqlite_queue_per_s": [round(x) for x in raw_sql]}})

        lat_w: list[float] = []
        lat_raw: list[float] = []
        lat_emb: list[float] = []
        lat_emb_procs: list[float] = []
        for k in range(2):  # A B A B
            lat_w += asyncio.run(latency_round(server.url, rate, seconds, f"bench.lat{k}"))
            lat_raw += asyncio.run(raw_latency_round(server.url, rate, seconds, f"weave:bench:rawlat{k}"))
            lat_emb += asyncio.run(latency_round(f"sqlite:///{tmp}/lat{k}.db", rate, seconds, "bench.lat", True))
            lat_emb_procs += asyncio.run(latency_round(f"sqlite:///{tmp}/latp{k}.db", rate, seconds, "bench.lat"))
        common = {"rate_per_s": rate, "seconds_per_round": seconds, "rounds": 2}
        records.append({"name": "bus.redis_p99_ms", "value": round(_p(lat_w, 0.99), 2), "unit": "ms", "detail": {
            **common, "p50_ms": round(_p(lat_w, 0.5), 2), "raw_redis_py_p99_ms": round(_p(lat_raw, 0.99), 2),
            "raw_redis_py_p50_ms": round(_p(lat_raw, 0.5), 2),
            "p99_vs_raw": round(_p(lat_w, 0.99) / _p(lat_raw, 0.99), 2)}})
        records.append({"name": "bus.embedded_p99_ms", "value": round(_p(lat_emb, 0.99), 2), "unit": "ms",
                        "detail": {**common, "p50_ms": round(_p(lat_emb, 0.5), 2), "one_bus_instance": True,
                                   "separate_instances_p99_ms": round(_p(lat_emb_procs, 0.99), 2),
                                   "separate_instances_p50_ms": round(_p(lat_emb_procs, 0.5), 2),
                                   "poll_interval_ms": 20, "synchronous": "FULL"}})
        sizes = [1_000, 10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]  # each 10x the last
        points = [scaling_point(server.url, size) for size in sizes]
        records.append({"name": "bus.scaling", "value": points[-1]["throughput"], "unit": "msgs/s",
                        "detail": {"backend": "redis", "end_to_end": True, "points": points}})
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    parser.add_argument("--child-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_size:
        rate = asyncio.run(weave_round(args.url, args.child_size, f"bench.scale{args.child_size}", lazy=True))
        print(json.dumps({"size": args.child_size, "throughput": round(rate), "peak_rss_mb": _peak_rss_mb()}))
        return 0
    for record in run(quick=args.quick):
        print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "engine"))
    sys.exit(main())
