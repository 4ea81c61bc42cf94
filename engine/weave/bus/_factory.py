"""`open_bus(url)`: pick the backend from the URL through an explicit table, import it lazily."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from weave.bus._base import EventBus
from weave.bus._types import BusError

# scheme -> "module:class". The Redis module (and redis-py) is imported only when a redis URL is opened.
BACKENDS: dict[str, str] = {
    "sqlite": "weave.bus._sqlite:SqliteBus",
    "redis": "weave.bus._redis:RedisBus",
    "rediss": "weave.bus._redis:RedisBus",
    "unix": "weave.bus._redis:RedisBus",
}


def _resolve(scheme: str) -> Callable[..., EventBus]:
    target = BACKENDS.get(scheme)
    if target is None:
        known = ", ".join(f"{s}://" for s in BACKENDS)
        raise BusError(f"unknown bus URL scheme {scheme + '://'!r}; known: {known}, or a plain file path")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # redis-py missing
        raise BusError(f"the {scheme} bus needs an extra: pip install 'weave-integrations[redis]' ({exc})") from exc
    cls: Callable[..., EventBus] = getattr(module, attr)
    return cls


_SQLITE_OPTIONS = {"synchronous": str, "busy_timeout": float, "poll_interval": float}


def split_url(url: str | Path) -> tuple[str, str, dict[str, Any]]:
    """(scheme, target, options). The SQLite form is the state store's, so both can share one file:
    `sqlite:///relative/state.db`, `sqlite:////abs/state.db` or a plain path, with `?synchronous=full|normal`,
    `?busy_timeout=30` (seconds a writer waits for another), `?poll_interval=0.02`."""
    text = str(url)
    if isinstance(url, Path) or "://" not in text:
        if not text:
            raise BusError("empty bus URL; give sqlite:///path/to/state.db, a file path, or redis://host:6379/0")
        return "sqlite", text, {}
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme != "sqlite":
        return scheme, text, {}
    path = parts.netloc + parts.path if parts.netloc else parts.path[1:]
    if not path:
        raise BusError(f"bus URL {text!r} has no file path (sqlite:///relative/state.db or sqlite:////abs/state.db)")
    options: dict[str, Any] = {}
    for name, raw in parse_qsl(parts.query, keep_blank_values=True):
        kind = _SQLITE_OPTIONS.get(name)
        if kind is None:
            raise BusError(f"unknown sqlite bus URL option {name!r}; known: {', '.join(sorted(_SQLITE_OPTIONS))}")
        try:
            options[name] = kind(raw)
        except ValueError:
            raise BusError(f"bus URL option {name}={raw!r} is not a number") from None
    return "sqlite", path, options


async def open_bus(url: str | Path, **options: Any) -> EventBus:
    """Open (and migrate/connect) the bus at `url`. Keyword options go to the backend's constructor
    (they win over URL options)."""
    scheme, target, url_options = split_url(url)
    cls = _resolve(scheme)
    try:
        bus = cls(target, **{**url_options, **options})
    except TypeError as exc:
        raise BusError(f"bad option for the {scheme} bus: {exc}") from None
    return await bus.open()
