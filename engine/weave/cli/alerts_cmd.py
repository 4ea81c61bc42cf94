"""`weave alerts [list] | ack ID | silence INTEGRATION --for 2h`: SLO alerts routed to owners."""

from __future__ import annotations

import datetime as dt
import getpass
import sys

import click
from rich.table import Table

from weave.cli._state import fail, run, settings_from, state_options
from weave.cli.common import emit_json, format_option, stdout


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if ts else ""


def _list(state_url: str | None, bus_url: str | None, config: str | None, status: str | None,
          integration: str | None, limit: int, fmt: str) -> None:
    from weave.api.ownership import alerts as api_alerts

    settings = settings_from(state_url, bus_url, config)
    report = run(api_alerts(settings.state_url, status=None if status == "all" else status,
                            integration=integration, limit=limit))
    if fmt == "json":
        emit_json(report.to_dict())
    else:
        table = Table(title=f"Alerts ({len(report.alerts)})")
        for column in ("id", "integration", "slo", "owner", "status", "message", "opened", "acked", "escalated",
                       "resolved"):
            table.add_column(column, overflow="fold")
        for a in report.alerts:
            style = "bold red" if a.status == "open" and not a.acked else ""
            table.add_row(str(a.id), a.integration, a.slo, a.owner or "-", f"[{style}]{a.status}[/]" if style
                          else a.status, a.message, _when(a.opened_at),
                          f"{_when(a.acked_at)} {a.acked_by or ''}".strip(), _when(a.escalated_at),
                          _when(a.resolved_at))
        stdout.print(table)
        for s in report.silences:
            stdout.print(f"silenced: {s.integration} until {_when(s.until)} UTC"
                         + (f" by {s.created_by}" if s.created_by else "") + (f" ({s.reason})" if s.reason else ""))
    sys.exit(1 if any(a.status == "open" and not a.acked for a in report.alerts) else 0)


@click.group("alerts", invoke_without_command=True)
@state_options
@click.option("--status", type=click.Choice(["open", "resolved", "all"]), default="all", show_default=True)
@click.option("--integration", default=None, help="Only this integration's alerts.")
@click.option("--limit", default=100, show_default=True)
@format_option()
@click.pass_context
def alerts(ctx: click.Context, state_url: str | None, bus_url: str | None, config: str | None, status: str,
           integration: str | None, limit: int, fmt: str) -> None:
    """SLO alerts (newest first) and active silences. Exit code 1 while an alert is open and unacknowledged.

    \b
    Examples:
      weave alerts --status open
      weave alerts ack 12                       # stops the escalation
      weave alerts resolve 12                   # close it by hand
      weave alerts silence order-sync --for 2h  # planned maintenance: no notifications
    """
    if ctx.invoked_subcommand is None:
        _list(state_url, bus_url, config, status, integration, limit, fmt)


@alerts.command("ack")
@click.argument("alert_id", type=int)
@click.option("--by", default=None, help="Who acknowledges (default: the current user).")
@state_options
@format_option()
def ack(alert_id: int, by: str | None, state_url: str | None, bus_url: str | None, config: str | None,
        fmt: str) -> None:
    """Acknowledge an open alert: someone is on it, so it does not escalate."""
    from weave.api.ownership import ack as api_ack

    settings = settings_from(state_url, bus_url, config)
    done, alert = run(api_ack(settings.state_url, alert_id, by or getpass.getuser()))
    if alert is None:
        fail(f"no alert {alert_id}")
    assert alert is not None
    if fmt == "json":
        emit_json({"acknowledged": done, "id": alert.id, "status": alert.status, "acked_by": alert.acked_by})
    elif done:
        stdout.print(f"acknowledged alert {alert.id} ({alert.integration}: {alert.slo})")
    else:
        stdout.print(f"alert {alert.id} is {alert.status}" + (f", acknowledged by {alert.acked_by}"
                                                              if alert.acked else ""))
    sys.exit(0 if done else 1)


@alerts.command("resolve")
@click.argument("alert_id", type=int)
@state_options
@format_option()
def resolve(alert_id: int, state_url: str | None, bus_url: str | None, config: str | None, fmt: str) -> None:
    """Close an open alert by hand, e.g. when its integration was removed (no notice is sent)."""
    from weave.api.ownership import resolve as api_resolve

    settings = settings_from(state_url, bus_url, config)
    done, alert = run(api_resolve(settings.state_url, alert_id))
    if alert is None:
        fail(f"no alert {alert_id}")
    assert alert is not None
    if fmt == "json":
        emit_json({"resolved": done, "id": alert.id, "status": alert.status})
    else:
        stdout.print(f"resolved alert {alert.id}" if done else f"alert {alert.id} was already {alert.status}")
    sys.exit(0 if done else 1)


@alerts.command("silence")
@click.argument("integration")
@click.option("--for", "duration", required=True, help="How long, e.g. 30m, 2h, 1d (0 lifts the silence).")
@click.option("--reason", default=None)
@click.option("--by", default=None, help="Who silences (default: the current user).")
@state_options
@format_option()
def silence(integration: str, duration: str, reason: str | None, by: str | None, state_url: str | None,
            bus_url: str | None, config: str | None, fmt: str) -> None:
    """Silence an integration's notifications for a while (alerts are still recorded)."""
    from weave.api.ownership import silence as api_silence
    from weave.spec.durations import DurationError, parse_duration

    try:
        seconds = parse_duration(duration)
    except DurationError as exc:
        raise click.BadParameter(str(exc), param_hint="--for") from None
    settings = settings_from(state_url, bus_url, config)
    result = run(api_silence(settings.state_url, integration, seconds, by=by or getpass.getuser(), reason=reason))
    if fmt == "json":
        emit_json({"integration": result.integration, "until": result.until, "created_by": result.created_by,
                   "reason": result.reason})
    else:
        stdout.print(f"silenced {integration} until {_when(result.until)} UTC" if seconds
                     else f"lifted the silence of {integration}")
