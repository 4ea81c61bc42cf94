"""`weave docs build`: the static, self-contained, searchable integration catalog (like `dbt docs`).

index.html (topology picture, every entity, client-side search over an inline JSON index) plus one page per
integration, system, event and owner. No external resources: it works from file:// and offline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weave.ownership.catalog.assets import SEARCH_JS
from weave.ownership.catalog.model import Catalog, build_catalog, slug
from weave.ownership.catalog.render import (
    e,
    event_page,
    integration_page,
    link,
    owner_page,
    page,
    system_page,
    table,
)
from weave.plan.graph import build_topology, to_svg
from weave.plan.impact import impact as trace_impact
from weave.plan.planner import Plan
from weave.spec.model import Project


@dataclass(frozen=True)
class SiteResult:
    out: Path
    pages: tuple[str, ...]  # paths relative to `out`, index.html first

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def search_index(catalog: Catalog) -> list[dict[str, str]]:
    entries = []
    for name, entry in catalog.integrations.items():
        spec = entry.spec
        words = [spec.source, *spec.targets, spec.owner or "", *(entry.plan.patterns if entry.plan else ()),
                 spec.publishes or "", spec.subscribes_to or "", *(f for s in entry.steps for f, _ in s.fields)]
        entries.append({"t": name, "k": "integration", "u": f"integrations/{slug(name)}.html",
                        "d": str(spec.raw.get("description") or ""), "x": " ".join(w for w in words if w)})
    for name in catalog.systems:
        spec = catalog.project.systems.get(name)
        entries.append({"t": name, "k": "system", "u": f"systems/{slug(name)}.html",
                        "d": str(spec.raw.get("description") or "") if spec else "",
                        "x": " ".join([spec.owner or "", spec.style] if spec else [])})
    for name in catalog.events:
        spec = catalog.project.events.get(name)
        entries.append({"t": name, "k": "event", "u": f"events/{slug(name)}.html",
                        "d": str(spec.raw.get("description") or "") if spec else "",
                        "x": " ".join([spec.owner or "", *spec.schema.get("properties", {})] if spec else [])})
    for name in catalog.owners:
        spec = catalog.project.owners.get(name)
        contacts = spec.contacts if spec else {}
        entries.append({"t": name, "k": "owner", "u": f"owners/{slug(name)}.html",
                        "d": str(spec.raw.get("description") or "") if spec else "",
                        "x": " ".join(str(contacts.get(k) or "") for k in ("email", "handle", "oncall"))})
    return entries


def _event_link(name: str | None, depth: int) -> str:
    return f"event {link('events', name, depth)}" if name else "—"


def index_page(catalog: Catalog, svg: str) -> str:
    project = catalog.project
    data = json.dumps(search_index(catalog), separators=(",", ":")).replace("</", "<\\/")
    integrations = table(("integration", "pattern", "owner", "source → targets"), [
        (link("integrations", n, 0), " ".join(f'<span class="pill">{e(p)}</span>' for p in
                                              (entry.plan.patterns if entry.plan else ())),
         link("owners", entry.spec.owner, 0) if entry.spec.owner else "—",
         f"{link('systems', entry.spec.source, 0)} → " + (", ".join(link("systems", t, 0) for t in entry.spec.targets)
                                                           or _event_link(entry.spec.publishes, 0)))
        for n, entry in catalog.integrations.items()])
    systems = table(("system", "owner", "integrations"), [
        (link("systems", s, 0), link("owners", project.systems[s].owner or "", 0) if s in project.systems
         and project.systems[s].owner else "—", str(len(catalog.system_users.get(s, [])))) for s in catalog.systems])
    events = table(("event", "publishers", "subscribers"), [
        (link("events", ev, 0), str(len(catalog.publishers.get(ev, []))), str(len(catalog.subscribers.get(ev, []))))
        for ev in catalog.events])
    owners = table(("owner", "e-mail", "integrations"), [
        (link("owners", o, 0), e((project.owners[o].contacts.get("email") if o in project.owners else "") or "—"),
         str(sum(1 for i in project.integrations.values() if i.owner == o))) for o in catalog.owners])
    body = (f"<h1>Integration catalog</h1><p class='muted'>{len(catalog.integrations)} integrations · "
            f"{len(catalog.systems)} systems · {len(catalog.events)} events · {len(catalog.owners)} owners</p>"
            "<input id='q' class='search-big' type='search' placeholder='Search integrations, systems, events, "
            "owners, fields…' autofocus><p id='count' class='muted'></p><ul id='results'></ul>"
            f"<h2>Topology</h2><div class='topology'>{svg}</div>"
            f"<h2 id='integrations'>Integrations</h2>{integrations}<h2 id='systems'>Systems</h2>{systems}"
            f"<h2 id='events'>Events</h2>{events}<h2 id='owners'>Owners</h2>{owners}"
            f"<script type='application/json' id='search-index'>{data}</script><script>{SEARCH_JS}</script>")
    return page("Integration catalog", body, depth=0)


def _impacted(project: Project, plan: Plan, system: str) -> list[dict[str, Any]]:
    found = trace_impact(project, plan, system)
    return [{"name": i.integration, "owner": i.owner, "via": i.via, "path": i.path_text()} for i in found.integrations]


def build_site(project: Project, plan: Plan, out: Path) -> SiteResult:
    """Write the catalog under `out` (created; pages of removed entities are deleted)."""
    catalog = build_catalog(project, plan)
    pages: dict[str, str] = {"index.html": index_page(catalog, to_svg(build_topology(project, plan), plan))}
    for name, entry in catalog.integrations.items():
        pages[f"integrations/{slug(name)}.html"] = integration_page(catalog, entry)
    for name in catalog.systems:
        pages[f"systems/{slug(name)}.html"] = system_page(catalog, name, _impacted(project, plan, name))
    for name in catalog.events:
        pages[f"events/{slug(name)}.html"] = event_page(catalog, name)
    for name in catalog.owners:
        pages[f"owners/{slug(name)}.html"] = owner_page(catalog, name)
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("integrations", "systems", "events", "owners"):
        folder = out / sub
        folder.mkdir(exist_ok=True)
        for stale in folder.glob("*.html"):
            if f"{sub}/{stale.name}" not in pages:
                stale.unlink()
    for rel, html in pages.items():
        (out / rel).write_text(html)
    return SiteResult(out, tuple(pages))


__all__ = ["SiteResult", "build_site", "search_index"]
