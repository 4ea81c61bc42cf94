"""`weave usage INTEGRATION`: what an integration uses of each system (operations, fields written and read)."""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from weave.cli.common import emit_json, format_option, resolve_paths, stderr, stdout

SCHEMA_VERSION = 1


@click.command("usage")
@click.argument("integration")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=str))
@format_option()
def usage(integration: str, paths: tuple[str, ...], fmt: str) -> None:
    """Show which operations INTEGRATION calls on each system, the request fields it writes and the
    response fields it reads, each with the step and spec position responsible. Offline.

    \b
    Exit codes: 0 done, 1 unknown integration.

    \b
    Examples:
      weave usage customer-master-sync
      weave usage order-to-erp specs/ --format json | jq '.calls[].writes[].field'
    """
    from weave.api.contracts import usage as api_usage

    result = api_usage(resolve_paths(paths), integration)
    if result.usage is None:
        stderr.print(f"[red]{escape(result.error or 'unknown integration')}[/red]")
        sys.exit(1)
    found = result.usage
    if fmt == "json":
        emit_json({"schema_version": SCHEMA_VERSION, "kind": "weave-usage", **found.to_dict()})
        return
    stdout.print(f"[bold]{escape(found.integration)}[/bold] (owner {escape(found.owner or 'none')}) "
                 f"{escape(found.file)}:{found.line}")
    if not found.calls:
        stdout.print("  calls no system operation (no extract, deliver or gateway block)")
    for call in found.calls:
        stdout.print(f"  [cyan]{call.role}[/cyan] {escape(call.system)} [bold]{escape(call.key)}[/bold] "
                     f"({call.where}, {escape(call.file)}:{call.line})")
        if call.records is not None:
            stdout.print(f"    records at: {escape('.'.join(call.records))}")
        if call.query:
            stdout.print(f"    query parameters: {escape(', '.join(q.name for q in call.query))}")
        if call.headers:  # names only: header values may carry anything
            stdout.print(f"    headers: {escape(', '.join(h.name for h in call.headers))}")
        if call.cookies or call.opaque_cookies:  # names only, as for headers
            names = [c.name for c in call.cookies] + (["(more, known at run time)"] if call.opaque_cookies else [])
            stdout.print(f"    cookies: {escape(', '.join(names))}")
        for use in call.writes:
            kind = f" [{use.value_type}]" if use.value_type else ""
            stdout.print(f"    writes {escape(use.name)}{escape(kind)}  ← {escape(use.step)} "
                         f"[dim]{escape(use.file)}:{use.line}:{use.column}[/dim]")
        if call.role == "write" and not call.complete:
            stdout.print("    [yellow]+ unmapped input fields pass through (written fields not fully known)[/yellow]")
        for use in call.reads:
            via = f" via {use.function}()" if use.function else ""
            stdout.print(f"    reads  {escape(use.name)}{via}  ← {escape(use.step)} "
                         f"[dim]{escape(use.file)}:{use.line}:{use.column}[/dim]")
    if found.input_reads and not any(c.role == "read" for c in found.calls):
        stdout.print(f"  reads from its trigger's records: {escape(', '.join(dict.fromkeys(r.name for r in found.input_reads)))}")
    if found.steps:
        stdout.print("  steps:")
        for step in found.steps:
            stdout.print(f"    {escape(step.label)}: reads {escape(', '.join(step.reads) or '-')}; "
                         f"writes {escape(', '.join(step.writes) or '-')}")
