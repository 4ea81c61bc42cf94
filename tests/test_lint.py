"""Code health is part of the suite: ruff, mypy on engine/, the import-layer contracts, file size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 650  # "no file outgrows ~600 lines"


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff() -> None:
    proc = run(sys.executable, "-m", "ruff", "check", "engine", "tests", "bench")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_on_engine() -> None:
    proc = run(sys.executable, "-m", "mypy", "engine/weave")
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr


def test_import_layers() -> None:
    proc = run("lint-imports")
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr


def test_no_file_outgrows_the_limit() -> None:
    big = [f"{p.relative_to(ROOT)}: {n}" for p in (ROOT / "engine").rglob("*.py")
           if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert big == []
