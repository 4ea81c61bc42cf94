"""Pure SLO evaluation: an `Observation` of one integration (numbers read from the state store and the
running flows) and an `Slo` give an `SloResult`. No I/O here, so every rule is tested with plain data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from weave.ownership.slo import Slo, human_duration


@dataclass(frozen=True)
class Observation:
    integration: str
    now: float
    watching_since: float  # when evaluation started for it: freshness counts from here if nothing was delivered
    window_counts: Mapping[float, tuple[int, int]] = field(default_factory=dict)  # window_s -> (delivered, failed)
    last_success_at: float | None = None
    dlq_depth: int = 0
    dlq_oldest_age_s: float | None = None
    lag: int | None = None
    p99_latency_s: float | None = None  # from the flow when it measures one, else the window's max latency
    last_batch_ok_at: float | None = None  # latest successful batch run's finish


@dataclass(frozen=True)
class SloResult:
    slo: Slo
    ok: bool
    value: float | None
    message: str

    @property
    def kind(self) -> str:
        return self.slo.kind


def _rate(obs: Observation, window_s: float) -> tuple[float, int]:
    delivered, failed = obs.window_counts.get(window_s, (0, 0))
    total = delivered + failed
    return (failed / total if total else 0.0), total


def _tz(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def finish_by_deadline(now: float, at: str, timezone: str) -> tuple[float, float]:
    """(start of the owner's local day, today's deadline) as epoch seconds."""
    tz = _tz(timezone)
    local = dt.datetime.fromtimestamp(now, tz)
    hour, minute = (int(part) for part in at.split(":", 1))
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day_start.timestamp(), local.replace(hour=hour, minute=minute, second=0, microsecond=0).timestamp()


def evaluate(slo: Slo, obs: Observation) -> SloResult:
    """Is `slo` met for `obs`? The message says why not, in words an owner understands."""
    kind, limit = slo.kind, slo.threshold
    if kind == "freshness":
        since = obs.last_success_at if obs.last_success_at is not None else obs.watching_since
        age = max(0.0, obs.now - since)
        what = "last successful delivery" if obs.last_success_at is not None else "no successful delivery since"
        return SloResult(slo, age <= limit, age, f"{what} {human_duration(round(age))} ago (limit {human_duration(limit)})")
    if kind in ("error_rate", "error_5xx_rate"):
        rate, total = _rate(obs, slo.window_s)
        label = "error rate" if kind == "error_rate" else "5xx rate"
        return SloResult(slo, rate <= limit, rate,
                         f"{label} {rate:.0%} of {total} over {human_duration(slo.window_s)} (limit {limit:.0%})")
    if kind == "dlq_depth":
        return SloResult(slo, obs.dlq_depth <= limit, float(obs.dlq_depth),
                         f"{obs.dlq_depth} dead letters (limit {int(limit)})")
    if kind == "dlq_age":
        age = obs.dlq_oldest_age_s or 0.0
        return SloResult(slo, age <= limit, age, f"oldest dead letter {human_duration(round(age))} old (limit {human_duration(limit)})")
    if kind == "lag":
        lag = obs.lag or 0
        return SloResult(slo, lag <= limit, float(lag), f"subscriber lag {lag} messages (limit {int(limit)})")
    if kind == "p99_latency":
        p99 = obs.p99_latency_s or 0.0
        return SloResult(slo, p99 <= limit, p99, f"p99 latency {p99 * 1000:.0f}ms (limit {limit * 1000:.0f}ms)")
    if kind == "finish_by":
        day_start, deadline = finish_by_deadline(obs.now, slo.at or "06:00", slo.timezone)
        done = obs.last_batch_ok_at is not None and obs.last_batch_ok_at >= day_start
        late = obs.now >= deadline and not done
        return SloResult(slo, not late, obs.last_batch_ok_at,
                         f"batch not finished by {slo.at} {slo.timezone}" if late
                         else f"batch finished by {slo.at} {slo.timezone}" if done
                         else f"batch due by {slo.at} {slo.timezone}")
    return SloResult(slo, True, None, f"unknown SLO kind {kind!r}")


def evaluate_all(slos: tuple[Slo, ...], obs: Observation) -> list[SloResult]:
    return [evaluate(slo, obs) for slo in slos]
