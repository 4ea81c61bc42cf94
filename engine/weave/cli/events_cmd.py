"""`weave events`: the event catalog as a dependency map (with live lag), and per-subscriber replay."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from weave.cli._state import fail, run, settings_from, state_options
from weave.cli.common import (
    emit_json,
    format_option,
    paths_argument,
    print_diagnostics,
    resolve_paths,
    stderr,
    stdout,
)


class _ListByDefault(click.Group):
    """`weave events [PATHS]` lists; `weave events replay ...` replays (the first word picks)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group("events", cls=_ListByDefault)
def events() -> None:
    """The event catalog: who publishes and who subscribes to each event, with live lag; replay.

    \b
    Examples:
      weave events specs/                          # the dependency map
      weave events --format json | jq '.events[] | {name, subscribers: [.subscribers[].integration]}'
      weave events replay crm.case.resolved --subscriber case-resolved-archive --since 2h
    """


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.1f}s" if seconds < 120 else f"{seconds / 60:.0f}m"


def _num(value: int | None) -> str:
    return "-" if value is None else str(value)


@events.command("list")
@paths_argument()
@state_options
@format_option()
@click.option("--no-live", is_flag=True, help="Do not look at the bus for lag (specs only).")
def list_events(paths: tuple[str, ...], state_url: str | None, bus_url: str | None, config: str | None, fmt: str,
                no_live: bool) -> None:
    """List every event with its version, owner, publisher system, publishing and subscribing integrations.

    Lag, pending and oldest pending age per subscriber come from the bus (--bus, WEAVE_BUS, weave.toml or the
    default SQLite state file) when one is reachable; nothing deployed is fine.

    \b
    Exit codes: 0 listed, 1 the specs have errors (the catalog is still listed).
    """
    from weave.api.config import resolve_settings
    from weave.api.events import event_catalog, with_live
    from weave.diagnostics import Severity, has_errors

    catalog = event_catalog(resolve_paths(paths))
    if not no_live:
        try:
            settings = resolve_settings(state=state_url, bus=bus_url, config=Path(config) if config else None)
        except ValueError as exc:
            settings = None
            catalog = replace(catalog, live_error=str(exc))
        if settings is not None:
            catalog = run(with_live(catalog, settings.bus_url))
    errors = [d for d in catalog.diagnostics if d.severity == Severity.ERROR]
    if fmt == "json":
        emit_json(catalog.to_dict())
    else:
        _print_catalog(catalog)
    if errors and fmt == "text":
        print_diagnostics(errors)
    sys.exit(1 if has_errors(catalog.diagnostics) else 0)


def _print_catalog(catalog: Any) -> None:
    for e in catalog.events:
        extra = "".join(f"  {label} {value}" for label, value in (("key", e.key), ("retention", e.retention)) if value)
        version = "?" if e.version is None else e.version
        stdout.print(f"[bold]{e.name}[/bold] v{version}  owner {e.owner or '-'}  system {e.publisher or '-'}{extra}"
                     f"  [dim]{e.file}:{e.line}[/dim]")
        stdout.print(f"  published by  {', '.join(e.publishers) or '[red]no publishing integration[/red]'}")
        if not e.subscribers:
            stdout.print("  subscribers   [dim]none[/dim]")
        width = max((len(s.integration) for s in e.subscribers), default=0)
        for i, s in enumerate(e.subscribers):
            live = (f"  lag {_num(s.lag)}  pending {_num(s.pending)}  oldest {_age(s.oldest_pending_age_s)}"
                    if catalog.live else "")
            stdout.print(f"  {'subscribers' if i == 0 else '':<12}  {s.integration:<{width}}  → "
                         f"{', '.join(s.targets) or '-'}  owner {s.owner or '-'}"
                         f"{'  idempotent' if s.idempotent else ''}{live}")
    if catalog.live:
        stdout.print(f"[dim]lag/pending from the {catalog.live} bus[/dim]")
    elif catalog.live_error:
        stdout.print(f"[dim]no live lag: {catalog.live_error}[/dim]")
    for name, users in catalog.unknown.items():
        stderr.print(f"[yellow]warning:[/yellow] {name!r} is used by {', '.join(users)} but is not in the catalog")


@events.command("replay")
@click.argument("event")
@click.option("--subscriber", "-s", required=True, help="The subscriber integration (its consumer group).")
@click.option("--since", required=True, metavar="TIME|ID",
              help="A bus message id (123, 1700000000000-0), a duration ago (30m, 2h, 1d) or an ISO 8601 time "
                   "(no offset = UTC).")
@click.option("--ignore-idempotency", is_flag=True,
              help="Also forget the subscriber's idempotency records of the replayed events (every target), so "
                   "events its sink already delivered are delivered again instead of dropped as duplicates. "
                   "Records of older events are kept, even if committed during the window; records written "
                   "before state migration 5 (no event recorded) are forgotten if committed since the window's "
                   "first event.")
@state_options
@format_option()
def replay(event: str, subscriber: str, since: str, ignore_idempotency: bool, state_url: str | None,
           bus_url: str | None, config: str | None, fmt: str) -> None:
    """Re-deliver EVENT's history from --since to ONE subscriber; the other subscribers are untouched.

    The subscriber's consumer group is rewound; a running `weave serve` picks the events up again.
    A sink with an idempotency key drops events it delivered before (duplicates); --ignore-idempotency
    first forgets its records of the replay window (not older ones). Retention bounds how far back history
    exists.

    \b
    Exit codes: 0 rewound, 1 unknown event/subscriber or nothing deployed, 2 usage error.

    \b
    Examples:
      weave events replay crm.case.resolved --subscriber case-resolved-archive --since 2h
      weave events replay crm.order.created -s order-to-erp --since 2025-03-04T09:00:00Z --ignore-idempotency
      weave events replay crm.order.created -s order-to-erp --since 1700000000000-0 --bus redis://bus:6379/0
    """
    from weave.api.config import sqlite_path
    from weave.api.events import EventsError, parse_since, replay_subscriber

    try:
        parse_since(since)
    except EventsError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    settings = settings_from(state_url, bus_url, config)
    path = sqlite_path(settings.state_url)
    if path is not None and not Path(path).is_file():
        fail(f"nothing deployed: no state file at {path} (run `weave apply`, or pass --state)")
    try:
        result = run(replay_subscriber(state_url=settings.state_url, bus_url=settings.bus_url, event=event,
                                       subscriber=subscriber, since=since, ignore_idempotency=ignore_idempotency))
    except EventsError as exc:
        fail(str(exc))
        return
    if fmt == "json":
        emit_json(result.to_dict())
        return
    stdout.print(f"[green]rewound[/green] {result.subscriber} on {result.event} ({result.backend} bus) to "
                 f"{result.since}: {result.lag} event(s) to deliver; untouched: "
                 f"{', '.join(result.other_groups) or '(no other subscribers)'}")
    if result.idempotency_cleared_from is not None and result.idempotency_cleared_since is not None:
        since_text = datetime.fromtimestamp(result.idempotency_cleared_since, UTC).isoformat(timespec="milliseconds")
        legacy = result.idempotency_cleared_legacy or 0
        stdout.print(f"forgot {result.idempotency_cleared} idempotency record(s) of the replayed events (from "
                     f"message {result.idempotency_cleared_from} on): every replayed event is delivered again; "
                     "records of older events are kept, even those committed during the window")
        stdout.print(f"of those, {legacy} record(s) written before state migration 5 (no event recorded) were "
                     f"forgotten by commit time: committed since {since_text.replace('+00:00', 'Z')}")
    elif result.idempotency_cleared is not None:
        stdout.print("forgot 0 idempotency records: the replay window holds no event")
    elif result.idempotent:
        stdout.print("[yellow]note:[/yellow] this subscriber's sink has an idempotency key: events it already "
                     "delivered are dropped as duplicates (use --ignore-idempotency to send them again)")


def with_event_versions_cli(result: Any, ref: str | None) -> Any:
    """`weave validate`'s event versioning check: against git REF, or else the last applied revision in a
    local SQLite state file (settings as everywhere; a PostgreSQL state store is never contacted)."""
    from weave.api.config import resolve_settings
    from weave.api.events import with_event_versions

    if ref is not None:
        return with_event_versions(result, ref=ref)
    try:
        state_url = resolve_settings().state_url
    except ValueError:
        return result
    return with_event_versions(result, state_url=state_url)
