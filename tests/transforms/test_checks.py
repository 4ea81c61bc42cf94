"""The spec-checker hook reports step problems with codes and positions."""

from __future__ import annotations

from pathlib import Path

from weave.spec import load_project
from weave.transforms.checks import check_project_steps

SPEC = """\
kind: integration
name: orders
owner: ops
source: crm
target: erp
direction: push
timing: real-time
steps:
  - map: "{id: id}"
  - map: "nope(id)"
deliver:
  - target: erp
    steps:
      - use: missing-transform
"""
TRANSFORM = """\
kind: transform
name: lonely
steps:
  - set: {x: {template: "{{ broken "}}
"""


def test_check_project_steps(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "transforms").mkdir()
    (tmp_path / "specs" / "orders.yaml").write_text(SPEC)
    (tmp_path / "transforms" / "lonely.yaml").write_text(TRANSFORM)
    project = load_project([tmp_path / "specs"]).project
    found = {(d.code, Path(d.file).name, d.line) for d in check_project_steps(project)}
    assert ("WV312", "orders.yaml", 10) in found  # unknown function, found offline
    assert ("WV307", "orders.yaml", 14) in found
    assert ("WV312", "lonely.yaml", 4) in found
    assert ("WV603", "lonely.yaml", 1) in found
