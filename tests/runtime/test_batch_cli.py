"""`weave run` / `weave runs` end to end: a deployed batch integration of the example ecosystem, run now
against the simulated CRM into a SQLite warehouse, incremental on the second run."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from weave.sandbox.cluster import SandboxCluster


def weave(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "weave", *args], capture_output=True, text=True, env=env,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_run_then_incremental_run_and_history(cluster: SandboxCluster, sandbox_env: dict[str, str],
                                              repo_root: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.db"
    env = {**os.environ, **sandbox_env, "WAREHOUSE_DSN": f"sqlite:///{warehouse}"}
    state = f"sqlite:///{tmp_path}/state.db"
    applied = weave("apply", str(repo_root / "specs"), "--only", "warehouse-nightly-load", "--auto-approve",
                    "--state", state, env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    first = weave("run", "warehouse-nightly-load", "--force", "--state", state, "--format", "json", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    result = json.loads(first.stdout)
    assert result["status"] == "succeeded" and result["counts"]["loaded"] == 150
    with sqlite3.connect(warehouse) as db:
        assert db.execute("SELECT count(*), count(DISTINCT id) FROM crm_orders").fetchone() == (150, 150)
    second = json.loads(weave("run", "warehouse-nightly-load", "--force", "--state", state, "--format", "json",
                              env=env).stdout)
    assert second["counts"]["loaded"] == 0  # incremental: nothing changed since the committed cursor
    history = json.loads(weave("runs", "warehouse-nightly-load", "--state", state, "--format", "json",
                               env=env).stdout)["runs"]
    assert [r["status"] for r in history] == ["ok", "ok"]
    assert history[1]["counts"]["loaded"] == 150
    unknown = weave("run", "no-such-integration", "--state", state, env=env)
    assert unknown.returncode == 1 and "not deployed" in unknown.stderr
