"""`weave explain INTEGRATION`: the full reasoning of the planner for one integration, as a table."""

from __future__ import annotations

import sys

import click
from rich.markup import escape
from rich.table import Table

from weave.api import UnknownName
from weave.api import explain as api_explain
from weave.cli.common import emit_json, format_option, print_diagnostics, resolve_paths, stdout
from weave.cli.plan_cmd import styled, table_console
from weave.plan.views import integration_to_dict


@click.command("explain")
@click.argument("integration")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=str))
@format_option()
@click.option("--cite", is_flag=True, help="Also print the article sentence each rule encodes.")
def explain(integration: str, paths: tuple[str, ...], fmt: str, cite: bool) -> None:
    """Explain INTEGRATION's pattern: each question, the answer, the rule that fired and its vote.

    \b
    Exit codes: 0 explained, 2 unknown integration.

    \b
    Examples:
      weave explain order-to-fulfillment
      weave explain erp-customer-sync specs/ --cite
    """
    try:
        result = api_explain(resolve_paths(paths), integration)
    except UnknownName as exc:
        stdout.print(f"[red]{escape(str(exc))}[/red]")
        sys.exit(2)
    item = result.integration
    if fmt == "json":
        emit_json(integration_to_dict(item, result.warnings))
        return
    stdout.print(f"[bold]{item.name}[/bold]: {item.source} → {', '.join(item.targets) or '?'}  "
                 f"owner {item.owner or '[red]none[/]'}")
    for decision, rows in zip(item.decisions, result.rows, strict=True):
        title = f"{decision.side} side" if len(item.decisions) > 1 else "decision"
        table = Table(title=f"{title}: {styled(decision.pattern)}", title_justify="left", header_style="bold",
                      show_lines=True)
        for column in ("question", "answer", "rule", "condition", "vote"):
            table.add_column(column, overflow="fold")
        if cite:
            table.add_column("the article says", overflow="fold", style="dim")
        for row in rows:
            cells = [row.question, row.answer, row.rule or "—", row.condition, row.votes]
            table.add_row(*cells, *([row.cites] if cite else []))
        table_console().print(table)
        scores = "  ".join(f"{styled(p)} {s}" for p, s in sorted(decision.scores, key=lambda x: -x[1]))
        stdout.print(f"scores: {scores}")
        stdout.print(f"chosen: {styled(decision.pattern)}")
        if decision.runner_up:
            stdout.print(f"runner-up: {styled(decision.runner_up.pattern)} — {decision.runner_up.why}")
    if item.override is not None:
        verdict = "agrees" if item.override.agrees else "the framework disagrees"
        stdout.print(f"[bold]override[/bold]: {styled(item.override.pattern)} ({verdict}) — "
                     f"{escape(item.override.reason or 'no pattern_reason')}")
    print_diagnostics(result.warnings)
