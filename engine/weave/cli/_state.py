"""Shared options for commands that talk to the state store (defined once, reused)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from rich.markup import escape

from weave.api.config import Settings, ensure_parent, resolve_settings
from weave.cli.common import stderr

T = TypeVar("T")


def state_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--config", type=click.Path(dir_okay=False), default=None,
                      help="weave.toml to read (default: ./weave.toml).")(fn)
    fn = click.option("--bus", "bus_url", default=None, help="Event bus URL (default: the SQLite state file; "
                      "redis://... to scale out). Env: WEAVE_BUS.")(fn)
    fn = click.option("--state", "state_url", default=None, help="State store URL: sqlite:///path or "
                      "postgresql://... Env: WEAVE_STATE. Default: sqlite:///.weave/state.db.")(fn)
    return fn


def settings_from(state_url: str | None, bus_url: str | None, config: str | None,
                  admin_token: str | None = None) -> Settings:
    from pathlib import Path

    try:
        settings = resolve_settings(state=state_url, bus=bus_url, admin_token=admin_token,
                                    config=Path(config) if config else None)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    ensure_parent(settings.state_url)
    return settings


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def with_state(url: str, fn: Callable[[Any], Awaitable[T]]) -> T:
    from weave.state import open_state

    store = await open_state(url)
    try:
        return await fn(store)
    finally:
        await store.close()


def fail(message: str, code: int = 1) -> None:
    stderr.print(f"[red]error:[/red] {escape(message)}")
    raise SystemExit(code)


def wraps_state(fn: Callable[..., Any]) -> Callable[..., Any]:
    return functools.wraps(fn)(fn)
