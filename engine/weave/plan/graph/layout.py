"""A radial layout that stays readable at 20+ integrations.

The CRM sits at the centre. Each pattern owns a sector of the circle (hub-and-spoke to the right,
event-driven below, etl-batch lower left, point-to-point upper left, api-gateway on top); the hub and
the gateway sit on an inner ring in their sector, events on a middle ring, and the systems on the
outer ring, ordered by the sectors of their connections so that edges of one pattern fan out together
and cross little. With many systems the outer ring alternates two radii so that boxes do not touch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from weave.plan.graph.topology import GraphNode, Topology

SECTOR = {  # degrees, clockwise from +x (SVG y points down)
    "hub-and-spoke": 0.0,
    "event-driven": 90.0,
    "etl-batch": 150.0,
    "point-to-point": 210.0,
    "api-gateway": 270.0,
}
CHAR_W, FONT = 7.0, 13


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float  # half width
    h: float  # half height
    shape: str  # circle | hexagon | rect | event | gateway

    def boundary(self, towards_x: float, towards_y: float, pad: float = 3.0) -> tuple[float, float]:
        """The point where a line from the centre towards (x, y) leaves the shape."""
        dx, dy = towards_x - self.x, towards_y - self.y
        dist = math.hypot(dx, dy) or 1.0
        ux, uy = dx / dist, dy / dist
        if self.shape in ("circle", "hexagon"):
            t = self.w + pad
        else:
            t = min(self.w / abs(ux) if ux else math.inf, self.h / abs(uy) if uy else math.inf) + pad
        return self.x + ux * t, self.y + uy * t


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    boxes: dict[str, Box]


def _circular_mean(angles: list[float]) -> float:
    if not angles:
        return 0.0
    x = sum(math.cos(math.radians(a)) for a in angles)
    y = sum(math.sin(math.radians(a)) for a in angles)
    return math.degrees(math.atan2(y, x)) % 360 if (x or y) else angles[0] % 360


def _spread(items: list[tuple[str, float]], min_gap: float) -> dict[str, float]:
    """Keep the order by angle but push neighbours apart to at least `min_gap` degrees."""
    items = sorted(items, key=lambda i: i[1])
    out: dict[str, float] = {}
    last = -math.inf
    for name, angle in items:
        angle = max(angle, last + min_gap)
        out[name] = angle
        last = angle
    if items:  # centre the group on its original mean so that pushing does not drift it one way
        drift = _circular_mean(list(out.values())) - _circular_mean([a for _, a in items])
        drift = (drift + 180) % 360 - 180
        out = {k: (v - drift) % 360 for k, v in out.items()}
    return out


def _size(node: GraphNode) -> Box:
    if node.kind == "crm":
        return Box(0, 0, max(46, len(node.label) * CHAR_W / 2 + 12), 0, "circle")
    if node.kind == "hub":
        return Box(0, 0, max(38, len(node.label) * CHAR_W / 2 + 14), 0, "hexagon")
    if node.kind == "gateway":
        return Box(0, 0, len(node.label) * CHAR_W / 2 + 18, 17, "gateway")
    if node.kind == "event":
        return Box(0, 0, len(node.label) * (CHAR_W - 0.8) / 2 + 12, 13, "event")
    width = max(len(node.label) * CHAR_W, len(node.detail) * 5.6) / 2 + 12
    return Box(0, 0, width, 20, "rect")


def layout(topology: Topology, width: int = 1400, height: int = 1000, legend_width: int = 300) -> Layout:
    cx, cy = (width - legend_width) / 2, height / 2 + 16
    outer = min(cx - 110, cy - 70)
    sizes = {n.id: _size(n) for n in topology.nodes}
    kinds = {n.id: n.kind for n in topology.nodes}
    centre = next((n.id for n in topology.nodes if n.kind == "crm"), None)
    if centre is None:  # no CRM declared: the most connected system takes the centre
        degree: dict[str, int] = {}
        for e in topology.edges:
            for end in (e.source, e.target):
                if kinds[end] == "system":
                    degree[end] = degree.get(end, 0) + 1
        centre = max(sorted(degree), key=lambda n: degree[n], default=None)
    pos: dict[str, tuple[float, float]] = {}
    if centre:
        pos[centre] = (cx, cy)
    inner = [n.id for n in topology.nodes if n.kind in ("hub", "gateway") and n.id != centre]
    pattern_of: dict[str, str] = {}
    for e in topology.edges:
        for end in (e.source, e.target):
            if end in inner:
                pattern_of.setdefault(end, e.pattern)
    inner_angles = _spread([(n, SECTOR.get(pattern_of.get(n, ""), 0.0)) for n in inner], 40)
    for node, angle in inner_angles.items():
        ring = 0.5 if kinds[node] == "hub" else 0.42
        pos[node] = (cx + ring * outer * math.cos(math.radians(angle)), cy + ring * outer * math.sin(math.radians(angle)))
    # systems: angle from the sectors of their edges, then evenly spaced in that order
    systems = [n.id for n in topology.nodes if n.id not in pos and kinds[n.id] not in ("event",)]
    wanted: dict[str, list[float]] = {s: [] for s in systems}
    for e in topology.edges:
        for end in (e.source, e.target):
            if end in wanted:
                wanted[end].append(SECTOR[e.pattern])
    target = {s: _circular_mean(a) if a else 180.0 for s, a in wanted.items()}
    order = sorted(systems, key=lambda s: (target[s], s))
    if order:
        step = 360 / len(order)
        offset = _circular_mean([(target[s] - i * step) % 360 for i, s in enumerate(order)])
        two_rings = len(order) > 14
        for i, s in enumerate(order):
            angle = math.radians(offset + i * step)
            radius = outer * (0.80 if two_rings and i % 2 else 1.0)
            pos[s] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    # events: between their publisher and subscribers, on a middle ring
    events = [n.id for n in topology.nodes if kinds[n.id] == "event"]
    ev_angles = []
    for ev in events:
        angles = []
        for e in topology.edges:
            other = e.target if e.source == ev else e.source if e.target == ev else None
            if other and other in pos and other != centre:
                x, y = pos[other]
                angles.append(math.degrees(math.atan2(y - cy, x - cx)))
        ev_angles.append((ev, _circular_mean(angles) if angles else SECTOR["event-driven"]))
    for ev, angle in _spread(ev_angles, min(24.0, 360 / max(len(events), 1))).items():
        pos[ev] = (cx + 0.62 * outer * math.cos(math.radians(angle)), cy + 0.62 * outer * math.sin(math.radians(angle)))
    _separate(pos, sizes, [s for s in systems if s in pos], (cx, cy))
    boxes = {}
    for node_id, (x, y) in pos.items():
        size = sizes[node_id]
        boxes[node_id] = Box(x, y, size.w, size.h, size.shape)
    return Layout(width, height, boxes)


def canvas_for(topology: Topology, width: int = 1400, height: int = 1000) -> tuple[int, int]:
    """Beyond 24 systems the drawing grows (the page scales it to the window, the SVG stays sharp)."""
    systems = sum(1 for n in topology.nodes if n.kind == "system")
    scale = max(1.0, math.sqrt(systems / 24))
    return round(300 + (width - 300) * scale), round(height * scale)


def _separate(pos: dict[str, tuple[float, float]], sizes: dict[str, Box], movable: list[str],
              centre: tuple[float, float], rounds: int = 60) -> None:
    """Push overlapping system boxes apart along their ring (tangentially), keeping the order around it."""
    gap = 8.0
    for _ in range(rounds):
        moved = False
        for i, a in enumerate(movable):
            for b in movable[i + 1:]:
                (ax, ay), (bx, by) = pos[a], pos[b]
                ox = sizes[a].w + sizes[b].w + gap - abs(ax - bx)
                oy = sizes[a].h + sizes[b].h + gap - abs(ay - by)
                if ox <= 0 or oy <= 0:
                    continue
                moved = True
                for node, sign in ((a, -1.0), (b, 1.0)):
                    x, y = pos[node]
                    radius = math.hypot(x - centre[0], y - centre[1]) or 1.0
                    angle = math.atan2(y - centre[1], x - centre[0])
                    # the smaller overlap decides how far to move; the tangent keeps the ring
                    step = min(ox, oy) / 2 / radius * (1 if _angle_order(pos[a], pos[b], centre) else -1)
                    angle += sign * step
                    pos[node] = (centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle))
        if not moved:
            return


def _angle_order(a: tuple[float, float], b: tuple[float, float], centre: tuple[float, float]) -> bool:
    """True when b lies clockwise of a (by less than half a turn)."""
    da = math.atan2(a[1] - centre[1], a[0] - centre[0])
    db = math.atan2(b[1] - centre[1], b[0] - centre[0])
    return ((db - da) % (2 * math.pi)) < math.pi
