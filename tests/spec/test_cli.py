"""`weave validate`, `schema` and `init` as real subprocesses: exit codes and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CASES = Path(__file__).parent / "cases"


def weave(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "weave", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_validate_good_tree_exits_0(repo_root: Path) -> None:
    proc = weave("validate", str(repo_root / "specs"), "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["diagnostics"] == []
    assert payload["summary"]["error"] == 0 and payload["summary"]["files"] > 5


def test_validate_bad_tree_exits_1_with_json(tmp_path: Path) -> None:
    for name in ("WV201.yaml", "WV401.yaml"):
        (tmp_path / name).write_text((CASES / name).read_text())
    proc = weave("validate", str(tmp_path), "--format", "json")
    assert proc.returncode == 1
    diags = json.loads(proc.stdout)["diagnostics"]
    for d in diags:
        assert {"code", "severity", "message", "file", "line", "column"} <= set(d)
    assert {("WV201", 6, 1), ("WV401", 7, 31)} <= {(d["code"], d["line"], d["column"]) for d in diags}


def test_usage_error_exits_2(tmp_path: Path) -> None:
    assert weave("validate", str(tmp_path / "missing")).returncode == 2
    assert weave("validate", "--format", "xml", str(tmp_path)).returncode == 2


def test_github_and_sarif_formats(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text((CASES / "WV204.yaml").read_text())
    gh = weave("validate", str(tmp_path), "--format", "github")
    assert gh.returncode == 1 and "::error file=" in gh.stdout and ",line=7,col=12,title=WV204" in gh.stdout
    sarif = json.loads(weave("validate", str(tmp_path), "--format", "sarif").stdout)
    results = sarif["runs"][0]["results"]
    assert any(r["ruleId"] == "WV204" and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 7
               for r in results)


def test_text_format_shows_hint(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text((CASES / "WV201.yaml").read_text())
    proc = weave("validate", str(tmp_path))
    assert proc.returncode == 1
    assert "WV201" in proc.stdout and "did you mean 'timing'?" in proc.stdout


def test_init_scaffolds_a_valid_repository(tmp_path: Path) -> None:
    target = tmp_path / "acme"
    assert weave("init", str(target)).returncode == 0
    assert (target / "weave.toml").is_file() and (target / "schema" / "weave.schema.json").is_file()
    proc = weave("validate", str(target / "specs"), "--format", "json")
    assert proc.returncode == 0, proc.stdout
    assert weave("init", str(target)).returncode == 1  # refuses to overwrite


def test_schema_check_detects_stale_files(tmp_path: Path, repo_root: Path) -> None:
    assert weave("schema", "--check", str(repo_root / "schema")).returncode == 0
    assert weave("schema", "--export", str(tmp_path)).returncode == 0
    (tmp_path / "system.schema.json").write_text("{}")
    assert weave("schema", "--check", str(tmp_path)).returncode == 1


def test_help_has_examples() -> None:
    proc = weave("validate", "--help")
    assert proc.returncode == 0 and "Examples:" in proc.stdout


def test_text_output_shows_bracketed_values_literally(tmp_path: Path) -> None:
    """Messages quote user text and patterns (`^[a-z0-9]...`); rich must not read them as markup."""
    text = (CASES / "WV201.yaml").read_text().replace("name: order-sync", 'name: "Bad[Name]"')
    (tmp_path / "a.yaml").write_text(text)
    proc = weave("validate", str(tmp_path))
    assert proc.returncode == 1
    assert "'name': 'Bad[Name]' does not match '^[a-z0-9][a-z0-9._-]{0,99}$'" in proc.stdout
    assert "integration 'Bad[Name]' names unknown system 'crm'" in proc.stdout
