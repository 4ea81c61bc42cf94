"""Helpers for the contract tests that run `weave` as a real CLI subprocess on fixture projects."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def weave(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "weave", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=env, check=False)


def copy_fixture(name: str, into: Path) -> Path:
    """A fresh copy of `fixtures/<name>` (specs/ and contracts/) to change and validate."""
    target = into / name
    shutil.copytree(FIXTURES / name, target)
    return target


def position(path: Path, needle: str, after: str = "", occurrence: int = 0) -> tuple[int, int]:
    """(line, column), 1-based, of `needle` in `path`, searching from the first line containing `after`."""
    lines = path.read_text().splitlines()
    start = next(i for i, text in enumerate(lines) if after in text) if after else 0
    seen = 0
    for number in range(start, len(lines)):
        column = lines[number].find(needle)
        while column >= 0:
            if seen == occurrence:
                return number + 1, column + 1
            seen += 1
            column = lines[number].find(needle, column + 1)
    raise AssertionError(f"{needle!r} not in {path} after {after!r}")
