"""JSON (orjson) and payload encoding shared by both backends."""

from __future__ import annotations

from typing import Any

import orjson

from weave.state._types import Payload, StateError


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError as exc:
        raise StateError(f"value cannot be stored as JSON: {exc}") from exc


def loads(text: str | bytes | None, default: Any = None) -> Any:
    if text is None:
        return default
    return orjson.loads(text)


def encode_payload(payload: Payload | Any) -> tuple[bytes, int]:
    """bytes stay bytes (is_json=0); anything else is stored as orjson (is_json=1)."""
    if isinstance(payload, bytes | bytearray | memoryview):
        return bytes(payload), 0
    try:
        return orjson.dumps(payload), 1
    except TypeError as exc:
        raise StateError(f"payload is neither bytes nor JSON-serialisable: {exc}") from exc


def decode_payload(data: bytes | memoryview, is_json: int) -> Any:
    raw = bytes(data)
    return orjson.loads(raw) if is_json else raw


def encode_headers(headers: dict[str, str] | None) -> str:
    if not headers:
        return "{}"
    return dumps({str(k): str(v) for k, v in headers.items()})
