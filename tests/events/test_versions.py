"""Event versioning in `weave validate`: additive changes pass, a breaking edit of an existing version is
flagged at its exact position (WV860-WV863), a new version number makes any change fine. Baselines: a git
ref (`--events-against-ref`) and the last applied revision of a local SQLite state store."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from weave.cli.main import cli

BASE = """\
kind: event
name: shop.order.placed
version: 1
owner: sales-ops
publisher: shop
schema:
  type: object
  required: [order_id]
  properties:
    order_id: {type: string}
    total: {type: integer}
    status: {type: string, enum: [new, paid, shipped]}
    note: {type: string}
    lines:
      type: array
      items:
        type: object
        properties:
          sku: {type: string}
          qty: {type: integer}
"""


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "events.yaml").write_text(BASE)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "v1")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WEAVE_STATE", raising=False)
    monkeypatch.delenv("WEAVE_BUS", raising=False)
    return tmp_path


def _validate(*args: str) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(cli, ["validate", "specs", "--format", "json", *args])
    diagnostics = json.loads(result.output)["diagnostics"]
    return result.exit_code, [d for d in diagnostics if d["code"].startswith("WV86")]


def _edit(repo: Path, old: str, new: str) -> None:
    path = repo / "specs" / "events.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _found(diags: list[dict]) -> list[tuple[str, int, int]]:
    return [(d["code"], d["line"], d["column"]) for d in diags]


def test_unchanged_and_additive_changes_are_fine(repo: Path) -> None:
    assert _validate("--events-against-ref", "HEAD") == (0, [])
    _edit(repo, "    note: {type: string}\n", "    note: {type: [string, \"null\"]}\n    channel: {type: string}\n")
    _edit(repo, "total: {type: integer}", "total: {type: number}")  # integer -> number widens
    _edit(repo, "enum: [new, paid, shipped]", "enum: [new, paid, shipped, returned]")
    _edit(repo, "  required: [order_id]\n", "  required: []\n")
    assert _validate("--events-against-ref", "HEAD") == (0, [])


def test_removed_property_is_flagged_at_properties(repo: Path) -> None:
    _edit(repo, "    note: {type: string}\n", "")
    code, diags = _validate("--events-against-ref", "HEAD")
    assert code == 1
    assert _found(diags) == [("WV860", 9, 3)]  # the `properties:` key of the schema
    assert "'note' was removed" in diags[0]["message"] and "git HEAD" in diags[0]["message"]
    assert "version: 2" in diags[0]["hint"]


def test_new_required_property_is_flagged_at_the_required_entry(repo: Path) -> None:
    _edit(repo, "  required: [order_id]\n", "  required: [order_id, total]\n")
    code, diags = _validate("--events-against-ref", "HEAD")
    assert code == 1 and _found(diags) == [("WV861", 8, 24)]
    assert "'total' is now required" in diags[0]["message"]


def test_changed_type_is_flagged_at_the_type(repo: Path) -> None:
    _edit(repo, "total: {type: integer}", "total: {type: string}")
    _edit(repo, "qty: {type: integer}", "qty: {type: [integer, string]}")  # widened: fine
    code, diags = _validate("--events-against-ref", "HEAD")
    assert code == 1 and _found(diags) == [("WV862", 11, 19)]
    assert "properties.total" in diags[0]["message"] and "integer" in diags[0]["message"]


def test_nested_type_change_inside_array_items(repo: Path) -> None:
    _edit(repo, "qty: {type: integer}", "qty: {type: string}")
    code, diags = _validate("--events-against-ref", "HEAD")
    assert code == 1 and _found(diags) == [("WV862", 20, 23)]
    assert "properties.lines.items.properties.qty" in diags[0]["message"]


def test_narrowed_enum_is_flagged_at_the_enum(repo: Path) -> None:
    _edit(repo, "enum: [new, paid, shipped]", "enum: [new, paid]")
    _edit(repo, "    note: {type: string}\n", "    note: {type: string, enum: [a, b]}\n")  # newly restricted
    code, diags = _validate("--events-against-ref", "HEAD")
    assert code == 1
    assert _found(diags) == [("WV863", 12, 34), ("WV863", 13, 32)]
    assert '"shipped"' in diags[0]["message"] and "restricted to an enum" in diags[1]["message"]


def test_a_new_version_makes_breaking_changes_fine(repo: Path) -> None:
    _edit(repo, "version: 1", "version: 2")
    _edit(repo, "    note: {type: string}\n", "")
    _edit(repo, "total: {type: integer}", "total: {type: string}")
    assert _validate("--events-against-ref", "HEAD") == (0, [])


def test_unknown_ref_is_a_warning_not_a_crash(repo: Path) -> None:
    code, diags = _validate("--events-against-ref", "no-such-ref")
    assert code == 0 and _found(diags) == [("WV864", 1, 1)]
    assert "unknown revision" in diags[0]["message"]


def test_default_baseline_is_the_last_applied_revision(repo: Path) -> None:
    from tests.runtime.support import apply_specs

    assert _validate() == (0, [])  # no state file: nothing to compare with, and no file is created
    assert not (repo / ".weave").exists()
    state_url = f"sqlite:///{repo}/.weave/state.db"
    (repo / ".weave").mkdir()
    asyncio.run(apply_specs(repo / "specs", state_url))
    _edit(repo, "total: {type: integer}", "total: {type: boolean}")
    code, diags = _validate()
    assert code == 1 and _found(diags) == [("WV862", 11, 19)]
    assert "applied revision 1" in diags[0]["message"]


def test_unreadable_state_file_is_a_warning(repo: Path) -> None:
    (repo / ".weave").mkdir()
    (repo / ".weave" / "state.db").write_bytes(b"this is not a database" * 100)
    code, diags = _validate()
    assert code == 0 and _found(diags) == [("WV864", 1, 1)]
    assert "cannot read the last applied revision" in diags[0]["message"]
