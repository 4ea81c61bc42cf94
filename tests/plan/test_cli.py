"""The commands: plan (normative JSON), explain, inventory, impact, graph. CliRunner, plus one real process."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from click.testing import CliRunner

from weave.cli.main import cli

from ._util import SpecTree, integration, owner, system


def _specs(tree: SpecTree):
    return tree.write([
        owner(), system("crm", role="crm"), system("erp", style="soap", auth="basic"), system("portal"),
        integration("erp-sync", "crm", "erp"),
        integration("portal-api", "crm", "portal", direction="bidirectional", timing="real-time",
                    coupling="loose", exposure="customer"),
        integration("forced", "crm", "erp", pattern="point-to-point", pattern_reason="vendor requirement"),
    ])


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_plan_json_normative_shape_in_a_real_process(tree: SpecTree) -> None:
    path = _specs(tree)
    proc = subprocess.run([sys.executable, "-c", "from weave.cli import main; main()", "plan", str(path),
                           "--format", "json"], capture_output=True, text=True, timeout=60, cwd=tree.root)
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert doc["schema_version"] == "1"
    by_name = {i["name"]: i for i in doc["integrations"]}
    assert set(by_name) == {"erp-sync", "portal-api", "forced"}
    for item in doc["integrations"]:
        assert item["patterns"] and all(isinstance(p, str) for p in item["patterns"])
        assert item["reasons"] and all(isinstance(r, str) for r in item["reasons"])
        assert len(item["runner_up"]) == len(item["patterns"])
    assert by_name["erp-sync"]["patterns"] == ["hub-and-spoke"]
    assert by_name["portal-api"]["patterns"] == ["event-driven", "api-gateway"]
    forced = by_name["forced"]
    assert forced["patterns"] == ["point-to-point"] and forced["framework_patterns"] == ["hub-and-spoke"]
    assert forced["override"] == {"pattern": "point-to-point", "reason": "vendor requirement", "agrees": False}
    assert {w["code"] for w in forced["warnings"]} == {"WV501", "WV504"}
    assert proc.returncode == 0


def test_plan_text_table_and_exit_code_on_errors(tree: SpecTree) -> None:
    code, out = run("plan", str(_specs(tree)))
    assert code == 0
    assert "erp-sync" in out and "hub-and-spoke" in out and "event-driven + api-gateway" in out
    assert "WV501" in out
    tree.write([{"kind": "integration", "name": "broken"}], filename="broken.yaml")
    code, out = run("plan", str(tree.specs), "--format", "json")
    assert code == 1
    assert any(d["code"] == "WV202" for d in json.loads(out)["diagnostics"])


def test_explain_shows_each_question_answer_rule_and_vote(tree: SpecTree) -> None:
    code, out = run("explain", "portal-api", str(_specs(tree)), "--cite")
    assert code == 0
    for text in ("push side", "pull side", "direction", "timing", "volume", "coupling", "exposure", "portfolio",
                 "EXP-EXTERNAL", "+10 api-gateway", "runner-up", "Pull favors API gateway."):
        assert text in out, text
    code, out = run("explain", "portal-api", str(tree.specs), "--format", "json")
    assert json.loads(out)["patterns"] == ["event-driven", "api-gateway"]


def test_explain_unknown_integration_suggests_close_names(tree: SpecTree) -> None:
    code, out = run("explain", "erp-snyc", str(_specs(tree)))
    assert code == 2 and "did you mean 'erp-sync'" in out


def test_inventory_text_json_csv(tree: SpecTree) -> None:
    path = str(_specs(tree))
    code, out = run("inventory", path)
    assert code == 0 and "erp: basic" in out and "3 integration(s)" in out
    code, out = run("inventory", path, "--format", "json")
    rows = {r["integration"]: r for r in json.loads(out)["integrations"]}
    assert rows["erp-sync"]["auth"] == {"crm": "bearer", "erp": "basic"} and rows["erp-sync"]["owner"] == "team-a"
    code, out = run("inventory", path, "--format", "csv")
    table = list(csv.DictReader(io.StringIO(out)))
    assert [r["integration"] for r in table] == ["erp-sync", "forced", "portal-api"]
    assert table[2]["patterns"] == "event-driven;api-gateway"


def test_impact_command(tree: SpecTree) -> None:
    path = str(_specs(tree))
    code, out = run("impact", "erp", path, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and {i["name"] for i in doc["integrations"]} == {"erp-sync", "forced"}
    assert doc["owners"] == ["team-a"]
    code, out = run("impact", "erp", path)
    assert "[erp-sync]" in out and "owners to call: team-a" in out
    code, out = run("impact", "ERP", path)
    assert code == 2 and "no system named 'ERP'" in out


def test_graph_mermaid_dot_and_html_file(tree: SpecTree) -> None:
    path = str(_specs(tree))
    code, out = run("graph", path)
    assert code == 0 and out.startswith("flowchart LR") and "{{" in out  # the hub is a hexagon
    code, out = run("graph", path, "--format", "dot")
    assert out.startswith("digraph weave {") and "shape=hexagon" in out and out.rstrip().endswith("}")
    code, out = run("graph", path, "--format", "json")
    doc = json.loads(out)
    assert doc["schema_version"] == "1" and {"hub", "gateway", "crm"} <= {n["kind"] for n in doc["nodes"]}
    target = tree.root / "out" / "topology.html"
    code, out = run("graph", path, "--format", "html", "--out", str(target))
    assert code == 0 and target.read_text().startswith("<!DOCTYPE html>")


def test_free_text_is_not_read_as_markup(tree: SpecTree) -> None:
    path = tree.write([owner(), system("crm"), system("erp", style="soap", auth="basic"),
                       integration("odd", "crm", "erp", pattern="point-to-point",
                                   pattern_reason="[/bold] vendor [red]says so")])
    code, out = run("plan", str(path))
    assert code == 0 and "[/bold] vendor [red]says so" in out
    code, out = run("explain", "odd", str(path))
    assert code == 0 and "[/bold] vendor [red]says so" in out
