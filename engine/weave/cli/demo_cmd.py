"""`weave demo`: the whole example ecosystem, end to end, on the embedded default."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from weave.cli.common import emit_json, format_option, stderr, stdout


@click.command("demo")
@click.option("--specs", "specs_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Spec directory (default: ./specs, else the example ecosystem shipped here).")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for every flow to deliver.")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the demo's state and warehouse in this directory.")
@format_option()
def demo(specs_dir: Path | None, timeout: float, keep: Path | None, fmt: str) -> None:
    """Run the example ecosystem end to end: simulated CRM, SOAP ERP, operations, e-mail, marketing,
    documents and payments; specs applied to a fresh SQLite state; `weave serve`; traffic through every
    integration (all five patterns); a summary of what each one delivered.

    Exit 0 only if every integration delivered. Leaves no process behind.

    \b
    Examples:
      weave demo
      weave demo --format json | jq '.integrations[] | {name, pattern, delivered}'
    """
    from weave.api.demo import run_demo

    specs = specs_dir or _default_specs()
    quiet = fmt == "json"

    def progress(message: str) -> None:
        if not quiet:
            stderr.print(f"[dim]· {escape(message)}[/dim]")

    result = asyncio.run(run_demo(specs, progress=progress, timeout=timeout, keep=keep))
    if fmt == "json":
        emit_json(result.to_dict())
    else:
        table = Table(title=f"weave demo — revision {result.revision}, {result.seconds:.1f}s")
        for column in ("integration", "pattern", "owner", "delivered", "failed", "DLQ", "result"):
            table.add_column(column)
        for row in result.rows:
            table.add_row(row.name, row.pattern, row.owner or "-", str(row.delivered), str(row.failed),
                          str(row.dead_lettered), "[green]ok[/green]" if row.ok else f"[red]no[/red] {row.note}")
        stdout.print(table)
        if result.error:
            stdout.print(f"[red]error:[/red] {escape(str(result.error))}")
        stdout.print("[green]every integration delivered[/green]" if result.ok
                     else "[red]some integrations did not deliver[/red]")
    sys.exit(0 if result.ok else 1)


def _default_specs() -> Path:
    local = Path("specs")
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[3] / "specs"
