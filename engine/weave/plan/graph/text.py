"""Text renderings of the topology: Mermaid (renders in GitHub markdown) and Graphviz DOT."""

from __future__ import annotations

import re

from weave.plan.graph.topology import Topology

COLOURS = {
    "point-to-point": "#d62728",
    "hub-and-spoke": "#1f77b4",
    "event-driven": "#2ca02c",
    "api-gateway": "#9467bd",
    "etl-batch": "#ff7f0e",
}
DASHES = {"event-driven": "6 4", "etl-batch": "2 4"}
WIDTHS = {"hub-and-spoke": 2.5, "etl-batch": 3.0}


def _mid(node_id: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", node_id)


def _mlabel(text: str) -> str:
    return text.replace('"', "#quot;")


_MERMAID_SHAPES = {
    "crm": '(("{}"))',
    "hub": '{{{{"{}"}}}}',
    "event": '>"{}"]',
    "gateway": '[/"{}"\\]',
    "system": '["{}"]',
}


def to_mermaid(topology: Topology) -> str:
    lines = ["flowchart LR"]
    for node in topology.nodes:
        lines.append(f"  {_mid(node.id)}" + _MERMAID_SHAPES[node.kind].format(_mlabel(node.label)))
    for edge in topology.edges:
        arrow = "-.->" if edge.pattern in DASHES else "-->"
        lines.append(f"  {_mid(edge.source)} {arrow}|\"{_mlabel(edge.label)}\"| {_mid(edge.target)}")
    for i, edge in enumerate(topology.edges):
        style = f"stroke:{COLOURS[edge.pattern]},stroke-width:{WIDTHS.get(edge.pattern, 1.5)}px"
        lines.append(f"  linkStyle {i} {style}")
    lines += [
        "  classDef crm fill:#fff5d6,stroke:#b8860b,stroke-width:3px",
        "  classDef hub fill:#dbe9f6,stroke:#1f77b4,stroke-width:3px",
        "  classDef event fill:#e3f4e3,stroke:#2ca02c",
        "  classDef gateway fill:#efe6f6,stroke:#9467bd",
    ]
    for kind in ("crm", "hub", "event", "gateway"):
        ids = [_mid(n.id) for n in topology.nodes if n.kind == kind]
        if ids:
            lines.append(f"  class {','.join(ids)} {kind}")
    lines.append("  %% edge colours: " + ", ".join(f"{p} {COLOURS[p]}" for p in topology.patterns_used()))
    return "\n".join(lines) + "\n"


def _dq(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_DOT_SHAPES = {"crm": "doublecircle", "hub": "hexagon", "event": "cds", "gateway": "trapezium", "system": "box"}
_DOT_FILL = {"crm": "#fff5d6", "hub": "#dbe9f6", "event": "#e3f4e3", "gateway": "#efe6f6", "system": "#ffffff"}


def to_dot(topology: Topology) -> str:
    lines = ["digraph weave {", "  rankdir=LR;", '  node [fontname="Helvetica", style=filled];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for node in topology.nodes:
        lines.append(f"  {_dq(node.id)} [label={_dq(node.label)}, shape={_DOT_SHAPES[node.kind]}, "
                     f"fillcolor={_dq(_DOT_FILL[node.kind])}, tooltip={_dq(node.detail)}];")
    for edge in topology.edges:
        style = {"event-driven": "dashed", "etl-batch": "dotted"}.get(edge.pattern, "solid")
        lines.append(f"  {_dq(edge.source)} -> {_dq(edge.target)} [label={_dq(edge.label)}, "
                     f"color={_dq(COLOURS[edge.pattern])}, style={style}, penwidth={WIDTHS.get(edge.pattern, 1.5)}, "
                     f"tooltip={_dq(edge.pattern + ': ' + ', '.join(edge.integrations))}];")
    lines.append("  subgraph cluster_legend { label=\"patterns\"; fontname=\"Helvetica\";")
    for i, pattern in enumerate(topology.patterns_used()):
        lines.append(f"    legend{i}a [label=\"\", shape=point]; legend{i}b [label={_dq(pattern)}, shape=plaintext];")
        lines.append(f"    legend{i}a -> legend{i}b [color={_dq(COLOURS[pattern])}, penwidth=2];")
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"
