"""`weave status`: one table of every deployed integration's health."""

from __future__ import annotations

import datetime as dt
import sys

import click
from rich.table import Table

from weave.cli._state import run, settings_from, state_options
from weave.cli.common import emit_json, format_option, stdout

_STYLE = {"ok": "green", "degraded": "yellow", "failing": "bold red", "idle": "dim"}


def _ago(ts: float | None) -> str:
    if not ts:
        return "never"
    seconds = dt.datetime.now(dt.UTC).timestamp() - ts
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return f"{int(seconds)}s ago"


@click.command("status")
@state_options
@format_option()
def status(state_url: str | None, bus_url: str | None, config: str | None, fmt: str) -> None:
    """Health of every deployed integration: pattern, owner, last success, error rate, DLQ depth, lag.

    Exit code 0 when every integration is ok or idle, 1 when any is degraded or failing.

    \b
    Examples:
      weave status
      weave status --format json | jq '.integrations[] | select(.health != "ok")'
    """
    from weave.api.status import status as api_status

    settings = settings_from(state_url, bus_url, config)
    result = run(api_status(settings.state_url, settings.bus_url))
    rows = result["integrations"]
    if fmt == "json":
        emit_json(result)
    else:
        table = Table(title=f"weave status — revision {result['revision']}")
        # names and health never shrink to "cust…": on a narrow terminal the other columns wrap instead
        table.add_column("integration", no_wrap=True, min_width=min(max((len(r["name"]) for r in rows), default=11), 40))
        table.add_column("pattern", overflow="fold")
        table.add_column("owner", overflow="fold")
        table.add_column("health", no_wrap=True, min_width=8)
        for column in ("last success", "error rate", "DLQ", "lag", "last run", "next run"):
            table.add_column(column, overflow="fold", justify="right" if column in ("error rate", "DLQ", "lag") else "left")
        for r in rows:
            style = _STYLE.get(r["health"], "")
            last_run = r.get("last_run")
            table.add_row(r["name"], " + ".join(r["patterns"]), r["owner"] or "-",
                          f"[{style}]{r['health']}[/{style}]", _ago(r["last_success_at"]),
                          f"{r['error_rate'] * 100:.1f}%", str(r["dlq_depth"]), str(r["lag"] or "-"),
                          f"{last_run['status']} {_ago(last_run['started_at'])}" if last_run else "-",
                          (r.get("next_run") or "-")[:16].replace("T", " "))
        stdout.print(table)
        if not rows:
            stdout.print("Nothing deployed yet: run `weave apply`.")
    sys.exit(1 if any(r["health"] in ("degraded", "failing") for r in rows) else 0)
