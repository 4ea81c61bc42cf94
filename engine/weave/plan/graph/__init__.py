"""The topology picture: Mermaid, Graphviz DOT, or a self-contained HTML page with inline SVG."""

from __future__ import annotations

from weave.plan.graph.svg import to_html, to_svg
from weave.plan.graph.text import COLOURS, to_dot, to_mermaid
from weave.plan.graph.topology import GraphEdge, GraphNode, Topology, build_topology
from weave.plan.planner import Plan
from weave.spec.model import Project

FORMATS = ("mermaid", "dot", "html", "svg")


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
    raise ValueError(f"unknown graph format {fmt!r}; one of: {', '.join(FORMATS)}")


__all__ = ["COLOURS", "FORMATS", "GraphEdge", "GraphNode", "Topology", "build_topology", "render", "to_dot",
           "to_html", "to_mermaid", "to_svg"]
