"""Ownership benchmarks: the SLO evaluation round of `weave serve`, and alert dedup under concurrent evaluators.

- ownership.slo_round_ms_per_integration: one evaluation round (observe from the state store, evaluate,
  move alerts) over N integrations with delivery buckets and dead letters, on SQLite; ms per integration
  (lower is better). No peer: an absolute figure.
- ownership.alerts_under_concurrent_evaluators_vs_check_then_insert: W evaluators (asyncio tasks, as several
  workers would) observe the same breach for R rounds. weave opens alerts with one upsert guarded by a partial
  unique index; the peer is the common "SELECT open alert, INSERT if none" recipe on the same database. The
  value is alerts opened by the peer / by weave (weave is 1 by construction; the peer's duplicates are the
  storm). Alternated A B A B.

`run(quick)` returns records; `python bench/ownership.py --quick` prints them as JSON lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


async def _slo_round(path: Path, n: int) -> float:
    from weave.ownership.alerts import AlertRouter, Routing
    from weave.ownership.evaluate import evaluate_all
    from weave.ownership.evaluator import observe
    from weave.ownership.notify import AlertSettings
    from weave.ownership.slo import slos_for
    from weave.state import open_state

    store = await open_state(f"sqlite:///{path}")
    now = time.time()
    for i in range(n):
        await store.record_delivery(f"i{i}", i % 3 != 0, 12.0, count=50)
        if i % 5 == 0:
            await store.dlq_put(f"i{i}", {"n": i}, "boom")
    slos = slos_for(None, ["point-to-point"])
    router = AlertRouter(store, AlertSettings())
    started = time.perf_counter()
    dlq = {s.integration: s for s in await store.dlq_stats()}
    for i in range(n):
        obs = await observe(store, f"i{i}", slos, now=now, watching_since=now, dlq=dlq)
        await router.apply(Routing(f"i{i}", None), evaluate_all(slos, obs), now=now)
    elapsed = time.perf_counter() - started
    await router.aclose()
    await store.close()
    return elapsed * 1000 / n


async def _opened(path: Path, workers: int, rounds: int, weave: bool) -> int:
    """Alerts opened when `workers` evaluators each see the same breach `rounds` times."""
    from weave.state import open_state

    store = await open_state(f"sqlite:///{path}")
    db = store._db  # type: ignore[attr-defined]

    async def check_then_insert() -> None:
        # the peer's rows use status 'naive' so weave's partial unique index (status = 'open') cannot help it
        row = await db.fetchone("SELECT id FROM weave_alerts WHERE integration = %s AND slo = %s "
                                "AND status = 'naive'", ("ship", "freshness"))
        if row is None:
            await db.execute("INSERT INTO weave_alerts (integration, slo, status, message, opened_at) "
                             "VALUES (%s, %s, 'naive', %s, weave_now())", ("ship", "freshness", "stale"))

    async def evaluator() -> None:
        for _ in range(rounds):
            if weave:
                await store.alerts_open("ship", "freshness", "stale")
            else:
                await check_then_insert()
            await asyncio.sleep(0)

    await asyncio.gather(*(evaluator() for _ in range(workers)))
    row = await db.fetchone("SELECT count(*) FROM weave_alerts")
    await store.close()
    return int(row[0]) if row else 0


def run(quick: bool) -> list[dict[str, Any]]:
    n = 50 if quick else 300
    workers, rounds, reps = (8, 5, 3) if quick else (16, 20, 5)
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        per = [asyncio.run(_slo_round(Path(tmp) / f"slo{i}.db", n)) for i in range(3)]
        records.append({"name": "ownership.slo_round_ms_per_integration", "value": round(statistics.median(per), 3),
                        "unit": "ms", "detail": {"integrations": n, "rounds": per, "slos": 3, "backend": "sqlite"}})
        weave_counts, peer_counts = [], []
        for i in range(reps):  # A B A B
            weave_counts.append(asyncio.run(_opened(Path(tmp) / f"w{i}.db", workers, rounds, True)))
            peer_counts.append(asyncio.run(_opened(Path(tmp) / f"p{i}.db", workers, rounds, False)))
        records.append({"name": "ownership.alerts_under_concurrent_evaluators_vs_check_then_insert",
                        "value": round(statistics.median(peer_counts) / max(1, statistics.median(weave_counts)), 2),
                        "unit": "x (peer alerts / weave alerts)",
                        "detail": {"workers": workers, "rounds": rounds, "weave_alerts": weave_counts,
                                   "peer_alerts": peer_counts}})
    return records


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "engine"))
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    for record in run(parser.parse_args().quick):
        print(json.dumps(record))
