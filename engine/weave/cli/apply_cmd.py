"""`weave apply`, `weave revisions`, `weave rollback`, `weave force-unlock`."""

from __future__ import annotations

import getpass
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from weave.cli._state import fail, run, settings_from, state_options, with_state
from weave.cli.common import emit_json, format_option, print_diagnostics, resolve_paths, stdout
from weave.cli.deploy_view import print_changes


def _holder() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}:{os.getpid()}"


@click.command("apply")
@click.argument("target", required=False)
@state_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--only", multiple=True, help="Apply only this integration (repeatable).")
@click.option("--owner", default=None, help="Apply only the integrations of this owner.")
@click.option("--lock-timeout", default=0.0, type=float, show_default=True,
              help="Seconds to wait for another apply to finish.")
@click.option("--message", "-m", default=None, help="Note stored with the revision.")
@click.option("--allow-incomplete", is_flag=True, help="Deploy integrations that lack runtime blocks.")
@format_option()
def apply(target: str | None, state_url: str | None, bus_url: str | None, config: str | None, auto_approve: bool,
          only: tuple[str, ...], owner: str | None, lock_timeout: float, message: str | None,
          allow_incomplete: bool, fmt: str) -> None:
    """Deploy the specs (or a saved plan file) as a new revision.

    TARGET is a spec directory (default specs/) or a plan saved with `weave plan --out`; a saved plan is
    applied exactly as saved and refused when the deployed revision has moved on since.
    Scoped applies (--only/--owner) touch only their scope: nothing outside it is deleted.

    \b
    Exit codes: 0 applied (or nothing to do), 1 errors or refused, 2 usage.

    \b
    Examples:
      weave apply                                   # plan specs/, confirm, apply
      weave plan --out plan.json && weave apply plan.json --auto-approve
      weave apply --only order-to-fulfillment --auto-approve
    """
    from weave.api.deploy import DeployPlan, apply_deploy, git_meta, plan_deploy
    from weave.state import LockHeldError, StaleRevisionError

    settings = settings_from(state_url, bus_url, config)

    async def main(state: object) -> int:
        current = await state.current_revision()  # type: ignore[attr-defined]
        if target and Path(target).is_file() and target.endswith(".json"):
            try:
                deploy = DeployPlan.from_json(json.loads(Path(target).read_text()))
            except (ValueError, KeyError, json.JSONDecodeError) as exc:
                fail(f"{target}: {exc}", 1)
            paths = ["."]
        else:
            paths = [target] if target else resolve_paths(())
            deploy = plan_deploy(paths, current, only=only, owner=owner, allow_incomplete=allow_incomplete)
        if not deploy.ok:
            print_diagnostics([d for d in deploy.diagnostics if d.severity.value == "error"])
            fail("the specs have errors; nothing was applied")
        if fmt == "text":
            print_changes(deploy)
        if not deploy.has_changes:
            if fmt == "json":
                emit_json({"applied": False, "reason": "no changes", "revision": deploy.base_revision})
            else:
                stdout.print("No changes. The deployed revision matches the specs.")
            return 0
        if not auto_approve:
            if not sys.stdin.isatty():
                fail("refusing to apply without confirmation: use --auto-approve in scripts")
            if not click.confirm("Apply these changes?", default=False):
                stdout.print("Apply cancelled.")
                return 1
        try:
            revision = await apply_deploy(state, deploy, git_meta(paths, message), holder=_holder(),
                                          lock_timeout=lock_timeout)
        except LockHeldError as exc:
            fail(f"another apply holds the lock ({exc}); wait, or `weave force-unlock` if it died")
        except StaleRevisionError as exc:
            fail(f"the plan is stale: {exc}. Run `weave plan` again")
        if fmt == "json":
            emit_json({"applied": True, "revision": revision, "changes": [c.to_dict() for c in deploy.changes]})
        else:
            stdout.print(f"[green]Applied revision {revision}[/green] "
                         f"({len(deploy.changes)} integration change(s)).")
        return 0

    sys.exit(run(with_state(settings.state_url, main)))


@click.command("revisions")
@state_options
@click.option("--limit", default=20, show_default=True)
@format_option()
def revisions(state_url: str | None, bus_url: str | None, config: str | None, limit: int, fmt: str) -> None:
    """List deployed revisions, newest first, with git commit, author and time.

    \b
    Example:
      weave revisions --format json
    """
    settings = settings_from(state_url, bus_url, config)

    async def main(state: object) -> list:
        return await state.list_revisions(limit)  # type: ignore[attr-defined,no-any-return]

    rows = run(with_state(settings.state_url, main))
    if fmt == "json":
        emit_json({"revisions": [r.__dict__ for r in rows]})
        return
    table = Table(title="Revisions")
    for column in ("rev", "created", "git commit", "author", "message"):
        table.add_column(column)
    import datetime as dt

    for r in rows:
        created = dt.datetime.fromtimestamp(r.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(str(r.id), created, (r.git_commit or "")[:12], r.author or "", r.message or "")
    stdout.print(table)


@click.command("rollback")
@click.argument("revision", type=int, required=False)
@state_options
@click.option("--lock-timeout", default=0.0, type=float)
@format_option()
def rollback(revision: int | None, state_url: str | None, bus_url: str | None, config: str | None,
             lock_timeout: float, fmt: str) -> None:
    """Restore REVISION (default: the previous one) by writing it again as a new revision.

    \b
    Example:
      weave rollback 3
    """
    from weave.api.deploy import rollback as do_rollback
    from weave.state import LockHeldError

    settings = settings_from(state_url, bus_url, config)

    async def main(state: object) -> tuple[int, int]:
        try:
            return await do_rollback(state, revision, holder=_holder(), lock_timeout=lock_timeout)
        except (ValueError, LockHeldError) as exc:
            fail(str(exc))
            raise

    new_id, restored = run(with_state(settings.state_url, main))
    if fmt == "json":
        emit_json({"revision": new_id, "restored": restored})
    else:
        stdout.print(f"[green]Revision {new_id} restores revision {restored}.[/green]")


@click.command("force-unlock")
@state_options
def force_unlock(state_url: str | None, bus_url: str | None, config: str | None) -> None:
    """Remove the apply lock left by a crashed apply.

    \b
    Example:
      weave force-unlock
    """
    from weave.api.deploy import LOCK_NAME

    settings = settings_from(state_url, bus_url, config)

    async def main(state: Any) -> Any:
        return await state.force_unlock(LOCK_NAME)

    removed = run(with_state(settings.state_url, main))
    stdout.print(f"removed lock held by {removed.holder}" if removed else "no lock was held")
