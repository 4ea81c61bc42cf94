"""open_state(url): the one way in. ``sqlite:///path``, a plain path, or ``postgresql://...``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from weave.state._protocol import StateStore
from weave.state._types import StateError

DEFAULT_URL = "sqlite:///.weave/state.db"
SCHEMES = ("sqlite", "postgresql", "postgres")
_SQLITE_OPTIONS = {"synchronous", "busy_timeout"}
_PG_OPTIONS = {"pool_min", "pool_max"}


def _split_options(query: str, ours: set[str]) -> tuple[dict[str, str], str]:
    pairs = parse_qsl(query, keep_blank_values=True)
    return {k: v for k, v in pairs if k in ours}, urlencode([(k, v) for k, v in pairs if k not in ours])


def _number(options: dict[str, str], name: str, default: float) -> float:
    raw = options.get(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise StateError(f"state URL option {name}={raw!r} is not a number") from None


async def open_state(url: str | Path | None = None) -> StateStore:
    """Open (creating and migrating as needed) the state store at `url`.

    - ``sqlite:///relative/state.db``, ``sqlite:////abs/state.db``, or a plain path: SQLite.
      Options: ``?synchronous=normal|full`` (default normal: survives a killed process; full:
      also a power cut), ``?busy_timeout=30`` (seconds a writer waits for another process).
    - ``postgresql://user@host:port/db``: PostgreSQL. Options: ``?pool_min=1&pool_max=10``; the
      rest of the query goes to libpq.
    """
    text = str(url) if url is not None else DEFAULT_URL
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme == "":
        from weave.state._store import SqliteStateStore

        return await SqliteStateStore.open(text)
    if scheme == "sqlite":
        from weave.state._store import SqliteStateStore

        parts = urlsplit(text)
        options, rest = _split_options(parts.query, _SQLITE_OPTIONS)
        if rest:
            raise StateError(f"unknown sqlite state URL option(s) {rest!r}; known: {', '.join(sorted(_SQLITE_OPTIONS))}")
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if parts.netloc:
            path = parts.netloc + parts.path
        if not path:
            raise StateError(f"no database path in state URL {text!r}; e.g. {DEFAULT_URL}")
        return await SqliteStateStore.open(
            path,
            synchronous=options.get("synchronous", "normal"),
            busy_timeout=_number(options, "busy_timeout", 30.0),
        )
    if scheme in ("postgresql", "postgres"):
        from weave.state._store import PostgresStateStore

        parts = urlsplit(text)
        options, rest = _split_options(parts.query, _PG_OPTIONS)
        dsn = urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment))
        return await PostgresStateStore.open(
            dsn,
            min_size=int(_number(options, "pool_min", 1)),
            max_size=int(_number(options, "pool_max", 10)),
        )
    raise StateError(f"unknown state store scheme {scheme!r} in {text.split('://')[0]}://...; known: {', '.join(SCHEMES)}")
