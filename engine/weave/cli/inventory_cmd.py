"""`weave inventory`: the integration inventory (pattern, systems, owner, auth types) as text, json or csv."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from weave.api import inventory as api_inventory
from weave.cli.common import emit_json, format_option, paths_argument, resolve_paths, stdout
from weave.cli.plan_cmd import report_errors, styled, table_console
from weave.plan.inventory import to_csv
from weave.plan.views import SCHEMA_VERSION


@click.command("inventory")
@paths_argument()
@format_option(("text", "json", "csv"))
def inventory(paths: tuple[str, ...], fmt: str) -> None:
    """List every integration with its pattern, systems, owner and the auth type of each system.

    \b
    Examples:
      weave inventory specs/
      weave inventory specs/ --format csv > inventory.csv
    """
    result = api_inventory(resolve_paths(paths))
    if fmt == "json":
        emit_json({"schema_version": SCHEMA_VERSION, "kind": "weave-inventory",
                   "integrations": [row.to_dict() for row in result.rows]})
    elif fmt == "csv":
        sys.stdout.write(to_csv(result.rows))
    else:
        table = Table(title="integration inventory", title_justify="left", header_style="bold")
        for column in ("integration", "pattern(s)", "source → targets", "hub / events", "owner", "auth"):
            table.add_column(column, overflow="fold")
        for row in result.rows:
            table.add_row(row.integration, " + ".join(styled(p) for p in row.patterns),
                          f"{row.source} → {', '.join(row.targets)}",
                          " ".join([*([f"hub {row.hub}"] if row.hub else []), *row.events]),
                          row.owner or "[red]none[/]", ", ".join(f"{s}: {a}" for s, a in row.auth))
        table_console().print(table)
        stdout.print(f"{len(result.rows)} integration(s)")
    report_errors(result.result)
    sys.exit(result.result.exit_code)
