"""The topology as nodes and edges, built once from the plan and drawn by every renderer.

- systems are nodes (the CRM is marked; hub systems are hubs);
- hub-and-spoke integrations run source → hub → each target; the hub is `hub:`, the system with
  `role: hub`, or weave itself;
- api-gateway integrations run through one gateway node (the controlled entry point);
- events are nodes between publisher and subscribers;
- edges point from the caller: push sides run source → targets, pull sides target → source (a partner
  reaching into the CRM through the gateway), so a bidirectional integration draws both.
Identical segments (same ends, same pattern) are merged and list their integrations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from weave.plan.planner import IntegrationPlan, Plan
from weave.plan.rules import EVENT, GATEWAY, HUB, PATTERNS
from weave.spec.model import Project

GATEWAY_NODE = "gateway:api-gateway"


@dataclass(frozen=True)
class GraphNode:
    id: str  # kind:name
    kind: str  # crm | system | hub | event | gateway
    label: str
    detail: str = ""


@dataclass
class GraphEdge:
    source: str
    target: str
    pattern: str
    integrations: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        names = self.integrations
        return ", ".join(names) if len(names) <= 2 else f"{names[0]} +{len(names) - 1} more"


@dataclass(frozen=True)
class Topology:
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]

    def node(self, node_id: str) -> GraphNode:
        return next(n for n in self.nodes if n.id == node_id)

    def patterns_used(self) -> list[str]:
        used = {e.pattern for e in self.edges}
        return [p for p in PATTERNS if p in used]


class _Builder:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.nodes: dict[str, GraphNode] = {}
        self.edges: dict[tuple[str, str, str], GraphEdge] = {}

    def system(self, name: str) -> str:
        spec = self.project.systems.get(name)
        role = str(spec.raw.get("role", "system")) if spec else "system"
        kind = {"crm": "crm", "hub": "hub"}.get(role, "system")
        detail = f"{spec.style}, auth {spec.auth_type}" if spec else "undeclared system"
        self.nodes.setdefault(f"system:{name}", GraphNode(f"system:{name}", kind, name, detail))
        return f"system:{name}"

    def hub(self, name: str) -> str:
        if name in self.project.systems:
            return self.system(name)
        self.nodes.setdefault(f"hub:{name}", GraphNode(f"hub:{name}", "hub", name, "integration hub"))
        return f"hub:{name}"

    def event(self, name: str) -> str:
        spec = self.project.events.get(name)
        detail = f"v{spec.version}" if spec else "undeclared event"
        self.nodes.setdefault(f"event:{name}", GraphNode(f"event:{name}", "event", name, detail))
        return f"event:{name}"

    def gateway(self) -> str:
        self.nodes.setdefault(GATEWAY_NODE, GraphNode(GATEWAY_NODE, "gateway", "API gateway", "controlled entry"))
        return GATEWAY_NODE

    def edge(self, a: str, b: str, pattern: str, integration: str) -> None:
        if a == b:
            return
        edge = self.edges.setdefault((a, b, pattern), GraphEdge(a, b, pattern))
        if integration not in edge.integrations:
            edge.integrations.append(integration)

    def chain(self, item: IntegrationPlan, pattern: str, start: str, ends: list[str]) -> None:
        via = {HUB: self.hub(item.hub or "weave") if pattern == HUB else None,
               GATEWAY: self.gateway() if pattern == GATEWAY else None}.get(pattern)
        if pattern == EVENT and item.publishes and not item.subscribes_to:
            via = self.event(item.publishes)
        if via is not None:
            self.edge(start, via, pattern, item.name)
            start = via
        for end in ends:
            self.edge(start, end, pattern, item.name)

    def integration(self, item: IntegrationPlan) -> None:
        source = self.system(item.source) if item.source else None
        targets = [self.system(t) for t in item.targets]
        for side, pattern in zip((d.side for d in item.decisions), item.patterns, strict=True):
            start = self.event(item.subscribes_to) if item.subscribes_to and side != "pull" else source
            if start is None:
                continue
            if side == "pull" and source:  # drawn from the caller: the target reaches into the source
                for target in targets:
                    self.chain(item, pattern, target, [source])
            else:
                self.chain(item, pattern, start, targets)
        if item.publishes and item.subscribes_to is None and EVENT not in item.patterns and source:
            self.edge(source, self.event(item.publishes), item.patterns[0], item.name)
        elif item.publishes and item.subscribes_to:
            for target in targets or ([source] if source else []):
                self.edge(target, self.event(item.publishes), item.patterns[0], item.name)

    def events(self) -> None:
        for event in self.project.events.values():
            node = f"event:{event.name}"
            if node in self.nodes and event.publisher and not any(e.target == node for e in self.edges.values()):
                self.edge(self.system(event.publisher), node, EVENT, f"publisher of {event.name}")


def build_topology(project: Project, plan: Plan) -> Topology:
    builder = _Builder(project)
    for item in plan.integrations:
        builder.integration(item)
    builder.events()
    order = {"crm": 0, "hub": 1, "gateway": 2, "event": 3, "system": 4}
    nodes = sorted(builder.nodes.values(), key=lambda n: (order[n.kind], n.label))
    return Topology(tuple(nodes), tuple(builder.edges.values()))
