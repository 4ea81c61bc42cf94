"""`weave` run as a subprocess, the way a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def weave(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60,
          stdin: Any = None) -> subprocess.CompletedProcess[str]:
    """`python -m weave ARGS`; `env` is added to this process's environment. Output is captured as text."""
    return subprocess.run([sys.executable, "-m", "weave", *args], capture_output=True, text=True, stdin=stdin,
                          timeout=timeout, env={**os.environ, **(env or {})}, cwd=cwd)
