#!/usr/bin/env python
"""Run weave's benchmarks side by side with their peers and limits; print one JSON object per line.

    apt-get install -y nginx wrk redis-server postgresql       # services the modules start on 127.0.0.1
    pip install -e '.[bench]'                                  # peers: dlt[postgres], redis-py, persist-queue ...
    python bench/run.py --quick --json                          # < 10 minutes on 2 cores
    python bench/run.py --json --chart bench/scaling.png        # full sizes from the issues

Each module in MODULES (bench/<name>.py) exposes `run(quick: bool) -> list[dict]`; every record has
`{"name", "value", "unit", "detail"}`. Pairs are measured alternately (A B A B ...) inside each module, and
each module starts (and stops) the servers it needs on free loopback ports. This script installs nothing.
The last line is a `run.machine` record: CPU, memory, Python, peer versions, load average, total seconds.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# The registry of benchmark modules (bench/<name>.py), in run order.
MODULES = ["plan", "transform", "connectors", "state", "bus", "hub", "gateway", "gateway_path", "gateway_plugins", "etl",
           "contracts", "ownership"]

# Records the issues require from a full (not --only) run.
NORMATIVE = ["transform.jmespath_vs_reference", "bus.redis_vs_raw", "gateway.vs_nginx", "gateway.plugin_overhead",
             "etl.vs_dlt", "validate.1000_specs_s"]

PYTHON_PEERS = ["dlt", "jmespath", "redis", "psycopg", "psycopg2-binary", "persist-queue", "jsonschema", "PyYAML",
                "Jinja2", "httpx", "aiohttp", "uvicorn", "httptools", "uvloop", "hiredis", "matplotlib"]
TOOLS = {"nginx": ["nginx", "-v"], "wrk": ["wrk", "-v"], "redis-server": ["redis-server", "--version"],
         "postgres": ["/usr/lib/postgresql/15/bin/postgres", "--version"]}


def _first_line(cmd: list[str]) -> str | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout + out.stderr).strip()
    return text.splitlines()[0] if text else None


def machine() -> dict[str, Any]:
    cpu = None
    mem_gb = None
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), None)
        match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        mem_gb = round(int(match.group(1)) / 1024 / 1024, 1) if match else None
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for dist in PYTHON_PEERS:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    for tool, cmd in TOOLS.items():
        versions[tool] = _first_line(cmd)
    return {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "cpu_model": cpu, "memory_gb": mem_gb, "platform": platform.platform(), "versions": versions}


def run_module(name: str, quick: bool) -> tuple[list[dict[str, Any]], bool]:
    """Run one module; a failure becomes a `<name>.error` record and the run goes on."""
    started = time.perf_counter()
    load = os.getloadavg()[0]
    try:
        records = importlib.import_module(name).run(quick=quick)
    except Exception as exc:  # noqa: BLE001 - report and go on with the other modules
        return [{"name": f"{name}.error", "value": None, "unit": "error",
                 "detail": {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}}], False
    seconds = round(time.perf_counter() - started, 2)
    for record in records:
        detail = record.setdefault("detail", {})
        detail.setdefault("module_seconds", seconds)
        detail.setdefault("load_avg_1m_at_start", round(load, 2))
    return records, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run, < 10 minutes on 2 cores)")
    parser.add_argument("--json", action="store_true", help="print JSON lines only (no summary table)")
    parser.add_argument("--only", action="append", default=[], help=f"run only these modules: {MODULES}")
    parser.add_argument("--chart", type=Path, default=None, help="write the scaling chart (PNG) here")
    args = parser.parse_args(argv)
    selected = args.only or MODULES
    unknown = [m for m in selected if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {unknown}; known: {MODULES}")
    started = time.perf_counter()
    load_start = os.getloadavg()
    results: list[dict[str, Any]] = []
    failures = 0
    for name in selected:
        records, ok = run_module(name, args.quick)
        failures += not ok
        for record in records:
            print(json.dumps(record, default=str), flush=True)
        results += records
    if args.chart:
        from chart import draw_scaling

        draw_scaling(results, args.chart)
    missing = [] if args.only else [n for n in NORMATIVE if not any(r["name"] == n for r in results)]
    info = {**machine(), "quick": args.quick, "modules": selected, "total_seconds": round(time.perf_counter() - started, 1),
            "load_avg_start": [round(x, 2) for x in load_start], "load_avg_end": [round(x, 2) for x in os.getloadavg()],
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "missing_normative": missing}
    print(json.dumps({"name": "run.machine", "value": None, "unit": "info", "detail": info}), flush=True)
    if not args.json:
        print(file=sys.stderr)
        for record in results:
            value = record["value"] if record["value"] is not None else record["detail"].get("error")
            print(f"{record['name']:<55} {value!s:>14} {record['unit']}", file=sys.stderr)
    if missing:
        print(f"missing normative records: {missing}", file=sys.stderr)
    return 1 if failures or missing else 0


if __name__ == "__main__":
    sys.exit(main())
