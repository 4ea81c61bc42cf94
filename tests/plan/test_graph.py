"""The topology picture: the model (hub as hub, events between publisher and subscribers), Mermaid, DOT,
a non-overlapping layout at 20+ integrations, and the HTML page rendered by headless Chromium."""

from __future__ import annotations

import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from weave.plan import plan_project
from weave.plan.graph import build_topology, render
from weave.plan.graph.layout import canvas_for, layout
from weave.spec import load_project

from ._util import SpecTree, big_ecosystem, integration, owner, system


def _load(path: Path):
    load = load_project([path])
    assert load.ok, [d.message for d in load.diagnostics if d.severity == "error"]
    return load.project, plan_project(load.project)


def test_topology_hub_gateway_and_events(tree: SpecTree) -> None:
    docs = [owner(), system("crm", role="crm"), system("erp", style="soap", auth="basic"), system("mail"),
            system("portal"), system("ops"),
            {"kind": "event", "name": "crm.order.created", "owner": "team-a", "publisher": "crm",
             "schema": {"type": "object"}},
            integration("erp-sync", "crm", ["erp", "mail"]),
            integration("orders", "crm", "ops", timing="real-time", coupling="loose",
                        trigger={"event": "crm.order.created"}),
            integration("portal-api", "crm", "portal", direction="pull", exposure="customer")]
    project, plan = _load(tree.write(docs))
    topo = build_topology(project, plan)
    kinds = {n.id: n.kind for n in topo.nodes}
    assert kinds["system:crm"] == "crm" and kinds["hub:weave"] == "hub" and kinds["event:crm.order.created"] == "event"
    edges = {(e.source, e.target, e.pattern) for e in topo.edges}
    assert {("system:crm", "hub:weave", "hub-and-spoke"), ("hub:weave", "system:erp", "hub-and-spoke"),
            ("hub:weave", "system:mail", "hub-and-spoke")} <= edges
    assert ("event:crm.order.created", "system:ops", "event-driven") in edges
    assert ("system:crm", "event:crm.order.created", "event-driven") in edges  # the declared publisher
    # a pull is drawn from the caller: the portal reaches into the CRM through the gateway
    assert {("system:portal", "gateway:api-gateway", "api-gateway"),
            ("gateway:api-gateway", "system:crm", "api-gateway")} <= edges
    assert topo.patterns_used() == ["hub-and-spoke", "event-driven", "api-gateway"]


def test_mermaid_and_dot(tree: SpecTree) -> None:
    project, plan = _load(tree.write(big_ecosystem()))
    mermaid = render(project, plan, "mermaid")
    lines = mermaid.splitlines()
    assert lines[0] == "flowchart LR"
    edges = [line for line in lines if "-->" in line or "-.->" in line]
    assert len([line for line in lines if "linkStyle" in line]) == len(edges)
    assert 'n_system_hub{{"hub"}}' in mermaid and 'n_system_crm(("crm"))' in mermaid
    dot = render(project, plan, "dot")
    assert dot.count("{") == dot.count("}") and "shape=hexagon" in dot and "shape=doublecircle" in dot
    if shutil.which("dot"):  # pragma: no cover - graphviz is optional on these machines
        subprocess.run(["dot", "-Tsvg"], input=dot, text=True, check=True, capture_output=True)


@pytest.mark.parametrize("systems", [22, 34])
def test_layout_is_readable_at_20_plus_integrations(tree: SpecTree, systems: int) -> None:
    project, plan = _load(tree.write(big_ecosystem(systems=systems)))
    assert len(plan.integrations) >= 20
    topo = build_topology(project, plan)
    lay = layout(topo, *canvas_for(topo))
    boxes = list(lay.boxes.values())
    assert len(boxes) == len(topo.nodes)
    for i, a in enumerate(boxes):
        ah = a.h or a.w
        assert a.w <= a.x <= lay.width - 300 - a.w + 40 and ah <= a.y <= lay.height - ah  # inside, left of legend
        for b in boxes[i + 1:]:
            bh = b.h or b.w
            assert abs(a.x - b.x) >= a.w + b.w or abs(a.y - b.y) >= ah + bh, "nodes overlap"
    svg = render(project, plan, "svg")
    root = ET.fromstring(svg)  # well-formed
    titles = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title"))
    assert all(i.name in titles for i in plan.integrations)  # every integration can be found by hovering


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_html_opens_in_headless_chromium(tree: SpecTree, tmp_path: Path) -> None:
    project, plan = _load(tree.write(big_ecosystem()))
    page = tmp_path / "topology.html"
    page.write_text(render(project, plan, "html"))
    assert "<script" not in page.read_text() and "http://" not in page.read_text().replace(
        "http://www.w3.org/2000/svg", "")  # self-contained
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chrome, "chromium is part of this project's test environment"
    args = [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'ud'}"]
    shot = tmp_path / "topology.png"
    proc = subprocess.run([*args, f"--screenshot={shot}", "--window-size=1400,1000", page.as_uri()],
                          capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _png_size(shot) == (1400, 1000)
    from PIL import Image

    colours = Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 20) or []
    pattern_rgb = {(0xd6, 0x27, 0x28), (0x1f, 0x77, 0xb4), (0x2c, 0xa0, 0x2c), (0x94, 0x67, 0xbd), (0xff, 0x7f, 0x0e)}
    assert pattern_rgb <= {c for _, c in colours}, "every pattern colour is drawn"
    dom = subprocess.run([*args, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=90)
    assert dom.returncode == 0 and "<svg" in dom.stdout and "hub-and-spoke" in dom.stdout
