"""Helpers for planner tests: build Facts directly, or write small spec trees to a temp directory."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from weave.plan.facts import Facts

BASE_FACTS = Facts(
    integration="x", side="push", direction="push", timing="near-real-time", coupling="tight",
    records_per_transaction=1, transactions_per_day=1000, high_volume=False, transform_complexity="simple",
    exposure="internal", target_count=1, connection_count=8, total_count=8, busiest_system="crm",
    nonstandard_systems=(), heterogeneous_apis=False, hub=None, peak_hours_differ=False,
    count_low=False, count_high=True, count_very_low=False,
)


def facts(**changes: Any) -> Facts:
    return replace(BASE_FACTS, **changes)


def system(name: str, style: str = "rest", auth: str = "bearer", **extra: Any) -> dict[str, Any]:
    api: dict[str, Any] = {"style": style, "base_url": f"${{env:{name.upper().replace('-', '_')}_URL}}"}
    if auth == "bearer":
        api["auth"] = {"type": "bearer", "token": f"${{env:{name.upper().replace('-', '_')}_TOKEN}}"}
    elif auth != "none":
        api["auth"] = {"type": auth}
    return {"kind": "system", "name": name, "owner": extra.pop("owner", "team-a"), "api": api, **extra}


def integration(name: str, source: str, target: str | list[str], **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"kind": "integration", "name": name, "owner": "team-a", "source": source}
    if isinstance(target, list):
        doc["targets"] = target
    else:
        doc["target"] = target
    doc.update({"direction": "push", "timing": "near-real-time", "coupling": "tight",
                "volume": {"records_per_transaction": 1, "transactions_per_day": 1000},
                "transform_complexity": "simple"})
    doc.update(extra)
    return doc


def owner(name: str = "team-a") -> dict[str, Any]:
    return {"kind": "owner", "name": name, "contacts": {"email": f"{name}@example.com"}}


class SpecTree:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.specs = root / "specs"
        self.specs.mkdir(parents=True, exist_ok=True)

    def write(self, docs: list[dict[str, Any]], filename: str = "all.yaml", toml: str | None = None) -> Path:
        (self.specs / filename).write_text(yaml.safe_dump_all(docs, sort_keys=False))
        if toml is not None:
            (self.root / "weave.toml").write_text(toml)
        return self.specs


def big_ecosystem(systems: int = 18) -> list[dict[str, Any]]:
    """A portfolio of 24+ integrations over `systems` systems, every pattern represented (graph tests)."""
    rt = {"timing": "real-time", "coupling": "loose"}
    docs: list[dict[str, Any]] = [owner(), owner("team-b"), system("crm", role="crm"),
                                  system("hub", role="hub", style="proprietary", auth="none",
                                         redundancy="active-active")]
    styles = [("rest", "bearer"), ("soap", "basic"), ("rest", "api-key"), ("sql", "none"), ("graphql", "bearer")]
    names = [f"sys-{i:02d}" for i in range(systems)]
    for i, name in enumerate(names):
        style, auth = styles[i % len(styles)]
        docs.append(system(name, style=style, auth=auth))
    docs += [{"kind": "event", "name": f"crm.thing{i}.changed", "owner": "team-a", "publisher": "crm",
              "schema": {"type": "object"}} for i in range(3)]
    for i, name in enumerate(names):
        kind = i % 6
        if kind == 0:
            docs.append(integration(f"{name}-events", "crm", name, trigger={"event": f"crm.thing{i % 3}.changed"},
                                    **rt))
        elif kind == 1:
            docs.append(integration(f"{name}-sync", "crm", name, hub="hub", owner="team-b"))
        elif kind == 2:
            docs.append(integration(f"{name}-partner-api", "crm", name, direction="pull", exposure="partner", **rt))
        elif kind == 3:
            docs.append(integration(f"{name}-nightly", name, "crm", timing="batch", coupling="loose",
                                    transform_complexity="complex",
                                    volume={"records_per_transaction": 100_000, "transactions_per_day": 1}))
        elif kind == 4:
            docs.append(integration(f"{name}-feed", "crm", name, **rt))
        else:
            docs.append(integration(f"{name}-lookup", names[i - 3], name))
        if i % 3 == 0:
            docs.append(integration(f"{name}-back", name, "crm", timing="batch", coupling="loose",
                                    transform_complexity="complex",
                                    volume={"records_per_transaction": 50_000, "transactions_per_day": 1}))
    return docs
