"""SLO definitions: defaults per pattern, overridden by the integration's `slo:` block.

One `Slo` value per objective; `slos_for()` turns an integration (and the patterns the planner gave it)
into the tuple the evaluator checks. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from weave.spec.durations import parse_duration

SLO_KINDS = ("freshness", "finish_by", "error_rate", "dlq_depth", "dlq_age", "lag", "p99_latency", "error_5xx_rate")
DEFAULT_WINDOW_S = 15 * 60.0

_FLOW = {"freshness": "1h", "error_rate": {"max": 0.05, "window": "15m"}, "dlq_depth": 0}
PATTERN_DEFAULTS: dict[str, dict[str, Any]] = {
    "point-to-point": dict(_FLOW),
    "hub-and-spoke": dict(_FLOW),
    "event-driven": {**_FLOW, "lag": 1000},
    "etl-batch": {"finish_by": "06:00", "dlq_depth": 0},
    "api-gateway": {"p99_latency": "1s", "error_5xx_rate": 0.05},
}


@dataclass(frozen=True)
class Slo:
    """One objective. `threshold` is in the SLO's unit: seconds, a ratio, or a count; `at` is HH:MM (finish_by)."""

    kind: str
    threshold: float
    window_s: float = DEFAULT_WINDOW_S
    at: str | None = None
    timezone: str = "UTC"
    source: str = "default"  # default | spec

    @property
    def describe(self) -> str:
        if self.kind == "freshness":
            return f"last successful delivery younger than {human_duration(self.threshold)}"
        if self.kind == "finish_by":
            return f"batch finished by {self.at} ({self.timezone})"
        if self.kind == "error_rate":
            return f"error rate at most {self.threshold:.0%} over {human_duration(self.window_s)}"
        if self.kind == "dlq_depth":
            return f"at most {int(self.threshold)} dead letters"
        if self.kind == "dlq_age":
            return f"oldest dead letter younger than {human_duration(self.threshold)}"
        if self.kind == "lag":
            return f"subscriber lag at most {int(self.threshold)} messages"
        if self.kind == "p99_latency":
            return f"p99 latency at most {human_duration(self.threshold)}"
        return f"5xx rate at most {self.threshold:.0%} over {human_duration(self.window_s)}"


def human_duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s" if seconds >= 1 else f"{seconds * 1000:g}ms"


def _one(kind: str, value: Any, timezone: str, source: str) -> Slo:
    if kind == "error_rate":
        spec = value if isinstance(value, Mapping) else {"max": value}
        return Slo(kind, float(spec.get("max", 0.05)), parse_duration(spec.get("window", "15m")), source=source)
    if kind == "finish_by":
        return Slo(kind, 0.0, at=str(value), timezone=timezone, source=source)
    if kind in ("freshness", "dlq_age", "p99_latency"):
        return Slo(kind, parse_duration(value), source=source)
    return Slo(kind, float(value), source=source)


def slos_for(raw_slo: Mapping[str, Any] | None, patterns: Iterable[str], *, timezone: str = "UTC") -> tuple[Slo, ...]:
    """The SLOs of one integration: its patterns' defaults, then the spec's `slo:` block on top."""
    merged: dict[str, tuple[Any, str]] = {}
    for pattern in patterns:
        for kind, value in PATTERN_DEFAULTS.get(pattern, {}).items():
            merged.setdefault(kind, (value, "default"))
    for kind, value in (raw_slo or {}).items():
        if kind in SLO_KINDS and value is not None:
            merged[kind] = (value, "spec")
    if merged.get("finish_by", (None, ""))[1] == "spec" and merged.get("freshness", (None, ""))[1] == "default":
        del merged["freshness"]  # a declared batch deadline replaces the default freshness
    return tuple(_one(kind, merged[kind][0], timezone, merged[kind][1]) for kind in SLO_KINDS if kind in merged)
