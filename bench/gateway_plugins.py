"""What each gateway plugin costs with real sockets: wrk against one gateway worker, one route per plugin.

`bench/gateway_path.py` measures the plugins in one process without sockets; this runs the same five routes
through `weave.gateway.server` (1 worker) with wrk and reads the gateway's CPU per request from /proc:

    bare       public proxy route, no plugins
    transform  + the response transform (drop cost_price)
    limit      + a rate limit (never hit; one bucket, RateLimit-* headers on every answer)
    keyauth    + API-key auth (a consumer without a limit of its own, scope check)
    full       all three, with the consumer's own limit too (two buckets): the route of bench/gateway.py

The variants alternate round by round (each leads a round in turn); the median CPU µs per request counts.
`python bench/gateway_plugins.py [--quick] [--idle poll]` prints one JSON record (`gateway.plugins_cpu_us`,
suffixed `.poll` with `--idle poll`: idle CPUs poll instead of halting, see bench/gateway.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import _config, _process, _python_server, cpu_idle, measure, wrk  # noqa: E402  (bench modules import each other)
from gateway_path import _EXTRA_ROUTES  # noqa: E402


def run(quick: bool, idle: str = "halt") -> list[dict[str, Any]]:
    from weave.gateway import SqliteKeyStore, create_key
    from weave.sandbox.services import free_port, wait_for_port

    if not shutil.which("wrk"):
        raise RuntimeError("wrk not found (apt-get install -y wrk)")
    seconds, rounds, connections = (2, 5, 32) if quick else (3, 9, 32)
    tmp = Path(tempfile.mkdtemp(prefix="weave-bench-gwp-"))
    try:
        up_port, gw_port = free_port(), free_port()
        keys_file = tmp / "keys.sqlite"
        store = SqliteKeyStore(keys_file)
        key, _ = asyncio.run(create_key(store, "bench-partner"))
        plain, _ = asyncio.run(create_key(store, "no-limit"))
        store.close()
        config = _config(f"http://127.0.0.1:{up_port}", keys_file)
        config["integrations"][0]["gateway"]["routes"] += _EXTRA_ROUTES
        config["consumers"].append({"name": "no-limit", "auth": {"type": "api-key"}, "scopes": ["quotes:read"]})
        (tmp / "gateway.json").write_text(json.dumps(config))
        bench_dir = str(Path(__file__).resolve().parent)
        up_env = {**os.environ, "PYTHONPATH": bench_dir + os.pathsep + os.environ.get("PYTHONPATH", "")}
        gw_env = {**os.environ, "WEAVE_GATEWAY_CONFIG": str(tmp / "gateway.json")}
        base = f"http://127.0.0.1:{gw_port}"
        variants: dict[str, tuple[str, dict[str, str] | None]] = {
            "bare": (base + "/bare/quotes/Q-00001", None),
            "transform": (base + "/t/quotes/Q-00001", None),
            "limit": (base + "/l/quotes/Q-00001", None),
            "keyauth": (base + "/k/quotes/Q-00001", {"X-API-Key": plain}),
            "full": (base + "/partner/v1/quotes/Q-00001", {"X-API-Key": key}),
        }
        with _process(_python_server(["gateway:upstream_app", "--port", str(up_port)], up_env)), \
                _process(subprocess.Popen([sys.executable, "-m", "weave.gateway.server", str(gw_port), "1"],
                                          env=gw_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)) as gateway:
            wait_for_port(up_port)
            wait_for_port(gw_port)
            with cpu_idle(idle) as idle_info:
                for url, headers in variants.values():  # warm-up: connection pool, key cache
                    wrk(url, 1, connections, headers)
                results: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
                names = list(variants)
                for round_no in range(rounds):
                    for name in names[round_no % len(names):] + names[:round_no % len(names)]:
                        url, headers = variants[name]
                        results[name].append(measure(url, seconds, connections, headers, gateway.pid))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cpu = {name: statistics.median(r["cpu_us_per_request"] for r in rs) for name, rs in results.items()}
    rps = {name: statistics.median(r["rps"] for r in rs) for name, rs in results.items()}
    added = {name: round(value - cpu["bare"], 1) for name, value in cpu.items() if name != "bare"}
    alone = added["transform"] + added["limit"] + added["keyauth"]
    return [{
        "name": "gateway.plugins_cpu_us" + ("" if idle == "halt" else f".{idle}"), "value": added["full"],
        "unit": "gateway CPU µs per request the full route adds over the bare one (1 worker, real sockets)",
        "detail": {"rounds": rounds, "seconds": seconds, "connections": connections,
                   "cpu_us_per_request": {k: round(v, 1) for k, v in cpu.items()}, "added_over_bare_us": added,
                   "three_alone_summed_us": round(alone, 1),
                   "rps": {k: round(v) for k, v in rps.items()},
                   "note": "full adds the consumer's own bucket to the three plugins; compare with the sum",
                   **idle_info},
    }]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short rounds")
    parser.add_argument("--idle", choices=["halt", "poll"], default="halt",
                        help="halt: the machine as it is; poll: idle CPUs poll (root only)")
    args = parser.parse_args()
    for record in run(args.quick, args.idle):
        print(json.dumps(record))


if __name__ == "__main__":
    main()
