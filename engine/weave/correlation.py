"""The correlation id of the message being handled: one per inbound request, carried through the hub
queue and the event bus in a `correlation_id` header, written into logs and dead-letter headers.

A context variable, so every await under one request (or one queued message) sees its own id.
Taken from the sender when it gives one (`webhook-id`, `x-github-delivery`, `x-request-id`,
`x-correlation-id`), otherwise generated.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping
from contextvars import ContextVar

HEADER = "correlation_id"
INBOUND_HEADERS = ("x-correlation-id", "webhook-id", "x-github-delivery", "x-request-id", "idempotency-key")
MAX_LENGTH = 128

_current: ContextVar[str | None] = ContextVar("weave_correlation_id", default=None)


def current() -> str | None:
    return _current.get()


def new_id() -> str:
    return uuid.uuid4().hex


def from_headers(headers: Mapping[str, str]) -> str:
    """The sender's id (lower-case header names), or a new one. Over-long or odd values are not trusted."""
    for name in INBOUND_HEADERS:
        value = headers.get(name)
        if value and len(value) <= MAX_LENGTH and value.isprintable():
            return value
    return new_id()


@contextlib.contextmanager
def bind(correlation_id: str | None) -> Iterator[str | None]:
    """Make `correlation_id` current inside the block (None leaves the current one)."""
    if correlation_id is None:
        yield current()
        return
    token = _current.set(correlation_id)
    try:
        yield correlation_id
    finally:
        _current.reset(token)


def headers() -> dict[str, str] | None:
    """Headers to store with a queued message or event, so its consumer continues the same id."""
    value = current()
    return {HEADER: value} if value else None


def of(message_headers: Mapping[str, str] | None) -> str | None:
    return (message_headers or {}).get(HEADER)
