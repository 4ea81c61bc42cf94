#!/usr/bin/env python
"""Run weave's benchmarks side by side with their peers and limits; print one JSON object per line.

    pip install -e '.[bench]'          # peers: dlt, psycopg, redis, matplotlib
    apt-get install -y nginx wrk redis-server
    python bench/run.py --quick --json

Each module in MODULES exposes `run(quick: bool) -> list[dict]`; every record has
`{"name", "value", "unit", "detail"}`. Pairs are measured alternately (A B A B ...) inside each module.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# The registry of benchmark modules (bench/<name>.py), in run order.
MODULES = ["plan", "transform", "connectors", "state", "bus", "hub", "gateway", "etl"]


def machine() -> dict[str, object]:
    return {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke run, < 10 minutes)")
    parser.add_argument("--json", action="store_true", help="print JSON lines only (no summary)")
    parser.add_argument("--only", action="append", default=[], help=f"run only these modules: {MODULES}")
    parser.add_argument("--chart", type=Path, default=None, help="write the scaling chart (PNG) here")
    args = parser.parse_args(argv)
    selected = args.only or MODULES
    unknown = [m for m in selected if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {unknown}; known: {MODULES}")
    results: list[dict[str, object]] = []
    failures = 0
    for name in selected:
        started = time.perf_counter()
        try:
            module = importlib.import_module(name)
            records = module.run(quick=args.quick)
        except Exception as exc:  # noqa: BLE001 - report and go on with the other modules
            failures += 1
            record = {"name": f"{name}.error", "value": None, "unit": "error",
                      "detail": {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}}
            print(json.dumps(record), flush=True)
            continue
        for record in records:
            record.setdefault("detail", {})
            record["detail"].setdefault("module_seconds", round(time.perf_counter() - started, 2))
            print(json.dumps(record, default=str), flush=True)
            results.append(record)
    if args.chart:
        from chart import draw_scaling

        draw_scaling(results, args.chart)
    if not args.json:
        print(json.dumps({"name": "machine", "value": None, "unit": "info", "detail": machine()}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
