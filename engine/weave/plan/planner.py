"""Plan a project: for every integration, the framework's choice per side, the override, the hub."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property

from weave.plan.facts import Portfolio, as_str, endpoints, facts_for, sides_of
from weave.plan.limits import Limits
from weave.plan.rules import HUB, P2P, PATTERNS, RULES, Question
from weave.plan.scoring import Decision, decide
from weave.spec.model import Integration, Project


@dataclass(frozen=True)
class Override:
    pattern: str
    reason: str | None
    agrees: bool  # the framework chose the same pattern on every side


@dataclass(frozen=True)
class IntegrationPlan:
    name: str
    direction: str
    source: str
    targets: tuple[str, ...]
    owner: str | None
    decisions: tuple[Decision, ...]  # one per side: (push,), (pull,) or (push, pull)
    override: Override | None
    hub: str | None  # the hub it routes through, when a side is hub-and-spoke
    publishes: str | None
    subscribes_to: str | None

    @property
    def patterns(self) -> tuple[str, ...]:
        """The patterns that will run, one per direction (the override wins over the framework)."""
        if self.override is not None:
            return tuple(self.override.pattern for _ in self.decisions)
        return self.framework_patterns

    @property
    def framework_patterns(self) -> tuple[str, ...]:
        return tuple(d.pattern for d in self.decisions)

    @property
    def systems(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for s in (self.source, *self.targets) if s))


@dataclass(frozen=True)
class Plan:
    integrations: tuple[IntegrationPlan, ...]
    limits: Limits

    @cached_property
    def _by_name(self) -> dict[str, IntegrationPlan]:
        return {p.name: p for p in self.integrations}

    def get(self, name: str) -> IntegrationPlan | None:
        return self._by_name.get(name)

    def by_pattern(self) -> dict[str, int]:
        counts = dict.fromkeys(PATTERNS, 0)
        for item in self.integrations:
            for pattern in set(item.patterns):
                counts[pattern] += 1
        return counts


DIRECT = frozenset({P2P, HUB})
FRAMEWORK_RULES = tuple(rule for rule in RULES if rule.question != Question.PORTFOLIO)


def is_direct(integration: Integration, portfolio: Portfolio, limits: Limits) -> bool:
    """A direct connection its systems must maintain: the override says so, or the four questions
    (and exposure) without the portfolio choose point-to-point or hub-and-spoke on some side."""
    if integration.pattern_override in PATTERNS:
        return integration.pattern_override in DIRECT
    return any(decide(facts_for(integration, side, portfolio, limits), FRAMEWORK_RULES).pattern in DIRECT
               for side in sides_of(integration))


def build_portfolio(project: Project, limits: Limits) -> Portfolio:
    """First pass: count each system's direct connections; the second pass plans with that context."""
    base = Portfolio.of(project)
    direct: Counter[str] = Counter()
    for integration in project.integrations.values():
        if is_direct(integration, base, limits):
            direct.update(n for n in endpoints(integration) if not base.is_hub(n))
    return replace(base, direct=dict(direct))


def plan_integration(integration: Integration, portfolio: Portfolio, limits: Limits) -> IntegrationPlan:
    decisions = tuple(decide(facts_for(integration, side, portfolio, limits)) for side in sides_of(integration))
    chosen = integration.pattern_override
    override = None
    if chosen in PATTERNS:
        override = Override(chosen, integration.pattern_reason, all(d.pattern == chosen for d in decisions))
    patterns = [override.pattern] * len(decisions) if override else [d.pattern for d in decisions]
    ends = endpoints(integration)
    source = as_str(integration.raw.get("source"))
    return IntegrationPlan(
        name=integration.name,
        direction=decisions[0].facts.direction,
        source=source,
        targets=tuple(e for e in ends if e != source),
        owner=integration.owner,
        decisions=decisions,
        override=override,
        hub=portfolio.hub_for(integration) if HUB in patterns else None,
        publishes=integration.publishes,
        subscribes_to=integration.subscribes_to,
    )


def plan_project(project: Project, limits: Limits | None = None) -> Plan:
    """Pure planning: no state store, no network. Integrations in name order."""
    limits = limits or Limits.from_settings(project.settings)
    portfolio = build_portfolio(project, limits)
    items = tuple(plan_integration(project.integrations[name], portfolio, limits)
                  for name in sorted(project.integrations))
    return Plan(integrations=items, limits=limits)
