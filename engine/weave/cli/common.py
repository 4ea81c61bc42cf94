"""Options and output helpers shared by every command (defined once, reused)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from weave.diagnostics import Diagnostic, Severity

OUTPUT_FORMATS = ("text", "json")

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def format_option(choices: tuple[str, ...] = OUTPUT_FORMATS, default: str = "text") -> Any:
    return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help="Output format. json is stable and versioned.")


def paths_argument(default: str = "specs") -> Any:
    return click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=str))


def resolve_paths(paths: tuple[str, ...], default: str = "specs") -> list[str]:
    if paths:
        return list(paths)
    return [default] if __import__("os").path.isdir(default) else ["."]


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    for d in diagnostics:
        style = _STYLE.get(d.severity, "")
        # messages and hints quote user text (patterns like ^[a-z]{2}$, paths): never read it as markup
        stdout.print(f"[bold]{escape(d.file)}:{d.line}:{d.column}[/bold] [{style}]{d.severity.value} {d.code}[/{style}] "
                     f"{escape(d.message)}", markup=True, highlight=False)
        if d.hint:
            stdout.print(f"    [dim]hint:[/dim] {escape(d.hint)}")
