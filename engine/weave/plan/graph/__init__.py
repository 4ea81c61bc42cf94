"""The topology picture: Mermaid, Graphviz DOT, or a self-contained HTML page with inline SVG."""

from __future__ import annotations

import json
from typing import Any

from weave.plan.graph.svg import to_html, to_svg
from weave.plan.graph.text import COLOURS, to_dot, to_mermaid
from weave.plan.graph.topology import GraphEdge, GraphNode, Topology, build_topology
from weave.plan.planner import Plan
from weave.spec.model import Project

FORMATS = ("mermaid", "dot", "html", "svg", "json")


def to_dict(topology: Topology) -> dict[str, Any]:
    """The topology as versioned JSON: nodes (id, kind, label, detail) and edges (source, target, pattern,
    integrations)."""
    return {
        "schema_version": "1",
        "kind": "weave-topology",
        "nodes": [{"id": n.id, "kind": n.kind, "label": n.label, "detail": n.detail} for n in topology.nodes],
        "edges": [{"source": e.source, "target": e.target, "pattern": e.pattern, "integrations": e.integrations}
                  for e in topology.edges],
    }


def render(project: Project, plan: Plan, fmt: str) -> str:
    topology = build_topology(project, plan)
    if fmt == "mermaid":
        return to_mermaid(topology)
    if fmt == "dot":
        return to_dot(topology)
    if fmt == "svg":
        return to_svg(topology, plan) + "\n"
    if fmt == "html":
        return to_html(topology, plan)
    if fmt == "json":
        return json.dumps(to_dict(topology), indent=2) + "\n"
    raise ValueError(f"unknown graph format {fmt!r}; one of: {', '.join(FORMATS)}")


__all__ = ["COLOURS", "FORMATS", "GraphEdge", "GraphNode", "Topology", "build_topology", "render", "to_dot",
           "to_dict", "to_html", "to_mermaid", "to_svg"]
