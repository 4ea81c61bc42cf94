"""Read files as they were at a git revision (`git show REF:path`), locally: no fetch, no network."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from weave.contracts.refs import Reader


class GitRefError(Exception):
    pass


def _git(args: list[str], cwd: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=30, env=env, check=False)


def git_reader(ref: str, near: str | Path) -> Reader:
    """A reader of files (paths as the working tree names them) at revision `ref` of the repository that
    holds `near`. Raises GitRefError when there is no repository or no such revision."""
    where = Path(near).resolve()
    cwd = str(where if where.is_dir() else where.parent)
    if ref.startswith("-"):
        raise GitRefError(f"not a revision: {ref!r}")
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if top.returncode != 0:
        raise GitRefError(f"{cwd} is not inside a git repository")
    root = top.stdout.decode().strip()
    check = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    if check.returncode != 0:
        raise GitRefError(f"unknown revision {ref!r} (fetch it first: weave reads git offline)")

    def read(path: str) -> bytes:
        relative = os.path.relpath(os.path.abspath(path), root)
        if relative.startswith(".."):
            raise OSError(f"{path} is outside the repository")
        shown = _git(["show", f"{ref}:{Path(relative).as_posix()}"], root)
        if shown.returncode != 0:
            raise KeyError(path)
        return shown.stdout

    return read
