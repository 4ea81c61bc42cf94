"""The integration inventory: every integration with its pattern, systems, owner and auth types."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from typing import Any

from weave.plan.planner import Plan
from weave.spec.model import Project


@dataclass(frozen=True)
class InventoryRow:
    integration: str
    patterns: tuple[str, ...]
    direction: str
    source: str
    targets: tuple[str, ...]
    hub: str | None
    events: tuple[str, ...]
    owner: str | None
    auth: tuple[tuple[str, str], ...]  # (system, api.auth.type) for every connected system
    api_styles: tuple[tuple[str, str], ...]  # (system, api.style)
    overridden: bool

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["auth"] = dict(self.auth)
        out["api_styles"] = dict(self.api_styles)
        for key in ("patterns", "targets", "events"):
            out[key] = list(out[key])
        return out


def inventory(project: Project, plan: Plan) -> list[InventoryRow]:
    rows = []
    for item in plan.integrations:
        declared = [project.systems[s] for s in item.systems if s in project.systems]
        rows.append(InventoryRow(
            integration=item.name,
            patterns=item.patterns,
            direction=item.direction,
            source=item.source,
            targets=item.targets,
            hub=item.hub,
            events=tuple(e for e in (item.subscribes_to, item.publishes) if e),
            owner=item.owner,
            auth=tuple((s.name, s.auth_type) for s in declared) + tuple(
                (name, "unknown") for name in item.systems if name not in project.systems),
            api_styles=tuple((s.name, s.style) for s in declared),
            overridden=item.override is not None,
        ))
    return rows


CSV_COLUMNS = ("integration", "patterns", "direction", "source", "targets", "hub", "events", "owner", "auth",
               "overridden")


def to_csv(rows: list[InventoryRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([row.integration, ";".join(row.patterns), row.direction, row.source, ";".join(row.targets),
                         row.hub or "", ";".join(row.events), row.owner or "",
                         ";".join(f"{s}={a}" for s, a in row.auth), "yes" if row.overridden else "no"])
    return buffer.getvalue()
