"""The owners view: every owner (declared with `kind: owner`, or only named by a spec), their contacts,
escalation, integrations, systems and current health. Pure: health rows are passed in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from weave.spec.model import Project

OWNERS_FORMAT = "weave.owners/v1"
NOT_DEPLOYED = "not deployed"
_WORST = ("failing", "degraded", "ok", "idle", NOT_DEPLOYED)


@dataclass(frozen=True)
class OwnedIntegration:
    name: str
    health: str  # ok | degraded | failing | idle | not deployed
    open_alerts: tuple[str, ...] = ()  # SLO kinds


@dataclass(frozen=True)
class OwnerView:
    name: str
    declared: bool
    type: str | None
    description: str | None
    contacts: Mapping[str, Any]
    escalation: Mapping[str, Any]
    integrations: tuple[OwnedIntegration, ...] = ()
    systems: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    file: str | None = None

    @property
    def health(self) -> str:
        states = {i.health for i in self.integrations}
        return next((s for s in _WORST if s in states), "idle")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "declared": self.declared, "type": self.type, "description": self.description,
                "contacts": dict(self.contacts), "escalation": dict(self.escalation), "health": self.health,
                "file": self.file, "systems": list(self.systems), "events": list(self.events),
                "integrations": [{"name": i.name, "health": i.health, "open_alerts": list(i.open_alerts)}
                                 for i in self.integrations]}


@dataclass(frozen=True)
class OwnersReport:
    owners: tuple[OwnerView, ...]
    revision: int = 0  # 0: nothing deployed
    unowned: tuple[str, ...] = field(default_factory=tuple)  # specs without any owner

    def to_dict(self) -> dict[str, Any]:
        return {"format": OWNERS_FORMAT, "revision": self.revision, "owners": [o.to_dict() for o in self.owners],
                "unowned": list(self.unowned)}


def owners_view(project: Project, health: Mapping[str, str] | None = None,
                alerts: Mapping[str, tuple[str, ...]] | None = None, *, revision: int = 0) -> OwnersReport:
    """`health`: integration -> health for the deployed revision (None: nothing deployed)."""
    names = set(project.owners)
    for item in (*project.integrations.values(), *project.systems.values(), *project.events.values()):
        if item.owner:
            names.add(item.owner)
    views = []
    for name in sorted(names):
        spec = project.owners.get(name)
        integrations = tuple(
            OwnedIntegration(i.name, (health or {}).get(i.name, NOT_DEPLOYED), tuple((alerts or {}).get(i.name, ())))
            for i in sorted(project.integrations.values(), key=lambda i: i.name) if i.owner == name)
        views.append(OwnerView(
            name=name, declared=spec is not None,
            type=str(spec.raw["type"]) if spec and spec.raw.get("type") else None,
            description=str(spec.raw["description"]) if spec and spec.raw.get("description") else None,
            contacts=spec.contacts if spec else {}, escalation=(spec.raw.get("escalation") or {}) if spec else {},
            integrations=integrations,
            systems=tuple(sorted(s.name for s in project.systems.values() if s.owner == name)),
            events=tuple(sorted(e.name for e in project.events.values() if e.owner == name)),
            file=spec.doc.file if spec else None))
    unowned = tuple(sorted(f"{s.kind}/{s.name}" for s in (*project.integrations.values(), *project.systems.values())
                           if not s.owner))
    return OwnersReport(tuple(views), revision, unowned)
