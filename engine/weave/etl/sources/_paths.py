"""Tiny dotted-path access into parsed bodies (`data`, `meta.next`, `Body.Response.items.item`)."""

from __future__ import annotations

from typing import Any


def dig(body: Any, path: str | None) -> Any:
    if not path:
        return body
    current = body
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
        if current is None:
            return None
    return current
