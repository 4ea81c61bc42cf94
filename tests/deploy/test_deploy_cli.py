"""plan/apply/revisions/rollback through the real CLI: diffs, saved plans, stale-plan refusal, locks, scope."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import weave as run_weave
from tests.support.specs import CRM, documents, integration, route, system

SYSTEMS = documents(CRM, system("operations", "ops", "OPS_URL"), system("email", "ops", "EMAIL_URL"))


def weave(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_weave(*args, cwd=cwd, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "systems.yaml").write_text(SYSTEMS)
    write(specs, "order-sync", "sales", "operations", "/orders")
    write(specs, "welcome-mail", "marketing", "email", "/send")
    return tmp_path


def write(specs: Path, name: str, owner: str, target: str, path: str) -> None:
    body = f"trigger: {{webhook: {{path: /hooks/{name}}}}}\ndeliver:\n" + route(target, path)
    (specs / f"{name}.yaml").write_text(integration(name, owner, target=target, body=body))


def test_apply_then_no_changes_then_update(project: Path) -> None:
    first = weave("apply", "specs", "--auto-approve", "--format", "json", cwd=project)
    assert first.returncode == 0, first.stderr + first.stdout
    assert json.loads(first.stdout)["revision"] == 1
    again = weave("plan", "specs", "--detailed-exitcode", cwd=project)
    assert again.returncode == 0, again.stdout + again.stderr
    spec = project / "specs" / "order-sync.yaml"
    spec.write_text(spec.read_text().replace("transactions_per_day: 500", "transactions_per_day: 900"))
    changed = weave("plan", "specs", "--detailed-exitcode", "--format", "json", cwd=project)
    assert changed.returncode == 2, changed.stdout + changed.stderr
    diff = json.loads(changed.stdout)["deploy"]
    [change] = diff["changes"]
    assert change["symbol"] == "~" and change["integration"] == "order-sync"
    assert {"path": "volume.transactions_per_day", "old": 500, "new": 900} in change["fields"]


def test_saved_plan_applies_as_saved_and_stale_plan_is_refused(project: Path) -> None:
    plan_file = project / "plan.json"
    assert weave("plan", "specs", "--out", str(plan_file), cwd=project).returncode in (0, 2)
    stale_copy = project / "stale.json"
    shutil.copy(plan_file, stale_copy)
    ok = weave("apply", str(plan_file), "--auto-approve", cwd=project)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    refused = weave("apply", str(stale_copy), "--auto-approve", cwd=project)
    assert refused.returncode == 1
    assert "stale" in refused.stderr


def test_plan_shows_architecture_change(project: Path) -> None:
    assert weave("apply", "specs", "--auto-approve", cwd=project).returncode == 0
    spec = project / "specs" / "order-sync.yaml"
    spec.write_text(spec.read_text().replace("timing: near-real-time", "timing: batch")
                    .replace("records_per_transaction: 1,", "records_per_transaction: 80000,"))
    out = weave("plan", "specs", "--format", "json", cwd=project)
    change = json.loads(out.stdout)["deploy"]["changes"][0]
    assert change["architecture_change"].startswith("order-sync: ")
    assert "→" in change["architecture_change"]
    text = weave("plan", "specs", cwd=project)
    assert "architecture change" in text.stdout


def test_scoped_apply_never_deletes_outside_scope(project: Path) -> None:
    assert weave("apply", "specs", "--auto-approve", cwd=project).returncode == 0
    (project / "specs" / "welcome-mail.yaml").unlink()
    write(project / "specs", "invoice-sync", "sales", "operations", "/invoices")
    scoped = weave("apply", "specs", "--only", "invoice-sync", "--auto-approve", "--format", "json", cwd=project)
    assert scoped.returncode == 0, scoped.stdout + scoped.stderr
    changes = json.loads(scoped.stdout)["changes"]
    assert [(c["symbol"], c["integration"]) for c in changes] == [("+", "invoice-sync")]
    status = weave("status", "--format", "json", cwd=project)
    names = {r["name"] for r in json.loads(status.stdout)["integrations"]}
    assert names == {"order-sync", "welcome-mail", "invoice-sync"}  # welcome-mail was outside the scope
    owner_scoped = weave("apply", "specs", "--owner", "marketing", "--auto-approve", "--format", "json", cwd=project)
    assert [(c["symbol"], c["integration"]) for c in json.loads(owner_scoped.stdout)["changes"]] == \
        [("-", "welcome-mail")]


def test_revisions_and_rollback(project: Path) -> None:
    assert weave("apply", "specs", "--auto-approve", "-m", "first", cwd=project).returncode == 0
    (project / "specs" / "welcome-mail.yaml").unlink()
    assert weave("apply", "specs", "--auto-approve", cwd=project).returncode == 0
    revs = json.loads(weave("revisions", "--format", "json", cwd=project).stdout)["revisions"]
    assert [r["id"] for r in revs] == [2, 1] and revs[1]["message"] == "first"
    back = weave("rollback", "1", "--format", "json", cwd=project)
    assert json.loads(back.stdout) == {"revision": 3, "restored": 1}
    names = {r["name"] for r in json.loads(weave("status", "--format", "json", cwd=project).stdout)["integrations"]}
    assert "welcome-mail" in names


def test_concurrent_apply_is_locked(project: Path) -> None:
    import asyncio

    from weave.state import open_state

    async def hold() -> None:
        state = await open_state(f"sqlite:///{project}/.weave/state.db")
        await state.acquire_lock("apply", "someone-else", ttl=600)
        await state.close()

    (project / ".weave").mkdir()
    asyncio.run(hold())
    blocked = weave("apply", "specs", "--auto-approve", cwd=project)
    assert blocked.returncode == 1 and "lock" in blocked.stderr
    assert weave("force-unlock", cwd=project).returncode == 0
    assert weave("apply", "specs", "--auto-approve", cwd=project).returncode == 0


def test_plan_and_state_hold_no_secret_values(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_secret = "tok-9f8e7d6c5b4a"
    proc = subprocess.run([sys.executable, "-m", "weave", "plan", "specs", "--out", "p.json"], cwd=project,
                          capture_output=True, text=True, env={**__import__("os").environ, "CRM_TOKEN": env_secret})
    assert proc.returncode in (0, 2)
    assert env_secret not in (project / "p.json").read_text()
    assert "${env:CRM_TOKEN}" in (project / "p.json").read_text()
    assert weave("apply", "p.json", "--auto-approve", cwd=project).returncode == 0
    assert env_secret.encode() not in (project / ".weave" / "state.db").read_bytes()


def test_apply_refuses_integrations_without_runtime_blocks(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "s.yaml").write_text(documents(SYSTEMS, integration("bare", "ops", target="operations", per_day=10)))
    refused = weave("apply", "specs", "--auto-approve", cwd=tmp_path)
    assert refused.returncode == 1 and "WV901" in refused.stdout + refused.stderr
    assert weave("apply", "specs", "--auto-approve", "--allow-incomplete", cwd=tmp_path).returncode == 0


def test_apply_refuses_what_validate_refuses(project: Path) -> None:
    spec = project / "specs" / "order-sync.yaml"
    spec.write_text(spec.read_text() + "steps:\n  - use: not-there\n")
    refused = weave("apply", "specs", "--auto-approve", cwd=project)
    assert refused.returncode == 1 and "WV307" in refused.stdout + refused.stderr


def test_scope_naming_an_unknown_integration_is_refused(project: Path) -> None:
    refused = weave("apply", "specs", "--only", "no-such-integration", "--auto-approve", cwd=project)
    assert refused.returncode == 1 and "WV902" in refused.stdout + refused.stderr
    assert "no-such-integration" in refused.stdout + refused.stderr
