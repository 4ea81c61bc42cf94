"""Translate HTTP answers into weave errors at the boundary.

4xx other than 408/429 → TerminalError; 5xx, 408, 429 → TransientError carrying `retry_after`
parsed from `Retry-After` (delta-seconds or an HTTP date).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from weave.errors import TerminalError, TransientError
from weave.secrets import redact

if TYPE_CHECKING:
    from weave.connectors.http.backend import HttpResponse

SNIPPET = 300


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value; None when absent or unparseable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def body_snippet(resp: HttpResponse) -> str:
    text = resp.text.strip().replace("\n", " ")
    return text[:SNIPPET] + ("…" if len(text) > SNIPPET else "")


def raise_for_status(resp: HttpResponse, *, system: str, what: str, secrets: Callable[[], list[str]] | None = None) -> None:
    """Raise the weave error for a non-2xx/3xx answer. `what` is e.g. "POST /orders". `secrets` gives the
    credential values to blank out should the server echo them in its error body."""
    status = resp.status
    if status < 400:
        return
    snippet = body_snippet(resp)
    if secrets is not None and snippet:
        snippet = redact(snippet, secrets())
    message = f"{system}: {what} answered {status}" + (f": {snippet}" if snippet else "")
    if status >= 500 or status in (408, 429):
        raise TransientError(message, retry_after=parse_retry_after(resp.header("retry-after")), status=status)
    raise TerminalError(message, status=status)
