"""Versioned schema migrations, one ordered list per backend. Append only: never edit a shipped one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def for_dialect(name: str) -> tuple[Migration, ...]:
    if name == "sqlite":
        from weave.state.migrations.sqlite import MIGRATIONS
    else:
        from weave.state.migrations.postgres import MIGRATIONS
    return MIGRATIONS
