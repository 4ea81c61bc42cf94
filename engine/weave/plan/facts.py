"""The facts the rules look at: one integration's answers to the framework, plus its portfolio context.

`Portfolio` is computed once per project (O(n)); `facts_for` then builds one `Facts` per planned side
(a bidirectional integration is planned as a push side and a pull side).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from weave.plan.limits import Limits
from weave.spec.model import Integration, Project, System

EXTERNAL_EXPOSURES = frozenset({"partner", "customer", "third-party"})
SIDES: dict[str, tuple[str, ...]] = {"push": ("push",), "pull": ("pull",), "bidirectional": ("push", "pull")}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def endpoints(integration: Integration) -> tuple[str, ...]:
    """Source then targets, de-duplicated, in spec order (robust to malformed specs)."""
    raw = integration.raw
    names: list[str] = []
    if isinstance(raw.get("source"), str):
        names.append(raw["source"])
    targets = raw.get("targets")
    if isinstance(targets, list):
        names.extend(t for t in targets if isinstance(t, str))
    elif isinstance(raw.get("target"), str):
        names.append(raw["target"])
    return tuple(dict.fromkeys(n for n in names if n))


def _peak_key(system: System | None) -> tuple[Any, ...] | None:
    windows = system.raw.get("peak_hours") if system is not None else None
    if not isinstance(windows, list) or not windows:
        return None
    out = []
    for w in windows:
        if isinstance(w, dict):
            days = w.get("days")
            out.append((str(w.get("start")), str(w.get("end")), str(w.get("timezone", "UTC")),
                        tuple(days) if isinstance(days, list) else ()))
    return tuple(sorted(out))


@dataclass(frozen=True)
class Portfolio:
    """Project-wide context: how many integrations touch each system, which systems are hubs.

    `direct` counts, per system, the integrations that are direct connections the system must maintain
    (point-to-point or hub-and-spoke by the four questions, or by override); the planner fills it in a
    first pass (weave.plan.planner.build_portfolio). Event consumers, gateway consumers and ETL jobs are
    not counted: the article's burden of point-to-point is one connection (auth, error handling, data
    format, monitoring) per direct integration.
    """

    touching: Mapping[str, int]
    systems: Mapping[str, System]
    hubs: tuple[str, ...]
    direct: Mapping[str, int] = field(default_factory=dict)
    api_kinds: Mapping[str, tuple[str, str, bool]] = field(default_factory=dict)  # style, auth, standard
    peaks: Mapping[str, tuple[Any, ...] | None] = field(default_factory=dict)

    @classmethod
    def of(cls, project: Project) -> Portfolio:
        touching: Counter[str] = Counter()
        for integration in project.integrations.values():
            touching.update(endpoints(integration))
        hubs = tuple(sorted(n for n, s in project.systems.items() if s.raw.get("role") == "hub"))
        api_kinds = {n: (s.style, s.auth_type, s.is_standard) for n, s in project.systems.items()}
        peaks = {n: _peak_key(s) for n, s in project.systems.items()}
        return cls(touching=dict(touching), systems=project.systems, hubs=hubs, api_kinds=api_kinds, peaks=peaks)

    def is_hub(self, name: str) -> bool:
        return name in self.hubs

    def hub_for(self, integration: Integration) -> str:
        """The hub an integration routes through: its `hub:`, else the project's hub system, else weave itself."""
        declared = integration.raw.get("hub")
        if isinstance(declared, str) and declared:
            return declared
        return self.hubs[0] if self.hubs else "weave"


@dataclass(frozen=True)
class Facts:
    """Everything a rule may look at. Derived booleans are computed here so rules stay one-line predicates."""

    integration: str
    side: str  # the side being planned: push | pull ("" when the direction is missing or invalid)
    direction: str
    timing: str
    coupling: str
    records_per_transaction: int
    transactions_per_day: int
    high_volume: bool
    transform_complexity: str | None
    exposure: str
    target_count: int
    connection_count: int  # direct connections on the busiest endpoint (hubs excluded)
    total_count: int  # all integrations touching that endpoint
    busiest_system: str | None
    nonstandard_systems: tuple[str, ...]
    heterogeneous_apis: bool
    hub: str | None  # a hub already in place (`hub:` or a system with role: hub)
    peak_hours_differ: bool
    count_low: bool  # connection_count < point_to_point_max
    count_high: bool  # connection_count > point_to_point_max
    count_very_low: bool  # connection_count <= very_low_count

    @property
    def records_per_day(self) -> int:
        return self.records_per_transaction * self.transactions_per_day

    @property
    def moderate_volume(self) -> bool:
        return not self.high_volume

    @property
    def external(self) -> bool:
        return self.exposure in EXTERNAL_EXPOSURES

    @property
    def all_standard(self) -> bool:
        return not self.nonstandard_systems


def sides_of(integration: Integration) -> tuple[str, ...]:
    return SIDES.get(as_str(integration.raw.get("direction")), ("",))


def facts_for(integration: Integration, side: str, portfolio: Portfolio, limits: Limits) -> Facts:
    raw = integration.raw
    volume: dict[str, Any] = raw["volume"] if isinstance(raw.get("volume"), dict) else {}
    rpt, tpd = _int(volume.get("records_per_transaction")), _int(volume.get("transactions_per_day"))
    ends = endpoints(integration)
    counted = [n for n in ends if not portfolio.is_hub(n)]
    busiest = max(counted, key=lambda n: (portfolio.direct.get(n, 0), portfolio.touching.get(n, 0), n == ends[0]),
                  default=None)
    count = portfolio.direct.get(busiest, 0) if busiest else 0
    kinds = portfolio.api_kinds
    nonstandard = tuple(n for n in counted if n in kinds and not kinds[n][2])
    api_kinds = {kinds[n][:2] for n in counted if n in kinds}
    peaks = {portfolio.peaks.get(n) for n in counted}
    declared_hub = raw.get("hub") if isinstance(raw.get("hub"), str) else None
    complexity = as_str(raw.get("transform_complexity")) or None
    return Facts(
        integration=integration.name,
        side=side,
        direction=as_str(raw.get("direction")),
        timing=as_str(raw.get("timing")),
        coupling=as_str(raw.get("coupling")),
        records_per_transaction=rpt,
        transactions_per_day=tpd,
        high_volume=rpt >= limits.high_records_per_transaction or rpt * tpd >= limits.high_records_per_day,
        transform_complexity=complexity,
        exposure=as_str(raw.get("exposure")) or "internal",
        target_count=sum(1 for n in ends if n != as_str(raw.get("source"))),
        connection_count=count,
        total_count=portfolio.touching.get(busiest, 0) if busiest else 0,
        busiest_system=busiest,
        nonstandard_systems=nonstandard,
        heterogeneous_apis=bool(nonstandard) or len(api_kinds) > 1,
        hub=declared_hub or (portfolio.hubs[0] if portfolio.hubs else None),
        peak_hours_differ=None not in peaks and len(peaks) > 1,
        count_low=count < limits.point_to_point_max,
        count_high=count > limits.point_to_point_max,
        count_very_low=count <= limits.very_low_count,
    )
