"""`open_bus(url)`: pick the backend from the URL through an explicit table, import it lazily."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def split_url(url: str | Path) -> tuple[str, str]:
    """(scheme, target): `sqlite:///var/weave.db` -> ("sqlite", "/var/weave.db"); a bare path -> sqlite."""
    text = str(url)
    if isinstance(url, Path) or "://" not in text:
        if not text:
            raise BusError("empty bus URL; give sqlite:///path/to/weave.db, a file path, or redis://host:6379/0")
        return "sqlite", text
    scheme = text.split("://", 1)[0].lower()
    if scheme == "sqlite":
        path = text[len("sqlite://"):]
        if not path or path == "/":
            raise BusError(f"bus URL {text!r} has no file path (sqlite:///path/to/weave.db)")
        return "sqlite", path
    return scheme, text


async def open_bus(url: str | Path, **options: Any) -> EventBus:
    """Open (and migrate/connect) the bus at `url`. Options go to the backend's constructor."""
    scheme, target = split_url(url)
    cls = _resolve(scheme)
    try:
        bus = cls(target, **options)
    except TypeError as exc:
        raise BusError(f"bad option for the {scheme} bus: {exc}") from None
    return await bus.open()
