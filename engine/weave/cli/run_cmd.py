"""`weave run` (a batch or poll now, with progress) and `weave runs` (history)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from weave.cli._state import fail, run, settings_from, state_options
from weave.cli.common import emit_json, format_option, stderr, stdout


@click.command("run")
@click.argument("integration")
@state_options
@click.option("--full-refresh", is_flag=True, help="Start from the cursor's initial value (reload everything).")
@click.option("--since", default=None, help="Start from this cursor value instead of the committed one.")
@click.option("--force", is_flag=True, help="Run even inside a system's peak hours.")
@format_option()
def run_(integration: str, state_url: str | None, bus_url: str | None, config: str | None, full_refresh: bool,
         since: str | None, force: bool, fmt: str) -> None:
    """Run INTEGRATION's batch (or poll) now, with a progress bar: rows, rate, ETA when the total is known.

    The run takes the job's lease (one worker at a time), resumes an interrupted run from its last
    committed chunk, and is recorded in `weave runs`. Exit 0 when it succeeded, 1 when it failed.

    \b
    Examples:
      weave run warehouse-nightly-load
      weave run warehouse-nightly-load --full-refresh --force
      weave run nightly-customer-master --since 2025-03-01T00:00:00Z --format json
    """
    from weave.api.run import NotDeployed, RunFailed, run_integration

    settings = settings_from(state_url, bus_url, config)
    progress: Progress | None = None
    task: Any = None
    if fmt == "text":
        progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]} rows/s"), TimeElapsedColumn(), TimeRemainingColumn(),
                            console=stderr, transient=False)
        task = progress.add_task(integration, total=None, rate="-")
    started = dt.datetime.now()

    def on_chunk(rows: int, total: int | None) -> None:
        if progress is not None:
            elapsed = max((dt.datetime.now() - started).total_seconds(), 1e-6)
            progress.update(task, completed=rows, total=total, rate=f"{rows / elapsed:,.0f}")

    try:
        if progress is not None:
            progress.start()
        result = run(run_integration(settings.state_url, settings.bus_url, integration, on_chunk=on_chunk,
                                     force=force, full_refresh=full_refresh, since=since))
    except Exception as exc:  # noqa: BLE001 - RunFailed is `Type: message` already, the deployed secrets redacted
        if progress is not None:
            progress.stop()
        fail(str(exc) if isinstance(exc, (NotDeployed, RunFailed)) else f"{type(exc).__name__}: {exc}")
        return
    finally:
        if progress is not None:
            progress.stop()
    status = str(result.get("status", "ok"))
    if fmt == "json":
        emit_json(result)
    else:
        counts = result.get("counts") or {k: v for k, v in result.items() if isinstance(v, int)}
        table = Table(title=f"{integration}: {status}")
        for key in counts:
            table.add_column(key)
        table.add_row(*[str(v) for v in counts.values()])
        stdout.print(table)
        if result.get("error"):
            stdout.print(f"[red]{escape(str(result['error']))}[/red]")
    sys.exit(0 if status in ("succeeded", "ok") or "status" not in result else 1)


@click.command("runs")
@click.argument("integration", required=False)
@state_options
@click.option("--limit", default=20, show_default=True)
@format_option()
def runs(integration: str | None, state_url: str | None, bus_url: str | None, config: str | None, limit: int,
         fmt: str) -> None:
    """Run history (batch runs), newest first: status, worker (host:pid), deployed revision, counts, duration.

    A run whose worker died (kill -9, lost host) is shown `abandoned` once its lease has expired unrenewed:
    reading the history closes such rows (so do `weave status`, the status page of `weave serve` and the next
    run of the job). Its end time (and seconds) is its worker's last sign of life, the last renewal of its
    lease (else its start), not when the loss was noticed; its error says when that was. Its committed chunks
    are counted by the run that resumes it.

    \b
    Examples:
      weave runs warehouse-nightly-load --limit 5
      weave runs --format json
    """
    from weave.api.run import run_history

    settings = settings_from(state_url, bus_url, config)
    rows = run(run_history(settings.state_url, integration, limit))
    if fmt == "json":
        emit_json({"runs": rows})
        return
    table = Table(title="Runs")
    for column in ("id", "integration", "status", "started", "seconds", "rev", "worker", "extracted", "loaded",
                   "rejected", "skipped"):
        table.add_column(column, no_wrap=column in ("worker", "started"))
    for r in rows:
        started = dt.datetime.fromtimestamp(r["started_at"], dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        secs = f"{r['finished_at'] - r['started_at']:.1f}" if r["finished_at"] else "running"
        c = r["counts"] or {}
        status = _STATUS_STYLE.get(r["status"], "{}").format(r["status"])
        table.add_row(str(r["id"]), r["integration"], status, started, secs,
                      "" if r["revision"] is None else str(r["revision"]), r["worker"] or "",
                      str(c.get("extracted", "")), str(c.get("loaded", "")), str(c.get("rejected", "")),
                      str(c.get("skipped", "")))
    stdout.print(table)
    for r in rows:
        if r["status"] in ("failed", "abandoned") and r["error"]:
            stdout.print(f"run {r['id']}: {escape(r['error'])}", soft_wrap=True)


_STATUS_STYLE = {"ok": "[green]{}[/green]", "failed": "[red]{}[/red]", "abandoned": "[yellow]{}[/yellow]"}
