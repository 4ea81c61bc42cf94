"""Prometheus metrics per integration, pattern and owner. One registry per runtime (no globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._labels: dict[str, tuple[str, str]] = {}  # integration -> (pattern, owner)
        r = self.registry
        self.messages = Counter("weave_messages_total", "Messages handled, by outcome.",
                                ["integration", "pattern", "owner", "outcome"], registry=r)
        self.deliveries = Counter("weave_deliveries_total", "Deliveries to a target, by result.",
                                  ["integration", "pattern", "owner", "target", "result"], registry=r)
        self.latency = Histogram("weave_delivery_latency_seconds", "Delivery latency to a target.",
                                 ["integration", "pattern", "owner", "target"], buckets=LATENCY_BUCKETS,
                                 registry=r)
        self.ingest_rejected = Counter("weave_ingest_rejected_total", "Inbound webhooks refused, by reason.",
                                       ["integration", "reason"], registry=r)
        self.dlq_depth = Gauge("weave_dlq_depth", "Dead letters not yet replayed.",
                               ["integration", "pattern", "owner"], registry=r)
        self.dlq_oldest = Gauge("weave_dlq_oldest_age_seconds", "Age of the oldest dead letter.",
                                ["integration", "pattern", "owner"], registry=r)
        self.lag = Gauge("weave_subscriber_lag", "Event subscriber lag (messages).",
                         ["integration", "pattern", "owner"], registry=r)
        self.pending = Gauge("weave_subscriber_pending", "Delivered to a subscriber, not yet acknowledged.",
                             ["integration", "pattern", "owner"], registry=r)
        self.pending_age = Gauge("weave_subscriber_oldest_pending_age_seconds",
                                 "Age of a subscriber's oldest unacknowledged event (0 when none).",
                                 ["integration", "pattern", "owner"], registry=r)
        self.queue_depth = Gauge("weave_hub_queue_depth", "Messages waiting in the hub queue.",
                                 ["integration", "pattern", "owner"], registry=r)
        self.batch_rows = Counter("weave_batch_rows_total", "Rows moved by batch runs, by stage.",
                                  ["integration", "pattern", "owner", "stage"], registry=r)
        self.revision = Gauge("weave_revision", "The deployed revision this worker runs.", registry=r)

    def register(self, integration: str, pattern: str, owner: str | None) -> None:
        self._labels[integration] = (pattern, owner or "unowned")

    def _l(self, integration: str) -> tuple[str, str, str]:
        pattern, owner = self._labels.get(integration, ("unknown", "unowned"))
        return integration, pattern, owner

    def message(self, integration: str, outcome: str, count: int = 1) -> None:
        self.messages.labels(*self._l(integration), outcome).inc(count)

    def delivery(self, integration: str, target: str, ok: bool, seconds: float) -> None:
        self.deliveries.labels(*self._l(integration), target, "ok" if ok else "failed").inc()
        self.latency.labels(*self._l(integration), target).observe(seconds)

    def duplicate(self, integration: str, target: str) -> None:
        self.deliveries.labels(*self._l(integration), target, "duplicate").inc()

    def rejected(self, integration: str, reason: str) -> None:
        self.ingest_rejected.labels(integration, reason).inc()

    def set_dlq(self, integration: str, depth: int, oldest_age: float) -> None:
        self.dlq_depth.labels(*self._l(integration)).set(depth)
        self.dlq_oldest.labels(*self._l(integration)).set(oldest_age)

    def set_lag(self, integration: str, lag: int, pending: int, oldest_age: float | None = None) -> None:
        self.lag.labels(*self._l(integration)).set(lag)
        self.pending.labels(*self._l(integration)).set(pending)
        self.pending_age.labels(*self._l(integration)).set(oldest_age or 0.0)

    def set_queue(self, integration: str, depth: int) -> None:
        self.queue_depth.labels(*self._l(integration)).set(depth)

    def rows(self, integration: str, stage: str, count: int) -> None:
        if count:
            self.batch_rows.labels(*self._l(integration), stage).inc(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
