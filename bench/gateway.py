"""Gateway benchmarks: weave's gateway against nginx proxying to the same upstream, with wrk.

- gateway.vs_nginx: req/s of a weave route with API-key auth + a rate limit (never hit) + a small response
  transform (drop cost_price), divided by nginx's req/s proxying to the same upstream (keep-alive pool).
- gateway.plugin_overhead: that route's req/s divided by weave's own bare proxy route (public, no transform)
  on the same server; the goal is >= 0.90 (plugins cost <= 10%; Kong loses ~24%).
- gateway.p50_ms / gateway.p99_ms: wrk's latency percentiles of the full route (details hold every variant).

One upstream (uvicorn + httptools serving a small JSON, raw ASGI), one nginx worker, one gateway worker;
the variants alternate round by round (nginx, weave full, weave bare, ...) and the median round counts.
`run(quick)` returns records (a full run adds the same figures with 2 nginx and 2 gateway workers, named
`gateway.*.2w`); `python bench/gateway.py --quick [--workers N]` prints them as JSON lines.

`--idle poll` (records suffixed `.poll`; bench/run.py's full run adds them when it can) holds the kernel's CPU latency request at 0 µs for the run
(`/dev/cpu_dma_latency`, the PM QoS interface tuned's latency profiles use; root only), so idle CPUs poll
instead of halting. Why it matters here: on loopback the sender's kernel delivers each packet and wakes the
reader, so when wrk or the upstream sleeps on a halted vCPU, the gateway's write pays the wake-up (an IPI,
a VM exit on this VM), and the slower the route, the more often its peers sleep. `perf` shows that cost in
`sock_def_readable` (see docs/design/gateway.md). Both sides, nginx and weave, run in the same condition.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SMALL = json.dumps({"id": "Q-00001", "total": 1201.0, "cost_price": 801.0, "currency": "EUR",
                    "status": "sent", "account_id": "ACC-0001"}).encode()


async def upstream_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(SMALL)).encode())]})
    await send({"type": "http.response.body", "body": SMALL})


def _config(upstream_url: str, keys_file: Path) -> dict[str, Any]:
    routes = [
        {"method": "GET", "path": "/partner/v1/quotes/{id}", "upstream": {"system": "crm", "path": "/api/quotes/{id}"},
         "scopes": ["quotes:read"], "rate_limit": {"requests": 1_000_000_000, "per": "hour"},
         "response": {"steps": [{"drop": ["cost_price"]}]}},
        {"method": "GET", "path": "/bare/quotes/{id}", "public": True,
         "upstream": {"system": "crm", "path": "/api/quotes/{id}"}},
    ]
    return {
        "integrations": [{"name": "partner-quoting-api", "gateway": {"routes": routes}}],
        "consumers": [{"name": "bench-partner", "auth": {"type": "api-key"}, "scopes": ["quotes:read"],
                       "rate_limit": {"requests": 1_000_000_000, "per": "hour"}}],
        "systems": {"crm": upstream_url},
        "settings": {"key_cache_ttl": 60},
        "keys": str(keys_file),
    }


def _python_server(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "uvicorn", *args, "--host", "127.0.0.1", "--http", "httptools",
                             "--loop", "uvloop", "--no-access-log", "--log-level", "warning"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextlib.contextmanager
def _process(proc: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    try:
        yield proc
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)


_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_PCT = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str] | None = None) -> dict[str, float]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = _RPS.search(out)
    if not rps or "Non-2xx" in out or "Socket errors" in out and "timeout" in out:
        raise RuntimeError(f"wrk run failed or saw errors:\n{out}")
    pct = {p: float(v) * _UNIT[u] for p, v, u in _PCT.findall(out)}
    return {"rps": float(rps.group(1)), "p50_ms": pct.get("50", 0.0), "p99_ms": pct.get("99", 0.0)}


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root: int) -> float:
    """user+system CPU seconds of a process and its children (from /proc)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == root or ppid == root:
            total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def measure(url: str, seconds: int, connections: int, headers: dict[str, str] | None, pid: int) -> dict[str, float]:
    before = cpu_seconds(pid)
    result = wrk(url, seconds, connections, headers)
    used = cpu_seconds(pid) - before
    result["cpu_us_per_request"] = used / max(1.0, result["rps"] * seconds) * 1e6
    return result


_CPUIDLE = Path("/sys/devices/system/cpu")


def _idle_entries() -> dict[str, int]:
    """How often the CPUs entered each idle state so far (cpuidle's counters), by state name."""
    counts: dict[str, int] = {}
    for usage in _CPUIDLE.glob("cpu[0-9]*/cpuidle/state[0-9]*/usage"):
        name = (usage.parent / "name").read_text().strip()
        counts[name] = counts.get(name, 0) + int(usage.read_text())
    return counts


@contextlib.contextmanager
def cpu_idle(mode: str) -> Iterator[dict[str, Any]]:
    """`halt`: the machine as it is. `poll`: idle CPUs poll instead of halting while the block runs (a CPU
    latency request of 0 µs, held open on /dev/cpu_dma_latency). Yields a dict that gets, on exit, the idle
    entries per state during the block, so a record shows which idle states were actually used."""
    info: dict[str, Any] = {"idle": mode}
    fd = None
    if mode == "poll":
        try:
            fd = os.open("/dev/cpu_dma_latency", os.O_WRONLY)
        except OSError as exc:
            raise RuntimeError(f"--idle poll needs root and /dev/cpu_dma_latency: {exc}") from None
        os.write(fd, struct.pack("i", 0))
    before = _idle_entries()
    try:
        yield info
    finally:
        if fd is not None:
            os.close(fd)
        after = _idle_entries()
        info["idle_entries"] = {name: after[name] - before.get(name, 0) for name in after}


def poll_available() -> bool:
    """Whether `cpu_idle("poll")` can work here (root and the PM QoS device)."""
    return os.access("/dev/cpu_dma_latency", os.W_OK)


def run(quick: bool, workers: int | None = None, connections: int = 32, idle: str | None = None) -> list[dict[str, Any]]:
    """1 worker each side; a full run (not quick) also 2 workers each side; `workers` picks one count.
    `connections`: wrk's concurrent connections (32 for the recorded figures); `idle`: see `cpu_idle`. Without
    `idle` (bench/run.py), a quick run measures the machine as it is and a full run also with idle CPUs polling
    (the `.poll` records) where that is possible."""
    counts = [workers] if workers else ([1] if quick else [1, 2])
    idles = [idle] if idle else (["halt"] if quick or not poll_available() else ["halt", "poll"])
    return [record for mode in idles for count in counts for record in _run(quick, count, connections, mode)]


def _run(quick: bool, workers: int, connections: int = 32, idle: str = "halt") -> list[dict[str, Any]]:
    from weave.gateway import SqliteKeyStore, create_key
    from weave.sandbox.services import free_port, nginx_proxy, wait_for_port

    if not shutil.which("wrk"):
        raise RuntimeError("wrk not found (apt-get install -y wrk)")
    seconds, rounds = (2, 5) if quick else (5, 9)
    tmp = Path(tempfile.mkdtemp(prefix="weave-bench-gw-"))
    try:
        up_port, gw_port = free_port(), free_port()
        bench_dir = str(Path(__file__).resolve().parent)
        up_env = {**os.environ, "PYTHONPATH": bench_dir + os.pathsep + os.environ.get("PYTHONPATH", "")}
        keys_file = tmp / "keys.sqlite"
        store = SqliteKeyStore(keys_file)
        key, _ = asyncio.run(create_key(store, "bench-partner"))
        store.close()
        config_file = tmp / "gateway.json"
        config_file.write_text(json.dumps(_config(f"http://127.0.0.1:{up_port}", keys_file)))
        gw_env = {**os.environ, "WEAVE_GATEWAY_CONFIG": str(config_file)}
        with _process(_python_server(["gateway:upstream_app", "--port", str(up_port)], up_env)), \
                _process(subprocess.Popen([sys.executable, "-m", "weave.gateway.server", str(gw_port), str(workers)],
                                          env=gw_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)) as gateway:
            wait_for_port(up_port)
            wait_for_port(gw_port)
            with nginx_proxy(up_port, workers=workers) as nginx, cpu_idle(idle) as idle_info:
                assert nginx.proc is not None
                variants = {
                    "nginx": (f"{nginx.url}/api/quotes/Q-00001", None, nginx.proc.pid),
                    "weave_full": (f"http://127.0.0.1:{gw_port}/partner/v1/quotes/Q-00001", {"X-API-Key": key},
                                   gateway.pid),
                    "weave_bare": (f"http://127.0.0.1:{gw_port}/bare/quotes/Q-00001", None, gateway.pid),
                }
                for url, headers, _ in variants.values():  # warm-up: connection pools, key cache
                    wrk(url, 1, connections, headers)
                results: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
                for _ in range(rounds):
                    for name, (url, headers, pid) in variants.items():
                        results[name].append(measure(url, seconds, connections, headers, pid))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def median(name: str, field: str) -> float:
        return statistics.median(r[field] for r in results[name])

    # ratios are taken round by round (adjacent runs share the machine's background load), then the median
    vs_nginx = statistics.median(f["rps"] / n["rps"] for f, n in zip(results["weave_full"], results["nginx"], strict=True))
    plugins = statistics.median(f["rps"] / b["rps"] for f, b in zip(results["weave_full"], results["weave_bare"],
                                                                    strict=True))
    cpu = {name: median(name, "cpu_us_per_request") for name in results}
    detail = {
        "rounds": rounds, "seconds": seconds, "connections": connections, "workers": workers,
        "upstream": "uvicorn+httptools, raw ASGI, 1 worker",
        "rps": {name: round(median(name, "rps")) for name in results},
        "p50_ms": {name: round(median(name, "p50_ms"), 3) for name in results},
        "p99_ms": {name: round(median(name, "p99_ms"), 3) for name in results},
        "proxy_cpu_us_per_request": {name: round(median(name, "cpu_us_per_request"), 1) for name in results},
        "per_round_rps": {name: [round(r["rps"]) for r in rs] for name, rs in results.items()},
        **idle_info,
    }
    suffix = ("" if workers == 1 else f".{workers}w") + ("" if connections == 32 else f".c{connections}")
    suffix += "" if idle == "halt" else f".{idle}"
    return [
        {"name": "gateway.vs_nginx" + suffix, "value": round(vs_nginx, 3), "unit": "ratio of req/s (goal >= 0.4)",
         "detail": detail},
        {"name": "gateway.plugin_overhead" + suffix, "value": round(plugins, 3),
         "unit": "ratio of req/s full/bare (goal >= 0.90, i.e. <= 10% cost)",
         "detail": {"cost": round(1 - plugins, 3),
                    "cpu_ratio_bare_over_full": round(cpu["weave_bare"] / cpu["weave_full"], 3),
                    "cpu_cost": round(1 - cpu["weave_bare"] / cpu["weave_full"], 3)}},
        {"name": "gateway.p50_ms" + suffix, "value": round(median("weave_full", "p50_ms"), 3), "unit": "ms",
         "detail": {"nginx": round(median("nginx", "p50_ms"), 3)}},
        {"name": "gateway.p99_ms" + suffix, "value": round(median("weave_full", "p99_ms"), 3), "unit": "ms",
         "detail": {"nginx": round(median("nginx", "p99_ms"), 3)}},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short rounds (seconds, not minutes)")
    parser.add_argument("--workers", type=int, default=None, help="workers on each side (default: 1; full run: 1 and 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk's connections (default 32; others suffix .cN)")
    parser.add_argument("--idle", choices=["halt", "poll"], default="halt",
                        help="halt: the machine as it is; poll: idle CPUs poll (records suffixed .poll; root only)")
    args = parser.parse_args()
    for record in run(args.quick, args.workers, args.connections, args.idle):
        print(json.dumps(record))


if __name__ == "__main__":
    main()
