"""The portfolio audit: warnings with stable WV5xx codes, positioned at the spec field they concern.

Missing owners (integrations and systems) are WV304 in the spec checks and are not repeated here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from weave.diagnostics import Diagnostic, make
from weave.plan.facts import EXTERNAL_EXPOSURES, Portfolio
from weave.plan.planner import IntegrationPlan, Plan, plan_project
from weave.plan.rules import P2P
from weave.spec.loader import LoadResult
from weave.spec.model import Integration, Location, Project, Spec


def _at(loc: Location, code: str, message: str, hint: str, **data: Any) -> Diagnostic:
    return make(code, message, loc.file, loc.line, loc.column, hint=hint, **data)


def _endpoint_pos(spec: Integration, system: str) -> Location:
    raw = spec.raw
    if raw.get("source") == system:
        return spec.pos("source")
    if isinstance(raw.get("targets"), list) and system in raw["targets"]:
        return spec.pos("targets", raw["targets"].index(system))
    return spec.pos("target")


def check_overrides(project: Project, plan: Plan) -> list[Diagnostic]:
    out = []
    for item in plan.integrations:
        if item.override is None:
            continue
        spec = project.integrations[item.name]
        chosen = "/".join(dict.fromkeys(item.framework_patterns))
        if item.override.agrees:
            out.append(_at(spec.pos("pattern"), "WV502",
                           f"integration '{item.name}' overrides the pattern with {item.override.pattern}, "
                           "which the framework chooses anyway",
                           "remove `pattern:` and `pattern_reason:`; the planner already decides this",
                           integration=item.name))
            continue
        scores = "; ".join(f"{d.side or 'flow'}: {d.pattern} {d.score(d.pattern)} vs "
                           f"{item.override.pattern} {d.score(item.override.pattern)}" for d in item.decisions)
        out.append(_at(spec.pos("pattern"), "WV501",
                       f"integration '{item.name}' overrides the pattern with {item.override.pattern}; "
                       f"the framework chooses {chosen} ({scores})",
                       f"see `weave explain {item.name}`; keep the override only if `pattern_reason` "
                       "outweighs the framework", integration=item.name, framework=list(item.framework_patterns)))
    return out


def _system_or_first(project: Project, system: str, fallback: Spec, *path: str | int) -> Location:
    spec = project.systems.get(system)
    return spec.key_pos("name") if spec is not None else fallback.pos(*path)


def check_point_to_point(project: Project, plan: Plan) -> list[Diagnostic]:
    limit = plan.limits.max_point_to_point_per_system
    portfolio = Portfolio.of(project)
    per_system: dict[str, list[IntegrationPlan]] = defaultdict(list)
    out = []
    for item in plan.integrations:
        if P2P not in item.patterns:
            continue
        spec = project.integrations[item.name]
        for system in item.systems:
            per_system[system].append(item)
            declared = project.systems.get(system)
            if declared is not None and not declared.is_standard:
                out.append(_at(_endpoint_pos(spec, system), "WV504",
                               f"point-to-point integration '{item.name}' connects to '{system}', a non-standard "
                               f"API ({declared.style}, auth {declared.auth_type})",
                               "route it through the hub: non-standard APIs make point-to-point unmanageable "
                               "faster (each needs specialised knowledge)", integration=item.name, system=system))
    for system, items in sorted(per_system.items()):
        if len(items) > limit and not portfolio.is_hub(system):
            names = [i.name for i in items]
            first = project.integrations[names[0]]
            out.append(_at(_system_or_first(project, system, first, "source"), "WV503",
                           f"system '{system}' has {len(items)} point-to-point integrations (limit {limit}): "
                           f"{', '.join(names)}",
                           "move them to hub-and-spoke: point-to-point is a liability beyond 5 connections",
                           system=system, integrations=names))
    return out


def check_hubs(project: Project, plan: Plan) -> list[Diagnostic]:
    portfolio = Portfolio.of(project)
    spokes: dict[str, set[str]] = defaultdict(set)
    users: dict[str, list[str]] = defaultdict(list)
    for item in plan.integrations:
        spec = project.integrations[item.name]
        hubs = {item.hub} if item.hub else set()
        hubs |= {s for s in item.systems if portfolio.is_hub(s)}
        for hub in hubs:
            spokes[hub] |= {s for s in item.systems if s != hub}
            users[hub].append(spec.name)
    out = []
    for hub, connected in sorted(spokes.items()):
        if len(connected) < plan.limits.hub_many_spokes:
            continue
        system = project.systems.get(hub)
        if system is not None:
            redundancy = system.raw.get("redundancy")
            loc = system.pos("redundancy") if redundancy is not None else system.key_pos("name")
        else:
            redundancy = (project.settings.get("hub") or {}).get("redundancy") if hub == "weave" else None
            loc = project.integrations[users[hub][0]].key_pos("name")
        if redundancy not in (None, "none"):
            continue
        declared = "declares `redundancy: none`" if redundancy == "none" else "declares no redundancy"
        out.append(_at(loc, "WV505",
                       f"hub '{hub}' connects {len(connected)} systems ({', '.join(sorted(connected))}) and "
                       f"{declared}: it is a single point of failure",
                       "declare `redundancy: active-passive` or `active-active` on the hub system (and run it so)",
                       system=hub, spokes=sorted(connected), integrations=users[hub]))
    return out


def check_owners(project: Project, plan: Plan) -> list[Diagnostic]:
    limit = plan.limits.max_integrations_per_owner
    by_owner: dict[str, list[str]] = defaultdict(list)
    for item in plan.integrations:
        if item.owner:
            by_owner[item.owner].append(item.name)
    out = []
    for owner, names in sorted(by_owner.items()):
        if len(names) <= limit:
            continue
        spec = project.owners.get(owner)
        loc = spec.key_pos("name") if spec else project.integrations[names[0]].pos("owner")
        out.append(_at(loc, "WV506", f"owner '{owner}' owns {len(names)} integrations (limit {limit})",
                       "spread ownership: an owner must know who to call for each one "
                       "(the limit is `max_integrations_per_owner` under `audit` in weave.toml)",
                       owner=owner, integrations=names))
    return out


def check_timing_volume(project: Project, plan: Plan) -> list[Diagnostic]:
    limit = plan.limits.realtime_max_records_per_transaction
    out = []
    for item in plan.integrations:
        facts = item.decisions[0].facts
        if facts.timing == "real-time" and facts.records_per_transaction >= limit:
            spec = project.integrations[item.name]
            out.append(_at(spec.pos("volume", "records_per_transaction"), "WV507",
                           f"integration '{item.name}' is real-time but moves {facts.records_per_transaction:,} "
                           f"records per transaction (limit {limit:,})",
                           "bulk movement is batch: use `timing: batch` (ETL), or send smaller transactions",
                           integration=item.name))
    return out


def check_exposure(project: Project, plan: Plan) -> list[Diagnostic]:
    out = []
    for item in plan.integrations:
        facts = item.decisions[0].facts
        if facts.direction == "push" and facts.exposure in EXTERNAL_EXPOSURES:
            spec = project.integrations[item.name]
            out.append(_at(spec.pos("exposure"), "WV508",
                           f"integration '{item.name}' is exposed to {facts.exposure}s but only pushes: nothing "
                           "reaches into the CRM, so the API gateway does not apply",
                           "use `direction: pull` or `bidirectional` if external parties call in; "
                           "otherwise drop `exposure:`", integration=item.name))
    return out


AuditCheck = Callable[[Project, Plan], list[Diagnostic]]
AUDIT_CHECKS: tuple[AuditCheck, ...] = (
    check_overrides,
    check_point_to_point,
    check_hubs,
    check_owners,
    check_timing_volume,
    check_exposure,
)


def audit(project: Project, plan: Plan) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for check in AUDIT_CHECKS:
        out.extend(check(project, plan))
    out.sort(key=lambda d: d.sort_key())
    return out


def audit_load(load: LoadResult) -> list[Diagnostic]:
    """The `weave validate` hook (weave.api.validate.EXTRA_CHECKS): plan, then audit."""
    return audit(load.project, plan_project(load.project))


def warnings_for(name: str, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The audit findings that concern one integration."""
    return [d for d in diagnostics
            if d.data.get("integration") == name or name in (d.data.get("integrations") or ())]


__all__ = ["AUDIT_CHECKS", "audit", "audit_load", "warnings_for"]
