"""`weave owners`: each owner with contacts, integrations, systems and current health."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from weave.cli._state import run, state_options
from weave.cli.common import (
    emit_json,
    format_option,
    paths_argument,
    print_diagnostics,
    resolve_paths,
    stdout,
)

_STYLE = {"ok": "green", "degraded": "yellow", "failing": "bold red", "idle": "dim", "not deployed": "dim"}
_CONTACT_KEYS = ("email", "chat_webhook", "webhook", "pagerduty_routing_key", "oncall", "handle", "timezone")


def _state_url(state_url: str | None, bus_url: str | None, config: str | None) -> str | None:
    """The state store to read health from; None when the default SQLite file was never created."""
    from weave.api.config import resolve_settings, sqlite_path

    try:
        settings = resolve_settings(state=state_url, bus=bus_url, config=Path(config) if config else None)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    path = sqlite_path(settings.state_url)
    return None if path is not None and not Path(path).exists() else settings.state_url


@click.command("owners")
@paths_argument()
@state_options
@format_option()
def owners(paths: tuple[str, ...], state_url: str | None, bus_url: str | None, config: str | None,
           fmt: str) -> None:
    """Each owner: contacts (references stay references), escalation, integrations, systems and health.

    Health comes from the state store's deployed revision; without one every integration is "not deployed".
    Exit code 1 when an integration or system has no owner or an owner has no contact to alert.

    \b
    Examples:
      weave owners specs/
      weave owners --format json | jq '.owners[] | select(.health == "failing") | .contacts'
    """
    from weave.api.ownership import owners as api_owners

    report, diagnostics = run(api_owners(resolve_paths(paths), _state_url(state_url, bus_url, config)))
    unreachable = [o.name for o in report.owners if not any(o.contacts.get(k) for k in _CONTACT_KEYS[:4])]
    if fmt == "json":
        emit_json({**report.to_dict(), "unreachable": unreachable})
    else:
        errors = [d for d in diagnostics if d.severity.value == "error"]
        if errors:
            print_diagnostics(errors)
        title = f"weave owners — revision {report.revision}" if report.revision else "weave owners — not deployed"
        table = Table(title=title)
        for column in ("owner", "contacts", "escalation", "integrations", "systems", "health"):
            table.add_column(column, overflow="fold")
        for o in report.owners:
            contacts = "\n".join(f"{k}: {o.contacts[k]}" for k in _CONTACT_KEYS if o.contacts.get(k)) or (
                "[red]none (no `kind: owner` spec)[/red]" if not o.declared else "[red]none[/red]")
            esc = o.escalation
            escalation = (f"after {esc.get('after', '?')}: "
                          + ", ".join(str(v) for v in (esc.get("contacts") or {}).values())) if esc else "-"
            integrations = "\n".join(
                f"{i.name} [{_STYLE.get(i.health, '')}]{i.health}[/]"
                + (f" [red]alerts: {', '.join(i.open_alerts)}[/red]" if i.open_alerts else "")
                for i in o.integrations) or "-"
            style = _STYLE.get(o.health, "")
            table.add_row(o.name, contacts, escalation, integrations, ", ".join(o.systems) or "-",
                          f"[{style}]{o.health}[/]")
        stdout.print(table)
        for spec in report.unowned:
            stdout.print(f"[red]no owner:[/red] {spec}")
    sys.exit(1 if report.unowned or unreachable else 0)
