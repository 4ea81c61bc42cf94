"""What the catalog says, as plain data: one entry per integration, system, event and owner, gathered from
the specs, the planner's decisions (with reasons), impact analysis and the SLOs. No HTML here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from weave.ownership.evaluator import integration_slos
from weave.plan.planner import IntegrationPlan, Plan
from weave.spec.model import Project

_SLUG = re.compile(r"[^a-z0-9._-]+")
TRIGGER_KINDS = ("webhook", "poll", "schedule", "event", "gateway")


def slug(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-") or "_"


def split_fields(expression: str) -> list[tuple[str, str]]:
    """`{a: x, b: f(y, z)}` -> [("a", "x"), ("b", "f(y, z)")]: the fields a JMESPath multiselect hash maps."""
    text = expression.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return []
    parts, depth, current = [], 0, ""
    quote: str | None = None
    for ch in text[1:-1]:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'`\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    out = []
    for part in parts:
        if ":" in part:
            key, value = part.split(":", 1)
            out.append((key.strip(), value.strip()))
    return out


@dataclass(frozen=True)
class Step:
    kind: str  # map | set | use | filter | ...
    text: str  # the step as written
    fields: tuple[tuple[str, str], ...] = ()  # output field <- expression


def steps_of(raw_steps: Any) -> tuple[Step, ...]:
    out = []
    for step in raw_steps or []:
        if not isinstance(step, dict) or not step:
            continue
        kind = next(iter(step))
        value = step[kind]
        fields: list[tuple[str, str]] = []
        if kind == "map" and isinstance(value, str):
            fields = split_fields(value)
        elif kind == "set" and isinstance(value, dict):
            fields = [(str(k), v if isinstance(v, str) else _short(v)) for k, v in value.items()]
        out.append(Step(str(kind), value if isinstance(value, str) else _short(value), tuple(fields)))
    return tuple(out)


def _short(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


@dataclass
class IntegrationEntry:
    name: str
    spec: Any
    plan: IntegrationPlan | None
    slos: tuple[Any, ...]
    trigger: tuple[str, Any] | None
    steps: tuple[Step, ...]
    deliveries: list[dict[str, Any]]
    dependents: list[dict[str, Any]]  # integrations that stop when this one stops (impact)


@dataclass
class Catalog:
    project: Project
    plan: Plan
    integrations: dict[str, IntegrationEntry] = field(default_factory=dict)
    system_users: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # system -> (integration, role)
    publishers: dict[str, list[str]] = field(default_factory=dict)  # event -> integrations
    subscribers: dict[str, list[str]] = field(default_factory=dict)

    @property
    def systems(self) -> list[str]:
        return sorted(set(self.project.systems) | set(self.system_users))

    @property
    def events(self) -> list[str]:
        return sorted(set(self.project.events) | set(self.publishers) | set(self.subscribers))

    @property
    def owners(self) -> list[str]:
        names = set(self.project.owners)
        names.update(s.owner for s in self.project.all_specs() if s.owner)
        return sorted(names)


def _dependents(plan: Plan, item: IntegrationPlan) -> list[dict[str, Any]]:
    """What depends on this integration: flows that read from a system it writes to, and subscribers of the
    event it publishes (one hop; `weave impact SYSTEM` gives the transitive picture)."""
    seen: dict[str, dict[str, Any]] = {}
    for other in plan.integrations:
        if other.name == item.name:
            continue
        if other.source in item.targets:
            seen.setdefault(other.name, {"name": other.name, "owner": other.owner, "via": "system",
                                         "path": f"[{item.name}] → {other.source} → [{other.name}]"})
        if item.publishes and other.subscribes_to == item.publishes:
            seen.setdefault(other.name, {"name": other.name, "owner": other.owner, "via": "event",
                                         "path": f"[{item.name}] → event {item.publishes} → [{other.name}]"})
    return sorted(seen.values(), key=lambda d: d["name"])


def build_catalog(project: Project, plan: Plan) -> Catalog:
    catalog = Catalog(project, plan)
    for name in sorted(project.integrations):
        spec = project.integrations[name]
        item = plan.get(name)
        trigger_block = spec.raw.get("trigger")
        raw_trigger: dict[str, Any] = trigger_block if isinstance(trigger_block, dict) else {}
        kind = next((k for k in TRIGGER_KINDS if k in raw_trigger), None)
        catalog.integrations[name] = IntegrationEntry(
            name=name, spec=spec, plan=item,
            slos=integration_slos(project, name, item.patterns if item else ()),
            trigger=(kind, raw_trigger[kind]) if kind else None,
            steps=steps_of(spec.raw.get("steps")),
            deliveries=[{"target": d.get("target"), "when": d.get("when"),
                         "operation": {k: d[k] for k in ("http", "soap", "sql", "file") if k in d},
                         "steps": steps_of(d.get("steps"))}
                        for d in (spec.raw.get("deliver") or []) if isinstance(d, dict)],
            dependents=_dependents(plan, item) if item else [])
        catalog.system_users.setdefault(spec.source, []).append((name, "source"))
        for target in spec.targets:
            catalog.system_users.setdefault(target, []).append((name, "target"))
        if item and item.hub and item.hub in project.systems:
            catalog.system_users.setdefault(item.hub, []).append((name, "hub"))
        if spec.publishes:
            catalog.publishers.setdefault(spec.publishes, []).append(name)
        if spec.subscribes_to:
            catalog.subscribers.setdefault(spec.subscribes_to, []).append(name)
    catalog.system_users.pop("", None)
    return catalog
