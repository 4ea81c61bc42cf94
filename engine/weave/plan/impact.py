"""Impact analysis: which integrations break when a system changes its API, and along which path.

A dependency graph over systems, hubs, events and integrations, walked breadth-first from the system:
- direct: an integration that reads from or writes to the system's API;
- through the hub: the system is the hub an integration routes through; or an integration that writes
  into a hub system feeds every integration that reads from that hub (system → hub → spokes);
- through an event: an integration that publishes an event, or the event's declared publisher system,
  feeds every integration triggered by that event (system → event → subscribers), transitively.
The first (shortest) path found is reported for each integration.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

from weave.plan.facts import Portfolio
from weave.plan.planner import IntegrationPlan, Plan
from weave.spec.model import Project

Node = tuple[str, str]  # (kind, name): kind is system | hub | event | integration


@dataclass(frozen=True)
class Impacted:
    integration: str
    owner: str | None
    patterns: tuple[str, ...]
    via: str  # direct | hub | event | hub+event
    path: tuple[Node, ...]  # from the changed system to this integration
    hub: str | None  # the hub this integration routes through, if any
    downstream: tuple[str, ...]  # the systems that stop receiving data (its targets / spokes)

    @property
    def hops(self) -> int:
        return len(self.path) - 1

    def path_text(self) -> str:
        text = " → ".join(f"[{name}]" if kind == "integration" else f"{kind} {name}" for kind, name in self.path)
        if self.hub and ("system", self.hub) != self.path[0]:
            text += f" → hub {self.hub}"
        downstream = [s for s in self.downstream if ("system", s) != self.path[0]]
        return text + (f" → {', '.join(downstream)}" if downstream else "")


@dataclass(frozen=True)
class Impact:
    system: str
    known: bool  # the system is declared, or at least named by an integration
    integrations: tuple[Impacted, ...]
    events: tuple[str, ...]  # events that stop flowing

    @property
    def owners(self) -> tuple[str, ...]:
        return tuple(sorted({i.owner for i in self.integrations if i.owner}))


def _graph(project: Project, plan: Plan) -> dict[Node, list[Node]]:
    portfolio = Portfolio.of(project)
    edges: dict[Node, list[Node]] = defaultdict(list)
    readers_of: dict[str, list[IntegrationPlan]] = defaultdict(list)
    for item in plan.integrations:
        if item.source:
            readers_of[item.source].append(item)
    for item in plan.integrations:
        node = ("integration", item.name)
        for system in item.systems:
            edges[("system", system)].append(node)
        if item.hub:
            edges[("system", item.hub)].append(node)
        for target in item.targets:
            if portfolio.is_hub(target):  # writes into the hub: feeds what reads from it
                edges[node].append(("hub", target))
                edges[("hub", target)] += [("integration", r.name) for r in readers_of[target] if r is not item]
        if item.publishes:
            edges[node].append(("event", item.publishes))
        if item.subscribes_to:
            edges[("event", item.subscribes_to)].append(node)
    for event in project.events.values():
        if event.publisher:
            edges[("system", event.publisher)].append(("event", event.name))
    return edges


def impact(project: Project, plan: Plan, system: str) -> Impact:
    edges = _graph(project, plan)
    by_name = {item.name: item for item in plan.integrations}
    start: Node = ("system", system)
    parents: dict[Node, Node | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in edges.get(node, ()):
            if nxt not in parents:
                parents[nxt] = node
                queue.append(nxt)
    found = []
    for node in parents:
        if node[0] != "integration":
            continue
        path: list[Node] = []
        cursor: Node | None = node
        while cursor is not None:
            path.append(cursor)
            cursor = parents[cursor]
        path.reverse()
        kinds = [k for k, _ in path[1:-1] if k in ("hub", "event")]
        via = "+".join(dict.fromkeys(kinds)) or "direct"
        item = by_name[node[1]]
        if via == "direct" and item.hub == system and system not in item.systems:
            via = "hub"
        found.append(Impacted(item.name, item.owner, item.patterns, via, tuple(path), item.hub, item.targets))
    found.sort(key=lambda i: (i.hops, i.integration))
    known = system in project.systems or any(system in i.systems or system == i.hub for i in plan.integrations)
    events = tuple(sorted(name for kind, name in parents if kind == "event"))
    return Impact(system=system, known=known, integrations=tuple(found), events=events)
