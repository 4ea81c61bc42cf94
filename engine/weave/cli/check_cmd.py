"""`weave check --live [INTEGRATION...]`: connectivity, auth, latency and contract version per system."""

from __future__ import annotations

import asyncio
import sys

import click
from rich.markup import escape
from rich.table import Table

from weave.cli.common import emit_json, format_option, stderr, stdout

SCHEMA_VERSION = 1


@click.command("check")
@click.argument("integrations", nargs=-1)
@click.option("--live", is_flag=True, required=True,
              help="Required: this command talks to the real systems (validate never does).")
@click.option("--specs", "specs", multiple=True, type=click.Path(exists=True, path_type=str),
              help="Spec paths (default: specs/ if present, else .).")
@format_option()
def check(integrations: tuple[str, ...], live: bool, specs: tuple[str, ...], fmt: str) -> None:
    """Probe every system the INTEGRATIONS (default: all) involve: resolve secrets from the environment,
    authenticate, make one safe read-only call, and report reachability, auth, latency and contract version,
    per system and per integration. Needs the network; `weave validate` is the offline check.

    \b
    Exit codes: 0 all reachable and authenticated, 1 a system failed, 2 usage error.

    \b
    Examples:
      weave check --live
      weave check --live order-to-erp customer-master-sync --format json
    """
    import os

    from weave.api.check import check_live

    paths = list(specs) or (["specs"] if os.path.isdir("specs") else ["."])
    report = asyncio.run(check_live(paths, integrations))
    if report.error:
        stderr.print(f"[red]{escape(report.error)}[/red]")
        sys.exit(2)
    if fmt == "json":
        emit_json({"schema_version": SCHEMA_VERSION, "kind": "weave-check-live", "ok": report.exit_code == 0,
                   "systems": [s.to_dict() for s in report.systems.values()],
                   "integrations": [i.to_dict() for i in report.integrations]})
        sys.exit(report.exit_code)
    table = Table(title="live check", title_justify="left", header_style="bold")
    for column in ("system", "reachable", "auth", "latency", "probe", "contract", "message"):
        table.add_column(column, overflow="fold")
    for s in report.systems.values():
        reach = "-" if s.reachable is None else ("[green]yes[/]" if s.reachable else "[red]no[/]")
        auth = {"ok": "[green]ok[/]", "failed": "[red]failed[/]"}.get(s.auth, s.auth)
        latency = f"{s.latency_ms:.0f} ms" if s.latency_ms is not None else "-"
        version = s.contract_version or s.declared_version or "-"
        table.add_row(s.system, reach, auth, latency, escape(s.probe or "-"), escape(version),
                      escape(s.message[:120]))
    stdout.print(table)
    for i in report.integrations:
        mark = "[green]ok[/]" if i.ok else "[red]FAIL[/]"
        stdout.print(f"{mark} {escape(i.integration)} ({escape(i.owner or 'no owner')}): {escape(', '.join(i.systems))}"
                     + (f" — {escape('; '.join(i.problems))}" if i.problems else ""))
    sys.exit(report.exit_code)
