"""Access log (one JSON line per request: consumer id, never a credential or the query string)
and Prometheus metrics per route and consumer (count by status, latency histogram)."""

from __future__ import annotations

import logging
import os
import time
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

access_log = logging.getLogger("weave.gateway.access")

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class GatewayMetrics:
    """Per route and consumer: request count by status, latency histogram; upstream failures.

    Counting is plain dict arithmetic on the hot path (no locks, no label lookups); the values are
    turned into Prometheus families only when scraped (a custom collector on its own registry).
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        # per (route, consumer, status): [count, bucket counts..., +Inf count, sum of seconds]; one lookup per
        # request, the histograms are summed per (route, consumer) only when scraped
        self._stats: dict[tuple[str, str, int], list[float]] = {}
        self._upstream: dict[tuple[str, str], int] = {}
        self.registry.register(self)  # type: ignore[arg-type]

    def observe(self, route: str, consumer: str, status: int, seconds: float) -> None:
        key = (route, consumer, status)
        entry = self._stats.get(key)
        if entry is None:
            entry = self._stats[key] = [0.0] * (len(BUCKETS) + 3)
        entry[0] += 1
        entry[1 + bisect_left(BUCKETS, seconds)] += 1
        entry[-1] += seconds

    def upstream_error(self, system: str, kind: str) -> None:
        key = (system, kind)
        self._upstream[key] = self._upstream.get(key, 0) + 1

    def collect(self) -> Iterator[Any]:
        stats = list(self._stats.items())
        requests = CounterMetricFamily("weave_gateway_requests", "Gateway requests by route, consumer and status.",
                                       labels=["route", "consumer", "status"])
        histograms: dict[tuple[str, str], list[float]] = {}
        for (route, consumer, status), entry in stats:
            requests.add_metric([route, consumer, str(status)], int(entry[0]))
            histogram = histograms.setdefault((route, consumer), [0.0] * (len(BUCKETS) + 2))
            for i, value in enumerate(entry[1:]):
                histogram[i] += value
        yield requests
        latency = HistogramMetricFamily("weave_gateway_request_duration_seconds", "Gateway request latency.",
                                        labels=["route", "consumer"])
        for (route, consumer), histogram in histograms.items():
            cumulative, buckets = 0.0, []
            for bound, count in zip((*BUCKETS, float("inf")), histogram[:-1], strict=True):
                cumulative += count
                buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
            latency.add_metric([route, consumer], buckets, histogram[-1])
        yield latency
        upstream = CounterMetricFamily("weave_gateway_upstream_errors", "Upstream failures by system and kind.",
                                       labels=["system", "kind"])
        for (system, kind), value in list(self._upstream.items()):
            upstream.add_metric([system, kind], value)
        yield upstream

    def render(self) -> bytes:
        return generate_latest(self.registry)


_PID = os.getpid()


def log_access(method: str, path: str, route: str, status: int, consumer: str, auth_type: str,
               seconds: float, request_id: str, error: str = "") -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return
    record: dict[str, Any] = {
        "ts": round(time.time(), 3), "method": method, "path": path, "route": route, "status": status,
        "consumer": consumer, "auth": auth_type, "duration_ms": round(seconds * 1000, 3),
        "request_id": request_id, "pid": _PID,
    }
    if error:
        record["error"] = error
    access_log.info(orjson.dumps(record).decode())
