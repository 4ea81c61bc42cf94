"""`weave plan`: which pattern each integration gets, and why. Pure planning (no state store needed).

The command is thin: `weave.api.plan()` plans; `render_text` / `render_json` are the two views. The deploy
layer adds options (--out, --detailed-exitcode) and a `diff` section through `PlanResult.sections`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from weave.api import PlanResult
from weave.api import plan as api_plan
from weave.cli._state import run, settings_from, state_options, with_state
from weave.cli.common import (
    emit_json,
    format_option,
    paths_argument,
    print_diagnostics,
    resolve_paths,
    stderr,
    stdout,
)
from weave.cli.deploy_view import print_changes
from weave.diagnostics import Severity
from weave.plan import IntegrationPlan, warnings_for

PATTERN_STYLE = {
    "point-to-point": "bright_red",
    "hub-and-spoke": "blue",
    "event-driven": "green",
    "api-gateway": "magenta",
    "etl-batch": "dark_orange",
}


def table_console() -> Console:
    """The terminal's console, or a 160-column one when output is piped (tables stay legible in logs)."""
    return stdout if stdout.is_terminal else Console(width=160, highlight=False, soft_wrap=True)


def styled(pattern: str) -> str:
    return f"[{PATTERN_STYLE.get(pattern, 'white')}]{pattern}[/]"


def _why(item: IntegrationPlan) -> str:
    parts = []
    for d in item.decisions:
        ids = d.runner_up.deciding_rules if d.runner_up else ()
        prefix = f"{d.side}: " if len(item.decisions) > 1 else ""
        parts.append(prefix + (", ".join(ids[:4]) or "tie-break"))
    if item.override is not None:
        parts.insert(0, f"override ({escape(item.override.reason or 'no reason')})")
    return "\n".join(parts)


def report_errors(result: PlanResult) -> None:
    """Errors in the specs go to stderr, so that stdout stays the requested document."""
    errors = [d for d in result.load.diagnostics if d.severity == Severity.ERROR]
    for d in errors:
        stderr.print(f"{d.file}:{d.line}:{d.column} error {d.code} {d.message}", markup=False, highlight=False)


def render_text(result: PlanResult) -> None:
    table = Table(title="weave plan", title_justify="left", show_lines=False, header_style="bold")
    for column in ("integration", "pattern(s)", "decided by", "runner-up", "owner", "notes"):
        table.add_column(column, overflow="fold")
    for item in result.plan.integrations:
        warnings = warnings_for(item.name, result.audit)
        runner = "\n".join(f"{d.runner_up.pattern} ({d.runner_up.score} vs {d.score(d.pattern)})"
                           for d in item.decisions if d.runner_up)
        notes = []
        if item.override is not None and not item.override.agrees:
            notes.append(f"framework: {'/'.join(item.framework_patterns)}")
        notes += [w.code for w in warnings if w.severity != Severity.INFO]
        table.add_row(item.name, " + ".join(styled(p) for p in item.patterns), _why(item), runner,
                      item.owner or "[red]none[/]", " ".join(notes))
    table_console().print(table)
    counts = ", ".join(f"{styled(p)} {n}" for p, n in result.plan.by_pattern().items() if n)
    stdout.print(f"{len(result.plan.integrations)} integration(s): {counts or 'none'}")
    print_diagnostics([d for d in result.diagnostics if d.severity != Severity.INFO])
    stdout.print("[dim]why: weave explain <integration>[/dim]")


def render_json(result: PlanResult) -> None:
    emit_json(result.to_dict())


@click.command("plan")
@paths_argument()
@format_option()
@click.option("--strict-owners", is_flag=True, default=None, help="Undeclared owners are errors, not warnings.")
@state_options
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Save the deploy plan here; `weave apply FILE` applies exactly this plan.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when nothing would change, 2 when something would, 1 on errors.")
@click.option("--only", multiple=True, help="Scope the deploy diff to this integration (repeatable).")
@click.option("--owner", default=None, help="Scope the deploy diff to this owner's integrations.")
def plan(paths: tuple[str, ...], fmt: str, strict_owners: bool | None, state_url: str | None,
         bus_url: str | None, config: str | None, out: str | None, detailed_exitcode: bool,
         only: tuple[str, ...], owner: str | None) -> None:
    """Choose each integration's pattern with the article's decision framework, say why, and show what
    `weave apply` would change against the deployed revision.

    Pure planning works offline with no state store at all; the deploy diff is added when a state store
    exists (default .weave/state.db, or --state) or when --out/--detailed-exitcode ask for it.
    A bidirectional integration gets one pattern per direction.

    \b
    Exit codes: 0 planned (no changes with --detailed-exitcode), 1 errors, 2 changes (--detailed-exitcode).

    \b
    Examples:
      weave plan specs/
      weave plan specs/ --format json | jq '.integrations[] | {name, patterns}'
      weave plan specs/ --out plan.json && weave apply plan.json
      weave explain order-to-fulfillment specs/      # the full reasoning for one
    """
    spec_paths = resolve_paths(paths)
    result = api_plan(spec_paths, strict_owners=strict_owners)
    deploy = None
    if result.ok and (out or detailed_exitcode or state_url or _default_state_exists(config)):
        deploy = _deploy_diff(spec_paths, state_url, bus_url, config, only, owner)
        result.sections["deploy"] = {k: v for k, v in deploy.to_json().items() if k not in ("specs", "plan")}
    if fmt == "json":
        render_json(result)
    else:
        render_text(result)
        if deploy is not None:
            stdout.print()
            print_changes(deploy)
    if out and deploy is not None:
        Path(out).write_text(json.dumps(deploy.to_json(), indent=2, default=str) + "\n")
        if fmt == "text":
            stdout.print(f"Saved the plan to {out}. Apply it exactly with: weave apply {out}")
    if not result.ok or (deploy is not None and not deploy.ok):
        if deploy is not None and fmt == "text":
            print_diagnostics([d for d in deploy.diagnostics if d.severity == Severity.ERROR])
        sys.exit(1)
    if detailed_exitcode:
        sys.exit(2 if deploy is not None and deploy.has_changes else 0)
    sys.exit(0)


def _default_state_exists(config: str | None) -> bool:
    from weave.api.config import resolve_settings, sqlite_path

    try:
        settings = resolve_settings(config=Path(config) if config else None)
    except ValueError:
        return False
    path = sqlite_path(settings.state_url)
    return path is None or Path(path).exists()


def _deploy_diff(paths: list[str], state_url: str | None, bus_url: str | None, config: str | None,
                 only: tuple[str, ...], owner: str | None) -> Any:
    from weave.api.deploy import plan_deploy

    settings = settings_from(state_url, bus_url, config)

    async def current(state: Any) -> Any:
        return await state.current_revision()

    revision = run(with_state(settings.state_url, current))
    return plan_deploy(paths, revision, only=only, owner=owner)
