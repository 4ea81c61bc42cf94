"""`weave impact SYSTEM`: every integration that breaks when SYSTEM changes its API, and through what."""

from __future__ import annotations

import sys

import click
from rich.markup import escape
from rich.table import Table

from weave.api import UnknownName
from weave.api import impact as api_impact
from weave.cli.common import emit_json, format_option, resolve_paths, stdout
from weave.cli.plan_cmd import styled, table_console
from weave.plan.views import SCHEMA_VERSION


@click.command("impact")
@click.argument("system")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=str))
@format_option()
def impact(system: str, paths: tuple[str, ...], fmt: str) -> None:
    """List the integrations that break when SYSTEM changes its API: directly, through the hub, or
    through an event it feeds (transitively), with their owners and the dependency path.

    \b
    Exit codes: 0 done, 2 unknown system.

    \b
    Examples:
      weave impact erp
      weave impact crm specs/ --format json | jq '.integrations[].owner'
    """
    try:
        found = api_impact(resolve_paths(paths), system).impact
    except UnknownName as exc:
        stdout.print(f"[red]{escape(str(exc))}[/red]")
        sys.exit(2)
    if fmt == "json":
        emit_json({
            "schema_version": SCHEMA_VERSION, "kind": "weave-impact", "system": found.system,
            "integrations": [{"name": i.integration, "owner": i.owner, "patterns": list(i.patterns),
                              "via": i.via, "hops": i.hops, "hub": i.hub, "downstream": list(i.downstream),
                              "path": [{"kind": k, "name": n} for k, n in i.path], "path_text": i.path_text()}
                             for i in found.integrations],
            "events": list(found.events), "owners": list(found.owners),
        })
        return
    table = Table(title=f"when '{system}' changes its API: {len(found.integrations)} integration(s) break",
                  title_justify="left", header_style="bold")
    for column in ("integration", "pattern(s)", "via", "path", "owner"):
        table.add_column(column, overflow="fold")
    for i in found.integrations:
        table.add_row(i.integration, " + ".join(styled(p) for p in i.patterns), i.via, escape(i.path_text()),
                      i.owner or "[red]none[/]")
    table_console().print(table)
    if found.owners:
        stdout.print(f"owners to call: {', '.join(found.owners)}")
