"""Dotted field paths (`address.country`) on records, copy-on-write: inputs are never mutated."""

from __future__ import annotations

from typing import Any

_MISSING = object()


def split_path(path: str) -> tuple[str, ...]:
    parts = tuple(path.split("."))
    if not all(parts):
        raise ValueError(f"invalid field path {path!r}")
    return parts


def get_path(record: dict[str, Any], parts: tuple[str, ...], default: Any = None) -> Any:
    current: Any = record
    for part in parts:
        if not isinstance(current, dict) or part not in current:
            return default
        current = current[part]
    return current


def set_path(record: dict[str, Any], parts: tuple[str, ...], value: Any) -> None:
    """Set in `record` (which the caller already copied); nested dicts on the way are copied."""
    current = record
    for part in parts[:-1]:
        child = current.get(part)
        child = dict(child) if isinstance(child, dict) else {}
        current[part] = child
        current = child
    current[parts[-1]] = value


def pop_path(record: dict[str, Any], parts: tuple[str, ...]) -> Any:
    """Remove and return (or _MISSING) in `record` (already copied); nested dicts are copied."""
    current = record
    for part in parts[:-1]:
        child = current.get(part)
        if not isinstance(child, dict):
            return _MISSING
        child = dict(child)
        current[part] = child
        current = child
    return current.pop(parts[-1], _MISSING)


MISSING = _MISSING
