"""Golden plan snapshots of the example ecosystem (specs/), one file per integration.

Refresh after an intended change: WEAVE_UPDATE_GOLDEN=1 python -m pytest tests/plan/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from weave.plan import PATTERNS, IntegrationPlan, plan_project
from weave.spec import load_project

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("WEAVE_UPDATE_GOLDEN") == "1"


def snapshot(item: IntegrationPlan) -> dict[str, Any]:
    return {
        "name": item.name,
        "patterns": list(item.patterns),
        "framework_patterns": list(item.framework_patterns),
        "override": None if item.override is None else item.override.pattern,
        "hub": item.hub,
        "sides": [{
            "side": d.side,
            "pattern": d.pattern,
            "scores": dict(d.scores),
            "rules": [c.rule.id for c in d.contributions],
            "runner_up": d.runner_up.pattern if d.runner_up else None,
            "why_lost": d.runner_up.why if d.runner_up else None,
        } for d in item.decisions],
    }


@pytest.fixture(scope="module")
def example_plan():
    load = load_project([REPO / "specs"])
    assert load.ok, [f"{d.file}:{d.line} {d.message}" for d in load.diagnostics if d.severity == "error"]
    return plan_project(load.project)


def test_golden_snapshots(example_plan) -> None:
    GOLDEN.mkdir(exist_ok=True)
    current = {item.name: snapshot(item) for item in example_plan.integrations}
    if UPDATE:
        for old in GOLDEN.glob("*.json"):
            old.unlink()
        for name, snap in current.items():
            (GOLDEN / f"{name}.json").write_text(json.dumps(snap, indent=2) + "\n")
    stored = {p.stem: json.loads(p.read_text()) for p in sorted(GOLDEN.glob("*.json"))}
    assert sorted(stored) == sorted(current), "integrations changed: refresh with WEAVE_UPDATE_GOLDEN=1"
    for name, snap in current.items():
        assert snap == stored[name], f"plan of {name} changed: check it, then refresh with WEAVE_UPDATE_GOLDEN=1"


def test_every_pattern_is_chosen_by_the_framework_in_the_examples(example_plan) -> None:
    by_framework = {p for item in example_plan.integrations if item.override is None for p in item.patterns}
    assert by_framework == set(PATTERNS)


def test_bidirectional_examples_list_one_pattern_per_direction(example_plan) -> None:
    bidi = [i for i in example_plan.integrations if i.direction == "bidirectional"]
    assert bidi and all(len(i.patterns) == 2 for i in bidi)
