"""`weave test`: the repository's transforms/ library, integration tests, diffs, formats, exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from weave.cli.main import cli
from weave.transforms.library import load_library
from weave.transforms.testing import run_library

REPO = Path(__file__).resolve().parents[2]

INTEGRATION = """\
kind: event
name: crm.order.created
version: 1
owner: sales-ops
publisher: crm
schema: {type: object, required: [order_id], properties: {order_id: {type: string}}}
---
kind: integration
name: order-to-erp
owner: ops
source: crm
target: erp
direction: push
timing: real-time
steps:
  - use: shout
  - map: "{order_id: id, total: sum(lines[].amount), name: name}"
  - validate: {event: crm.order.created}
tests:
  - name: happy
    input: {id: "o-1", name: "ada", lines: [{amount: 1}, {amount: 2}]}
    expect: {order_id: "o-1", total: 3, name: "ADA"}
  - name: bad id
    input: {id: 5, name: "x", lines: []}
    expect_error: "at /order_id"
"""
SHOUT = """\
kind: transform
name: shout
description: upper-case the name
steps:
  - set: {name: "upper(name)"}
fixtures:
  - {name: upper, input: {name: a}, expect: {name: A}}
"""


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "transforms").mkdir()
    (tmp_path / "specs" / "orders.yaml").write_text(INTEGRATION)
    (tmp_path / "transforms" / "shout.yaml").write_text(SHOUT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_library_transform_has_fixtures_and_they_pass() -> None:
    library = load_library([REPO / "transforms"])
    assert not library.problems
    assert len(library.transforms) >= 12 and len(library.tables) >= 4
    results = run_library(library)
    problems = [r for r in results if isinstance(r, str)]
    assert problems == []
    cases = [r for r in results if not isinstance(r, str)]
    failed = [(r.suite, r.name, r.message, r.diff) for r in cases if not r.passed]
    assert failed == []
    assert {r.suite for r in cases} == set(library.transforms)
    assert any(r.expected and isinstance(r.expected, str) for r in cases)  # expected-error fixtures exist


def test_weave_test_on_the_repository_passes() -> None:
    result = CliRunner().invoke(cli, ["test", str(REPO / "transforms"), "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["ok"] and payload["summary"]["failed"] == 0 and payload["summary"]["cases"] >= 50


def test_project_with_integration_tests_passes(project: Path) -> None:
    result = CliRunner().invoke(cli, ["test", "-v"])
    assert result.exit_code == 0, result.output
    assert "3 passed, 0 failed" in result.output
    assert "integration order-to-erp :: happy" in result.output


def test_failure_shows_a_unified_diff_and_exits_1(project: Path) -> None:
    spec = project / "specs" / "orders.yaml"
    spec.write_text(INTEGRATION.replace('total: 3, name: "ADA"', 'total: 4, name: "ADA"'))
    result = CliRunner().invoke(cli, ["test"])
    assert result.exit_code == 1
    assert "FAIL integration order-to-erp :: happy" in result.output and "specs/orders.yaml:20" in result.output
    assert '-  "total": 4' in result.output and '+  "total": 3' in result.output


def test_junit_and_json_reports(project: Path) -> None:
    (project / "transforms" / "shout.yaml").write_text(SHOUT.replace("expect: {name: A}", "expect: {name: B}"))
    result = CliRunner().invoke(cli, ["test", "--format", "junit", "-o", "report.xml"])
    assert result.exit_code == 1
    root = ET.parse(project / "report.xml").getroot()
    assert root.get("tests") == "3" and root.get("failures") == "1"
    failure = root.find(".//testcase[@name='upper']/failure")
    assert failure is not None and '"name": "B"' in (failure.text or "")
    result = CliRunner().invoke(cli, ["test", "--format", "json"])
    payload = json.loads(result.output)
    assert payload["schema_version"] == 1 and payload["summary"] == {
        "cases": 3, "passed": 2, "failed": 1, "suites": 2, "problems": 0}
    bad = [r for r in payload["results"] if not r["passed"]][0]
    assert bad["file"] == "transforms/shout.yaml" and bad["line"] == 7 and bad["actual"] == {"name": "A"}


def test_a_step_that_does_not_compile_is_a_problem(project: Path) -> None:
    (project / "transforms" / "shout.yaml").write_text(SHOUT.replace("upper(name)", "upper(name"))
    result = CliRunner().invoke(cli, ["test"])
    assert result.exit_code == 1
    assert "WV312" in result.output and "transforms/shout.yaml:5" in result.output


def test_usage_errors_exit_2(project: Path) -> None:
    assert CliRunner().invoke(cli, ["test", "does-not-exist"]).exit_code == 2
    assert CliRunner().invoke(cli, ["test", "--format", "pdf"]).exit_code == 2


def test_fixture_references_resolve_across_files(project: Path) -> None:
    spec = project / "specs" / "orders.yaml"
    (project / "transforms" / "orders-fixtures.yaml").write_text(
        "kind: transform\nname: order-fixtures\nsteps: [{map: '@'}]\nfixtures:\n"
        "  - {name: big order, input: {id: o-9, name: eve, lines: [{amount: 5}]}, "
        "expect: {id: o-9, name: eve, lines: [{amount: 5}]}}\n"
    )
    spec.write_text(INTEGRATION + (
        "  - name: from a fixture in another file\n"
        "    input: {fixture: order-fixtures/big order}\n"
        "    expect: {order_id: o-9, total: 5, name: EVE}\n"
        "  - name: unqualified reference\n"
        "    input: {fixture: big order}\n"
        "    expect: {order_id: o-9, total: 5, name: EVE}\n"
        "  - name: dangling reference\n"
        "    input: {fixture: nope}\n"
        "    expect: {}\n"
    ))
    result = CliRunner().invoke(cli, ["test", "--format", "json"])
    payload = json.loads(result.output)
    by_name = {r["name"]: r for r in payload["results"]}
    assert by_name["from a fixture in another file"]["passed"]
    assert by_name["unqualified reference"]["passed"]
    assert not by_name["dangling reference"]["passed"]
    assert "fixture reference 'nope' does not exist" in by_name["dangling reference"]["message"]
    assert result.exit_code == 1


def test_match_selects_cases(project: Path) -> None:
    result = CliRunner().invoke(cli, ["test", "-k", "bad id", "-v"])
    assert result.exit_code == 0
    assert "1 passed, 0 failed" in result.output and "bad id" in result.output
