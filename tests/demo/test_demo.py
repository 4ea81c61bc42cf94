"""`weave demo` as a real subprocess: every example integration delivers, all five patterns, nothing left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

PATTERNS = {"point-to-point", "hub-and-spoke", "event-driven", "api-gateway", "etl-batch"}


def _session_members(sid: int) -> list[int]:
    """Processes still in session `sid` (a demo started with start_new_session: its session id is its pid)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid:
                out.append(int(entry.name))
    return out


def test_weave_demo_json(repo_root: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "weave", "demo", "--format", "json"], cwd=repo_root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    stdout, stderr = child.communicate(timeout=180)
    proc = subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    rows = result["integrations"]
    names = {r["name"] for r in rows}
    spec_names = set()
    for path in (repo_root / "specs" / "integrations").glob("*.yaml"):
        spec_names |= {line.split(":", 1)[1].strip() for line in path.read_text().splitlines()
                       if line.startswith("name:")}
    assert names == spec_names
    assert all(r["delivered"] > 0 and r["failed"] == 0 and r["ok"] for r in rows), rows
    patterns = {p.strip() for r in rows for p in r["pattern"].split("+")}
    assert patterns == PATTERNS
    assert {"name", "pattern", "delivered", "failed"} <= set(rows[0])
    assert seconds < 120
    assert _session_members(child.pid) == []  # no process of the demo is left behind


def test_weave_demo_text_table(repo_root: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "weave", "demo"], cwd=repo_root, capture_output=True, text=True,
                          timeout=180, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "every integration delivered" in proc.stdout
    assert "warehouse-nightly-load" in proc.stdout
