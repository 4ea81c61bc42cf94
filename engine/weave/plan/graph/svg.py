"""The topology as a self-contained HTML page with an inline SVG (no scripts, no external resources)."""

from __future__ import annotations

import math
from html import escape

from weave.plan.graph.layout import Box, Layout, canvas_for, layout
from weave.plan.graph.text import COLOURS, DASHES, WIDTHS
from weave.plan.graph.topology import GraphEdge, Topology
from weave.plan.planner import Plan

NODE_STYLE = {
    "crm": ("#fff5d6", "#b8860b"),
    "hub": ("#dbe9f6", "#1f77b4"),
    "event": ("#e3f4e3", "#2ca02c"),
    "gateway": ("#efe6f6", "#9467bd"),
    "system": ("#ffffff", "#555555"),
}
LABEL_W = 6.1  # px per character of an 11px edge label


def _shape(box: Box, kind: str) -> str:
    fill, stroke = NODE_STYLE[kind]
    x, y, w, h = box.x, box.y, box.w, box.h
    if box.shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{w:.1f}" fill="{fill}" stroke="{stroke}" stroke-width="3"/>'
    if box.shape == "hexagon":
        pts = " ".join(f"{x + w * math.cos(math.radians(a)):.1f},{y + w * math.sin(math.radians(a)):.1f}"
                       for a in range(0, 360, 60))
        return f'<polygon points="{pts}" fill="{fill}" stroke="{stroke}" stroke-width="3"/>'
    if box.shape == "gateway":
        pts = f"{x - w:.1f},{y + h:.1f} {x - w + 12:.1f},{y - h:.1f} {x + w - 12:.1f},{y - h:.1f} {x + w:.1f},{y + h:.1f}"
        return f'<polygon points="{pts}" fill="{fill}" stroke="{stroke}" stroke-width="2"/>'
    radius = h if box.shape == "event" else 6
    return (f'<rect x="{x - w:.1f}" y="{y - h:.1f}" width="{2 * w:.1f}" height="{2 * h:.1f}" rx="{radius:.1f}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{1.5 if kind == "system" else 2}"/>')


def _curve(a: Box, b: Box, bend: float) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
    dx, dy = b.x - a.x, b.y - a.y
    length = math.hypot(dx, dy) or 1.0
    cx, cy = mx - dy / length * bend * length, my + dx / length * bend * length
    return a.boundary(cx, cy), (cx, cy), b.boundary(cx, cy, pad=6)


def _overlaps(r: tuple[float, float, float, float], placed: list[tuple[float, float, float, float]]) -> bool:
    x, y, w, h = r
    return any(abs(x - px) * 2 < w + pw and abs(y - py) * 2 < h + ph for px, py, pw, ph in placed)


def _edges_svg(topology: Topology, boxes: dict[str, Box], placed: list[tuple[float, float, float, float]]) -> str:
    """Edges with labels where they touch an outer system; inner segments (CRM, hub, gateway, events) keep
    only their tooltip, so the middle of the picture stays legible at 20+ integrations."""
    kinds = {n.id: n.kind for n in topology.nodes}
    out = []
    pairs: dict[frozenset[str], int] = {}
    for edge in topology.edges:
        key = frozenset((edge.source, edge.target))
        index = pairs.get(key, 0)
        pairs[key] = index + 1
        a, b = boxes[edge.source], boxes[edge.target]
        bend = 0.08 + 0.1 * index
        (sx, sy), (qx, qy), (ex, ey) = _curve(a, b, bend)
        colour = COLOURS[edge.pattern]
        dash = f' stroke-dasharray="{DASHES[edge.pattern]}"' if edge.pattern in DASHES else ""
        title = escape(f"{edge.pattern}: {', '.join(edge.integrations)}")
        out.append(f'<g class="edge"><title>{title}</title>'
                   f'<path d="M{sx:.1f},{sy:.1f} Q{qx:.1f},{qy:.1f} {ex:.1f},{ey:.1f}" fill="none" '
                   f'stroke="{colour}" stroke-width="{WIDTHS.get(edge.pattern, 1.8)}"{dash} '
                   f'marker-end="url(#arrow-{edge.pattern})"/>')
        if "system" in (kinds[edge.source], kinds[edge.target]):
            out.append(_edge_label(edge, (sx, sy), (qx, qy), (ex, ey), placed))
        out.append("</g>")
    return "\n".join(out)


def _edge_label(edge: GraphEdge, p0: tuple[float, float], c: tuple[float, float], p2: tuple[float, float],
                placed: list[tuple[float, float, float, float]]) -> str:
    text = edge.label
    w, h = len(text) * LABEL_W + 6, 15
    for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75):
        x = (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * c[0] + t ** 2 * p2[0]
        y = (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * c[1] + t ** 2 * p2[1]
        if not _overlaps((x, y, w, h), placed):
            placed.append((x, y, w, h))
            return (f'<text x="{x:.1f}" y="{y + 4:.1f}" class="elabel" fill="{COLOURS[edge.pattern]}">'
                    f"{escape(text)}</text>")
    return ""  # no free spot: the tooltip still names it


def _nodes_svg(topology: Topology, boxes: dict[str, Box]) -> str:
    out = []
    for node in topology.nodes:
        box = boxes[node.id]
        title = escape(f"{node.kind} {node.label}" + (f" ({node.detail})" if node.detail else ""))
        out.append(f'<g class="node {node.kind}"><title>{title}</title>{_shape(box, node.kind)}')
        if node.kind == "system":
            out.append(f'<text x="{box.x:.1f}" y="{box.y - 2:.1f}" class="nlabel">{escape(node.label)}</text>'
                       f'<text x="{box.x:.1f}" y="{box.y + 12:.1f}" class="ndetail">{escape(node.detail)}</text>')
        else:
            cls = "nlabel big" if node.kind in ("crm", "hub") else "nlabel small" if node.kind == "event" else "nlabel"
            out.append(f'<text x="{box.x:.1f}" y="{box.y + 4:.1f}" class="{cls}">{escape(node.label)}</text>')
        out.append("</g>")
    return "\n".join(out)


def _legend(topology: Topology, plan: Plan, x: float) -> str:
    counts = plan.by_pattern()
    out = [f'<g class="legend"><rect x="{x - 16}" y="70" width="290" height="{250 + 5 * 0}" rx="8" '
           'fill="#fafafa" stroke="#ddd"/>',
           f'<text x="{x}" y="96" class="lhead">patterns (integrations)</text>']
    y = 122.0
    for pattern, colour in COLOURS.items():
        dash = f' stroke-dasharray="{DASHES[pattern]}"' if pattern in DASHES else ""
        out.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 44}" y2="{y - 4}" stroke="{colour}" '
                   f'stroke-width="{WIDTHS.get(pattern, 1.8) + 0.5}"{dash}/>'
                   f'<text x="{x + 54}" y="{y}" class="ltext">{pattern} ({counts.get(pattern, 0)})</text>')
        y += 24
    y += 10
    out.append(f'<text x="{x}" y="{y}" class="lhead">nodes</text>')
    for kind, label in (("crm", "CRM (centre)"), ("hub", "integration hub"), ("gateway", "API gateway"),
                        ("event", "event (catalog)"), ("system", "system (API style, auth)")):
        y += 24
        fill, stroke = NODE_STYLE[kind]
        out.append(f'<rect x="{x + 10}" y="{y - 12}" width="24" height="14" rx="{7 if kind == "event" else 3}" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="2"/><text x="{x + 54}" y="{y}" '
                   f'class="ltext">{label}</text>')
    out[0] = out[0].replace('height="250"', f'height="{y - 50:.0f}"')
    out.append("</g>")
    return "\n".join(out)


CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 20px; margin: 0 0 8px 0; }
svg { display: block; width: 100%; height: calc(100vh - 72px); min-height: 560px; border: 1px solid #e5e5e5; border-radius: 8px; background: #fff; }
.nlabel { font-size: 13px; font-weight: 600; text-anchor: middle; }
.nlabel.big { font-size: 15px; }
.nlabel.small { font-size: 11px; font-weight: 500; }
.ndetail { font-size: 10px; fill: #666; text-anchor: middle; }
.elabel { font-size: 11px; text-anchor: middle; paint-order: stroke; stroke: #fff; stroke-width: 4px;
          stroke-linejoin: round; }
.lhead { font-size: 13px; font-weight: 700; }
.ltext { font-size: 12px; }
.title { font-size: 18px; font-weight: 700; }
.edge:hover path { stroke-width: 5; }
.edge:hover .elabel { font-weight: 700; }
table { border-collapse: collapse; margin-top: 16px; font-size: 13px; }
th, td { border-bottom: 1px solid #eee; padding: 4px 10px; text-align: left; }
th { background: #f5f5f5; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
"""


def to_svg(topology: Topology, plan: Plan, width: int = 1400, height: int = 1000) -> str:
    width, height = canvas_for(topology, width, height)
    lay: Layout = layout(topology, width, height)
    markers = "".join(
        f'<marker id="arrow-{p}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" markerHeight="11" '
        f'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>' for p, c in COLOURS.items())
    placed = [(b.x, b.y, 2 * b.w, 2 * (b.h or b.w)) for b in lay.boxes.values()]
    systems = sum(1 for n in topology.nodes if n.kind in ("crm", "system", "hub"))
    n = len(plan.integrations)
    title = f"weave topology: {n} integration{'' if n == 1 else 's'}, {systems} system{'' if systems == 1 else 's'}"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}"><defs>{markers}</defs>'
            f'<text x="24" y="40" class="title">{escape(title)}</text>'
            f"{_edges_svg(topology, lay.boxes, placed)}{_nodes_svg(topology, lay.boxes)}"
            f"{_legend(topology, plan, width - 280)}</svg>")


def to_html(topology: Topology, plan: Plan) -> str:
    rows = []
    for item in plan.integrations:
        swatches = " ".join(f'<span class="swatch" style="background:{COLOURS[p]}"></span>{escape(p)}'
                            for p in item.patterns)
        rows.append(f"<tr><td>{escape(item.name)}</td><td>{swatches}</td><td>{escape(item.source)} → "
                    f"{escape(', '.join(item.targets))}</td><td>{escape(item.hub or '')}</td>"
                    f"<td>{escape(item.owner or 'none')}</td></tr>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>weave topology</title>"
            f"<style>{CSS}</style></head><body><h1>Integration topology</h1>\n{to_svg(topology, plan)}\n"
            "<table><thead><tr><th>integration</th><th>pattern(s)</th><th>source → targets</th><th>hub</th>"
            f"<th>owner</th></tr></thead><tbody>{''.join(rows)}</tbody></table></body></html>\n")
