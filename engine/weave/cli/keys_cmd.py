"""`weave keys create|revoke|list`: API keys of gateway consumers (stored only as SHA-256 hashes)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from weave.cli.common import emit_json, format_option, stderr, stdout

T = TypeVar("T")


def _store_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--store", "store_path", type=click.Path(dir_okay=False),
                      help="Use the gateway's own SQLite key file instead of the state store.")(fn)
    return click.option("--state", "state_url", default=None,
                        help="State store URL (env WEAVE_STATE, weave.toml; default sqlite:///.weave/state.db).")(fn)


def _run(state_url: str | None, store_path: str | None, action: Callable[[Any], Awaitable[T]]) -> T:
    async def main() -> T:
        if store_path:
            from weave.gateway.keys import SqliteKeyStore

            sqlite_store = SqliteKeyStore(store_path)
            try:
                return await action(sqlite_store)
            finally:
                sqlite_store.close()
        from weave.cli._state import settings_from
        from weave.gateway.keys import StateKeyStore
        from weave.state import open_state

        # the same resolution as every other command: --state > WEAVE_STATE > weave.toml > default
        state = await open_state(settings_from(state_url, None, None).state_url)
        try:
            return await action(StateKeyStore(state))
        finally:
            await state.close()

    return asyncio.run(main())


@click.group("keys")
def keys() -> None:
    """API keys for gateway consumers with `auth: {type: api-key}`."""


@keys.command("create")
@click.argument("consumer")
@click.option("--label", default="", help="A note for `weave keys list` (e.g. the environment).")
@_store_options
@format_option()
def create(consumer: str, label: str, state_url: str | None, store_path: str | None, fmt: str) -> None:
    """Create a key for CONSUMER and show it ONCE (only its hash is stored).

    \b
    Examples:
      weave keys create partner-acme --label production
      weave keys create partner-acme --format json | jq -r .key
    """
    from weave.gateway.keys import create_key

    key, record = _run(state_url, store_path, lambda store: create_key(store, consumer, label))
    if fmt == "json":
        emit_json({"version": 1, "key_id": record.key_id, "consumer": consumer, "key": key})
        return
    stdout.print(f"key id   {record.key_id}\nconsumer {consumer}\nkey      {key}")
    stderr.print("[yellow]This is the only time the key is shown. Store it in the consumer's secret manager.[/yellow]")


@keys.command("revoke")
@click.argument("key_id")
@_store_options
@format_option()
def revoke(key_id: str, state_url: str | None, store_path: str | None, fmt: str) -> None:
    """Revoke a key by its id (as shown by `weave keys list`). Exit 1 if no active key has that id.

    \b
    Example:
      weave keys revoke 3f9a1c2b7d4e
    """
    done = _run(state_url, store_path, lambda store: store.revoke(key_id))
    if fmt == "json":
        emit_json({"version": 1, "key_id": key_id, "revoked": done})
    elif done:
        stdout.print(f"revoked {key_id}")
    else:
        stderr.print(f"[red]no active key with id {key_id}[/red]")
    sys.exit(0 if done else 1)


@keys.command("list")
@click.option("--consumer", default=None, help="Only this consumer's keys.")
@_store_options
@format_option()
def list_keys(consumer: str | None, state_url: str | None, store_path: str | None, fmt: str) -> None:
    """List keys (ids, consumers, dates; never the keys).

    \b
    Example:
      weave keys list --consumer partner-acme --format json
    """
    records = _run(state_url, store_path, lambda store: store.list(consumer))
    if fmt == "json":
        emit_json({"version": 1, "keys": [
            {"key_id": r.key_id, "consumer": r.consumer, "label": r.label, "created_at": r.created_at,
             "revoked_at": r.revoked_at, "active": r.active} for r in records]})
        return
    if not records:
        stdout.print("no keys")
        return
    for r in records:
        created = time.strftime("%Y-%m-%d %H:%M", time.gmtime(r.created_at))
        status = "active" if r.active else "revoked " + time.strftime("%Y-%m-%d %H:%M", time.gmtime(r.revoked_at or 0))
        stdout.print(f"{r.key_id}  {r.consumer:<24} {created}  {status}  {r.label}")
