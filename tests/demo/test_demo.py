"""`weave demo` as a real subprocess: every example integration delivers, all five patterns, nothing left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

PATTERNS = {"point-to-point", "hub-and-spoke", "event-driven", "api-gateway", "etl-batch"}


def _weave_processes() -> set[int]:
    """Processes running weave code (servers, the sandbox), by pid."""
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"weave" in cmdline and b"pytest" not in cmdline:
                out.add(int(entry.name))
    return out


def test_weave_demo_json(repo_root: Path, tmp_path: Path) -> None:
    before = _weave_processes()
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "weave", "demo", "--format", "json"], cwd=repo_root,
                          capture_output=True, text=True, timeout=180)
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
    assert _weave_processes() - before == set()  # no process of the demo is left behind


def test_weave_demo_text_table(repo_root: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "weave", "demo"], cwd=repo_root, capture_output=True, text=True,
                          timeout=180, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "every integration delivered" in proc.stdout
    assert "warehouse-nightly-load" in proc.stdout
