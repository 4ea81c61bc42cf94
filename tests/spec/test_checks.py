"""Semantic checks that need more than one file, and the normative minimal spec."""

from __future__ import annotations

from pathlib import Path

from weave.api import validate
from weave.diagnostics import Severity

MINIMAL = """\
kind: system
name: erp
owner: finance-it
api: {style: soap}          # rest | graphql | soap | sql | file | proprietary
---
kind: integration
name: order-to-fulfillment
owner: ops-integration
source: crm
target: operations          # or targets: [a, b]
direction: push             # push | pull | bidirectional
timing: real-time           # real-time | near-real-time | batch
volume: {records_per_transaction: 1, transactions_per_day: 20000}
coupling: loose             # tight | loose
# optional:
transform_complexity: simple   # simple | complex
exposure: internal             # internal | partner | customer | third-party
pattern: auto                  # or point-to-point | hub-and-spoke | event-driven | api-gateway | etl-batch
pattern_reason: "..."          # required whenever pattern is not auto
"""


def test_normative_minimal_spec_validates(tmp_path: Path) -> None:
    (tmp_path / "specs.yaml").write_text(MINIMAL)
    result = validate([tmp_path])
    assert result.exit_code == 0, [d.to_dict() for d in result.diagnostics if d.severity == Severity.ERROR]


def test_strict_owners_turns_undeclared_owner_into_error(tmp_path: Path) -> None:
    (tmp_path / "specs.yaml").write_text(MINIMAL)
    result = validate([tmp_path], strict_owners=True)
    owners = [d for d in result.diagnostics if d.code == "WV308"]
    assert owners and all(d.severity == Severity.ERROR for d in owners)
    assert result.exit_code == 1


def test_unknown_transform_reported_with_position(tmp_path: Path) -> None:
    (tmp_path / "transforms").mkdir()
    (tmp_path / "transforms" / "t.yaml").write_text(
        "kind: transform\nname: crm-to-erp\nsteps:\n  - rename: {a: b}\n")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "i.yaml").write_text(
        "kind: integration\nname: x\nowner: o\nsource: a\ntarget: b\ndirection: push\ntiming: batch\n"
        "volume: {records_per_transaction: 1}\ncoupling: loose\nsteps:\n  - use: crm-to-rep\n")
    result = validate([tmp_path / "specs"])
    found = [(d.code, d.line, d.column, d.hint) for d in result.diagnostics if d.code == "WV307"]
    assert found == [("WV307", 11, 10, "did you mean 'crm-to-erp'?")]


def test_secret_values_never_echoed(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "kind: system\nname: crm\nowner: o\napi:\n  style: rest\n"
        "  auth: {type: bearer, token: sup3r-s3cret-value}\n")
    result = validate([tmp_path])
    assert any(d.code == "WV401" for d in result.diagnostics)
    assert all("sup3r-s3cret-value" not in str(d.to_dict()) for d in result.diagnostics)


def test_example_ecosystem_is_clean(repo_root: Path) -> None:
    result = validate([repo_root / "specs"])
    assert result.exit_code == 0, [d.to_dict() for d in result.diagnostics]
    assert [d for d in result.diagnostics if d.severity != Severity.INFO] == []
    project = result.load.project
    assert 12 <= len(project.integrations) <= 20
    assert all(i.owner for i in project.integrations.values())
