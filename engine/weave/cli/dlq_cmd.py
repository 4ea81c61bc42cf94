"""`weave dlq list|show|replay|purge`: the dead-letter store."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click
from rich.table import Table

from weave.cli._state import fail, run, settings_from, state_options, with_state
from weave.cli.common import emit_json, format_option, stdout


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if ts else ""


def _entry_dict(e: object) -> dict:
    d = dict(e.__dict__)
    if isinstance(d.get("payload"), bytes):
        d["payload"] = d["payload"].decode("utf-8", "replace")
    return d


@click.group("dlq")
def dlq() -> None:
    """The dead-letter store: every record weave could not deliver, with its reason.

    \b
    Examples:
      weave dlq list --integration order-to-fulfillment
      weave dlq show 42
      weave dlq replay --integration order-to-fulfillment     # after the target recovered
      weave dlq purge --id 42
    """


@dlq.command("list")
@state_options
@click.option("--integration", default=None)
@click.option("--all", "include_replayed", is_flag=True, help="Include entries already replayed.")
@click.option("--limit", default=100, show_default=True)
@format_option()
def list_(state_url: str | None, bus_url: str | None, config: str | None, integration: str | None,
          include_replayed: bool, limit: int, fmt: str) -> None:
    """List dead letters, newest first."""
    settings = settings_from(state_url, bus_url, config)

    async def main(state: object) -> list:
        return await state.dlq_list(integration, limit=limit, include_replayed=include_replayed)  # type: ignore

    entries = run(with_state(settings.state_url, main))
    if fmt == "json":
        emit_json({"entries": [_entry_dict(e) for e in entries]})
        return
    table = Table(title=f"Dead letters ({len(entries)})")
    for column in ("id", "integration", "target", "attempts", "error", "created", "replayed"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(str(e.id), e.integration, e.target or "", str(e.attempts), e.error[:80], _when(e.created_at),
                      _when(e.replayed_at))
    stdout.print(table)


@dlq.command("show")
@click.argument("entry_id", type=int)
@state_options
def show(entry_id: int, state_url: str | None, bus_url: str | None, config: str | None) -> None:
    """Show one dead letter with its payload (JSON)."""
    settings = settings_from(state_url, bus_url, config)

    async def main(state: object) -> object:
        return await state.dlq_get(entry_id)  # type: ignore[attr-defined]

    entry = run(with_state(settings.state_url, main))
    if entry is None:
        fail(f"no dead letter {entry_id}")
    sys.stdout.write(json.dumps(_entry_dict(entry), indent=2, default=str) + "\n")


@dlq.command("replay")
@state_options
@click.option("--id", "ids", type=int, multiple=True, help="Replay this entry (repeatable).")
@click.option("--integration", default=None, help="Replay every pending entry of this integration.")
@format_option()
def replay(state_url: str | None, bus_url: str | None, config: str | None, ids: tuple[int, ...],
           integration: str | None, fmt: str) -> None:
    """Re-deliver dead letters through the deployed flows. Idempotent: replaying twice never delivers twice.

    Exit 1 when any entry still failed.
    """
    from weave.api.dlq import replay as do_replay

    if not ids and not integration:
        raise click.UsageError("give --id or --integration")
    settings = settings_from(state_url, bus_url, config)
    try:
        results = run(do_replay(settings.state_url, settings.bus_url, ids=list(ids) or None,
                                integration=integration))
    except ValueError as exc:
        fail(str(exc))
    failed = [r for r in results if r.outcome.startswith("failed")]
    if fmt == "json":
        emit_json({"results": [r.__dict__ for r in results], "failed": len(failed)})
    else:
        table = Table(title="Replay")
        for column in ("id", "integration", "target", "outcome"):
            table.add_column(column)
        for r in results:
            table.add_row(str(r.entry_id), r.integration, r.target or "", r.outcome)
        stdout.print(table)
    sys.exit(1 if failed else 0)


@dlq.command("purge")
@state_options
@click.option("--id", "ids", type=int, multiple=True)
@click.option("--integration", default=None)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge(state_url: str | None, bus_url: str | None, config: str | None, ids: tuple[int, ...],
          integration: str | None, yes: bool) -> None:
    """Delete dead letters for good."""
    if not ids and not integration:
        raise click.UsageError("give --id or --integration")
    if not yes and not click.confirm("Delete these dead letters for good?", default=False):
        sys.exit(1)
    settings = settings_from(state_url, bus_url, config)

    async def main(state: object) -> int:
        return await state.dlq_purge(integration, ids=list(ids) or None)  # type: ignore[attr-defined,no-any-return]

    stdout.print(f"purged {run(with_state(settings.state_url, main))} dead letter(s)")
