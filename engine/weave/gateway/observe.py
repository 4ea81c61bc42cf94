"""Access log (one JSON line per request: consumer id, never a credential or the query string)
and Prometheus metrics per route and consumer (count by status, latency histogram)."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

access_log = logging.getLogger("weave.gateway.access")

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class GatewayMetrics:
    """Metrics on a registry of their own (exposed by the app at /metrics when enabled)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Counter("weave_gateway_requests", "Gateway requests by route, consumer and status.",
                                ["route", "consumer", "status"], registry=self.registry)
        self.latency = Histogram("weave_gateway_request_duration_seconds", "Gateway request latency.",
                                 ["route", "consumer"], buckets=BUCKETS, registry=self.registry)
        self.upstream_errors = Counter("weave_gateway_upstream_errors", "Upstream failures by system and kind.",
                                       ["system", "kind"], registry=self.registry)
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    def observe(self, route: str, consumer: str, status: int, seconds: float) -> None:
        key = (route, consumer, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(route, consumer, str(status))
        counter.inc()
        hkey = (route, consumer)
        histogram = self._histograms.get(hkey)
        if histogram is None:
            histogram = self._histograms[hkey] = self.latency.labels(route, consumer)
        histogram.observe(seconds)

    def upstream_error(self, system: str, kind: str) -> None:
        self.upstream_errors.labels(system, kind).inc()

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
