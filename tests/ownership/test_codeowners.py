"""`weave codeowners` and the WV851 staleness warning of `weave validate`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.specs import documents, integration, system
from weave.api import validate
from weave.api.ownership import codeowners
from weave.cli.main import cli
from weave.ownership.codeowners import BEGIN, END

OWNERS = """\
kind: owner
name: support-eng
contacts: {email: support@acme.example, handle: "@acme/support-eng"}
---
kind: owner
name: finance-it
contacts: {email: finance@acme.example, handle: "acme/finance-it"}
---
kind: owner
name: sales-ops
contacts: {email: sales@acme.example}
"""
SYSTEMS = documents(system("crm", "sales-ops", "CRM_URL"), system("erp", "finance-it", "ERP_URL"))


def flow(name: str, owner: str) -> str:
    return integration(name, owner, target="erp", per_day=100, coupling="loose")


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    specs = tmp_path / "specs"
    (specs / "integrations").mkdir(parents=True)
    (specs / "owners.yaml").write_text(OWNERS)
    (specs / "systems.yaml").write_text(SYSTEMS)
    (specs / "integrations" / "point-to-point.yaml").write_text(flow("calls", "support-eng"))
    (specs / "integrations" / "orders.yaml").write_text(
        documents(flow("orders", "finance-it"), flow("quotes", "sales-ops")))
    (tmp_path / "weave.toml").write_text("")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)


def _wv851(path: Path) -> list[str]:
    return [d.file for d in validate([path / "specs"]).diagnostics if d.code == "WV851"]


def test_maps_each_spec_file_to_its_owners_handles(project: Path) -> None:
    result = codeowners([project / "specs"])
    entries = dict(result.entries)
    assert entries["specs/integrations/point-to-point.yaml"] == ("@acme/support-eng",)
    assert entries["specs/integrations/orders.yaml"] == ("@acme/finance-it", "@sales-ops")  # handle, else @owner
    assert entries["specs/owners.yaml"] == ("@acme/finance-it", "@acme/support-eng", "@sales-ops")  # own contacts
    assert entries["specs/systems.yaml"] == ("@acme/finance-it", "@sales-ops")
    lines = result.section.splitlines()
    assert lines[0] == BEGIN and lines[-1] == END
    assert ["/specs/integrations/point-to-point.yaml", "@acme/support-eng"] in [line.split() for line in lines]
    assert result.existing is None and not result.stale


def test_fallback_handle_is_the_owner_name(project: Path) -> None:
    spec = project / "specs" / "integrations" / "point-to-point.yaml"
    spec.write_text(spec.read_text().replace("owner: support-eng", "owner: nobody-declared"))
    assert dict(codeowners([project / "specs"]).entries)["specs/integrations/point-to-point.yaml"] == \
        ("@nobody-declared",)


def test_cli_writes_checks_and_validate_warns_when_stale(project: Path) -> None:
    runner = CliRunner()
    assert _wv851(project) == []  # no CODEOWNERS committed: nothing to be stale
    check = runner.invoke(cli, ["codeowners", "specs", "--check"])
    assert check.exit_code == 1 and "stale" in check.output
    wrote = runner.invoke(cli, ["codeowners", "specs"])
    assert wrote.exit_code == 0, wrote.output
    assert (project / "CODEOWNERS").read_text().startswith(BEGIN)
    assert runner.invoke(cli, ["codeowners", "specs", "--check"]).exit_code == 0
    assert _wv851(project) == []
    # an owner's handle changes: the committed file is stale now
    teams = project / "specs" / "owners.yaml"
    teams.write_text(teams.read_text().replace("@acme/support-eng", "@acme/customer-care"))
    assert _wv851(project) == [str(project / "CODEOWNERS")]
    [diag] = [d for d in validate([project / "specs"]).diagnostics if d.code == "WV851"]
    assert diag.severity.value == "warning" and "weave codeowners" in (diag.hint or "")
    as_json = runner.invoke(cli, ["codeowners", "specs", "--check", "--format", "json"])
    assert as_json.exit_code == 1 and json.loads(as_json.output)["stale"] is True
    assert runner.invoke(cli, ["codeowners", "specs"]).exit_code == 0
    assert _wv851(project) == []


def test_hand_written_rules_around_the_section_are_kept(project: Path) -> None:
    (project / ".github").mkdir()
    committed = project / ".github" / "CODEOWNERS"
    committed.write_text(f"* @acme/platform\n{BEGIN}\n/old.yaml @someone\n{END}\n/docs/ @acme/writers\n")
    assert _wv851(project) == [str(committed)]
    result = CliRunner().invoke(cli, ["codeowners", "specs"])
    assert result.exit_code == 0 and ".github/CODEOWNERS" in result.output
    text = committed.read_text()
    assert text.startswith("* @acme/platform\n" + BEGIN) and text.endswith(END + "\n/docs/ @acme/writers\n")
    assert "/old.yaml" not in text and "/specs/owners.yaml" in text
    assert _wv851(project) == [] and not (project / "CODEOWNERS").exists()
