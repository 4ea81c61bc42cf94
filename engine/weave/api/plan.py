"""Planner library calls: plan, explain, inventory, impact, graph. Pure planning: no state store needed.

Each returns a typed result and never prints. `PlanResult.to_dict()` is the versioned JSON document of
`weave plan --format json`; the deploy layer adds a `diff` section (against the applied revision) by
setting `PlanResult.sections["diff"]`, without touching the planning itself.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from weave.diagnostics import Diagnostic, has_errors
from weave.plan import (
    Impact,
    IntegrationPlan,
    InventoryRow,
    Plan,
    audit,
    explain_rows,
    plan_project,
    plan_to_dict,
)
from weave.plan.audit import warnings_for
from weave.plan.impact import impact as trace_impact
from weave.plan.inventory import inventory as list_inventory
from weave.plan.views import ExplainRow
from weave.spec import LoadResult, load_project


@dataclass
class PlanResult:
    load: LoadResult
    plan: Plan
    audit: list[Diagnostic]
    sections: dict[str, Any] = field(default_factory=dict)  # extra top-level sections, e.g. "diff"

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return sorted([*self.load.diagnostics, *self.audit], key=lambda d: d.sort_key())

    @property
    def ok(self) -> bool:
        return not has_errors(self.load.diagnostics)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        out = plan_to_dict(self.plan, self.diagnostics)
        out.update(self.sections)
        return out


def plan(paths: Iterable[str | Path], *, strict_owners: bool | None = None) -> PlanResult:
    """Load the specs and choose every integration's pattern(s), with reasons and the portfolio audit."""
    load = load_project(paths, strict_owners=strict_owners)
    planned = plan_project(load.project)
    return PlanResult(load=load, plan=planned, audit=audit(load.project, planned))


class UnknownName(LookupError):
    """An integration or system name that the specs do not declare; `suggestions` holds close names."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind, self.name = kind, name
        self.suggestions = difflib.get_close_matches(name, list(known), n=3)
        hint = f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"no {kind} named '{name}'{hint}")


@dataclass
class ExplainResult:
    result: PlanResult
    integration: IntegrationPlan
    rows: list[list[ExplainRow]]  # one table per side

    @property
    def warnings(self) -> list[Diagnostic]:
        return warnings_for(self.integration.name, self.result.audit)


def explain(paths: Iterable[str | Path], name: str) -> ExplainResult:
    result = plan(paths)
    item = result.plan.get(name)
    if item is None:
        raise UnknownName("integration", name, result.load.project.integrations)
    return ExplainResult(result, item, [explain_rows(d) for d in item.decisions])


@dataclass
class InventoryResult:
    result: PlanResult
    rows: list[InventoryRow]


def inventory(paths: Iterable[str | Path]) -> InventoryResult:
    result = plan(paths)
    return InventoryResult(result, list_inventory(result.load.project, result.plan))


@dataclass
class ImpactResult:
    result: PlanResult
    impact: Impact


def impact(paths: Iterable[str | Path], system: str) -> ImpactResult:
    result = plan(paths)
    found = trace_impact(result.load.project, result.plan, system)
    if not found.known:
        raise UnknownName("system", system, result.load.project.systems)
    return ImpactResult(result, found)


@dataclass
class GraphResult:
    result: PlanResult
    text: str
    format: str


def graph(paths: Iterable[str | Path], fmt: str = "mermaid") -> GraphResult:
    """The topology as Mermaid, DOT, SVG or a self-contained HTML page."""
    from weave.plan.graph import render

    result = plan(paths)
    return GraphResult(result, render(result.load.project, result.plan, fmt), fmt)
