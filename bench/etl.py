"""ETL benchmark: the same job in weave and in dlt, side by side (A B A B rounds).

N customer records from the paginated local REST service of tests/etl/source_app.py (offset pagination,
pages of 1,000, its own process) go into PostgreSQL with a small mapping and a merge on the primary key `id`.
Each run happens in a child process on a fresh database, so its peak RSS (VmHWM) and CPU time are its own.
weave reads with two requests in flight (`RestSource(concurrency=2)`, pages still in order); both sides use the
same Python mapping function. `client_cpu_ratio` (dlt CPU s / weave CPU s) is less sensitive to a busy machine
than wall-clock throughput; `load_avg_1m` records how busy it was.
dlt uses its rest_api source (OffsetPaginator, data_selector, primary_key, write_disposition=merge) with the
postgres destination and its faster loader file format for this job (measured, see `dlt_format`).

`run(quick)` returns records; `python bench/etl.py --quick` prints them as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "tests" / "etl" / "source_app.py"


def mapping(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "full_name": r["first_name"] + " " + r["last_name"],
        "email": r["email"].lower(),
        "country": r["country"],
        "balance": r["balance_cents"] / 100,
        "active": r["active"],
        "updated_at": r["updated_at"],
    }


def _cpu_s() -> float:
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_weave(url: str, dsn: str, n: int) -> dict[str, Any]:
    import asyncio

    import httpx

    from weave.etl import BatchJob, Pagination, PostgresTarget, RestSource

    async def go() -> Any:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            source = RestSource(client, "/offset", records="data", params={"n": n}, concurrency=2,
                                pagination=Pagination(type="offset", limit=1000, total="total"))
            target = PostgresTarget(dsn, "customers", primary_key=("id",), mode="merge")
            job = BatchJob("bench", source, target, transform=mapping, chunk_size=20_000)
            return await job.run()

    t0, c0 = time.perf_counter(), _cpu_s()
    result = asyncio.run(go())
    seconds = time.perf_counter() - t0
    return {"rows": result.counts.loaded, "seconds": seconds, "cpu_s": _cpu_s() - c0, "rss_mb": _peak_rss_mb()}


def child_dlt(url: str, dsn: str, n: int, fmt: str) -> dict[str, Any]:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    import dlt
    from dlt.sources.rest_api import rest_api_source

    source = rest_api_source({
        "client": {
            "base_url": url,
            "paginator": {"type": "offset", "limit": 1000, "offset_param": "offset", "limit_param": "limit",
                          "total_path": "total"},
        },
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [
            {"name": "customers", "endpoint": {"path": "offset", "params": {"n": n}, "data_selector": "data"}},
        ],
    })
    source.customers.add_map(mapping)
    # dlt requires a password field; the throwaway server trusts loopback, so any value works
    creds = dsn.replace("postgresql://postgres@", "postgresql://postgres:trust@", 1)
    with tempfile.TemporaryDirectory(prefix="weave-bench-dlt-") as tmp:
        pipeline = dlt.pipeline(
            pipeline_name="bench_etl", destination=dlt.destinations.postgres(credentials=creds),
            dataset_name="bench", pipelines_dir=tmp,
        )
        t0, c0 = time.perf_counter(), _cpu_s()
        pipeline.run(source, loader_file_format=fmt)  # type: ignore[arg-type]
        seconds = time.perf_counter() - t0
        cpu = _cpu_s() - c0
    return {"rows": n, "seconds": seconds, "cpu_s": cpu, "rss_mb": _peak_rss_mb()}


def _child(side: str, url: str, dsn: str, n: int, fmt: str = "csv") -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", side, "--url", url, "--dsn", dsn, "--n", str(n), "--format", fmt]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, timeout=3600)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _count(dsn: str, table: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        row = conn.execute(f"SELECT count(*), count(DISTINCT id) FROM {table}").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def run(quick: bool) -> list[dict[str, Any]]:
    sys.path.insert(0, str(ROOT / "engine"))
    from weave.sandbox.services import free_port, postgres_server, wait_for_port

    n = 50_000 if quick else 1_000_000
    rounds = 2
    sizes = [1_000, 10_000, 100_000] if quick else [50_000, 500_000, 5_000_000]
    records: list[dict[str, Any]] = []
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(APP), "--records", str(max(sizes + [n])), "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "engine")},
    )
    db = iter(range(1_000_000))
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}"
        with postgres_server() as pg:
            # dlt's best loader format for this job: try both once, keep the faster
            probe = 5_000 if quick else 50_000
            fmt_times = {}
            for fmt in ("csv", "insert_values"):
                res = _child("dlt", url, pg.create_database(f"b{next(db)}"), probe, fmt)
                fmt_times[fmt] = res["seconds"]
            fmt = min(fmt_times, key=lambda k: fmt_times[k])
            runs: dict[str, list[dict[str, Any]]] = {"weave": [], "dlt": []}
            for _ in range(rounds):
                for side in ("weave", "dlt"):
                    dsn = pg.create_database(f"b{next(db)}")
                    res = _child(side, url, dsn, n, fmt)
                    table = "customers" if side == "weave" else "bench.customers"
                    res["count"], res["distinct"] = _count(dsn, table)
                    res["rows_per_s"] = n / res["seconds"]
                    runs[side].append(res)
            weave_rps = statistics.median(r["rows_per_s"] for r in runs["weave"])
            dlt_rps = statistics.median(r["rows_per_s"] for r in runs["dlt"])
            weave_cpu = statistics.median(r["cpu_s"] for r in runs["weave"])
            dlt_cpu = statistics.median(r["cpu_s"] for r in runs["dlt"])
            ok = all(r["count"] == n and r["distinct"] == n for rs in runs.values() for r in rs)
            records.append({
                "name": "etl.vs_dlt", "value": round(weave_rps / dlt_rps, 2), "unit": "x rows/s",
                "detail": {"records": n, "page_size": 1000, "rounds": rounds, "dlt_format": fmt,
                           "dlt_format_probe_s": fmt_times, "weave_rows_per_s": round(weave_rps),
                           "dlt_rows_per_s": round(dlt_rps), "exact_rows": ok, "goal": ">= 5x",
                           "client_cpu_ratio": round(dlt_cpu / weave_cpu, 2) if weave_cpu else None,
                           "load_avg_1m": os.getloadavg()[0],
                           "runs": runs},
            })
            records.append({"name": "etl.weave_rows_per_s", "value": round(weave_rps), "unit": "rows/s",
                            "detail": {"records": n}})
            records.append({"name": "etl.dlt_rows_per_s", "value": round(dlt_rps), "unit": "rows/s",
                            "detail": {"records": n, "format": fmt}})
            records.append({
                "name": "etl.weave_peak_rss_mb", "value": round(max(r["rss_mb"] for r in runs["weave"]), 1),
                "unit": "MB", "detail": {"records": n, "dlt_peak_rss_mb": round(max(r["rss_mb"] for r in runs["dlt"]), 1)},
            })
            for size in sizes:
                dsn = pg.create_database(f"b{next(db)}")
                res = _child("weave", url, dsn, size)
                count, distinct = _count(dsn, "customers")
                records.append({
                    "name": "etl.scaling", "value": round(size / res["seconds"]), "unit": "rows/s",
                    "detail": {"records": size, "seconds": round(res["seconds"], 3), "peak_rss_mb": round(res["rss_mb"], 1),
                               "cpu_s": round(res["cpu_s"], 3),
                               "exact_rows": count == size == distinct,
                               "goal": "<= 250 MB at 5M rows" if size == 5_000_000 else None},
                })
    finally:
        server.terminate()
        server.wait(timeout=10)
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", choices=["weave", "dlt"])
    parser.add_argument("--url")
    parser.add_argument("--dsn")
    parser.add_argument("--n", type=int)
    parser.add_argument("--format", default="csv")
    args = parser.parse_args()
    if args.child == "weave":
        print(json.dumps(child_weave(args.url, args.dsn, args.n)))
    elif args.child == "dlt":
        print(json.dumps(child_dlt(args.url, args.dsn, args.n, args.format)))
    else:
        for record in run(args.quick):
            print(json.dumps(record))


if __name__ == "__main__":
    main()
