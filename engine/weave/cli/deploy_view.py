"""The human view of a deploy plan: + create, ~ update (field by field), - delete, architecture changes."""

from __future__ import annotations

import json
from typing import Any

from rich.markup import escape

from weave.cli.common import stdout

_STYLE = {"+": "green", "~": "yellow", "-": "red"}


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def print_changes(deploy: Any) -> None:
    if deploy.scope.get("only") or deploy.scope.get("owner"):
        stdout.print(f"[dim]scope: {deploy.scope}[/dim]")
    for change in deploy.changes:
        style = _STYLE[change.action]
        patterns = " + ".join(change.patterns_after or change.patterns_before)
        stdout.print(f"[{style}]{change.action} {change.integration}[/{style}] [dim]({patterns}; owner "
                     f"{change.owner or '-'})[/dim]")
        if change.architecture_change:
            stdout.print(f"    [bold magenta]architecture change:[/bold magenta] {change.architecture_change}")
        if change.action == "~":
            for f in change.fields:
                stdout.print(f"    ~ {escape(f.path)}: {escape(_short(f.old))} → {escape(_short(f.new))}")
    for line in deploy.other_changes:
        stdout.print(f"[{_STYLE.get(line[0], '')}]{line}[/]")
    if deploy.contract_changes:
        stdout.print("\n[bold]Contract changes since the applied revision:[/bold]")
        for d in deploy.contract_changes:
            style = "red" if d.severity.value == "error" else "dim"
            stdout.print(f"  [{style}]{d.code}[/{style}] {escape(d.file)}:{d.line} {escape(d.message)}")
    n = {s: sum(1 for c in deploy.changes if c.action == s) for s in "+~-"}
    stdout.print(f"\nPlan: {n['+']} to create, {n['~']} to change, {n['-']} to delete "
                 f"(base revision {deploy.base_revision}).")
