"""The error tree. Translate third-party exceptions at the boundary into these.

    WeaveError
    ├── SpecError            a spec cannot be loaded or is invalid (carries diagnostics)
    ├── TransientError       worth retrying: timeouts, 5xx, 408/429, connection resets
    └── TerminalError        retrying cannot help: 4xx, bad payloads, failed transforms
        └── TransformError   a step failed on one record (names the step, file, line, record key)
"""

from __future__ import annotations

from typing import Any


class WeaveError(Exception):
    """Base of every error weave raises on purpose."""


class SpecError(WeaveError):
    def __init__(self, message: str, diagnostics: list[Any] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


class TransientError(WeaveError):
    """A failure that may succeed when retried."""

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class TerminalError(WeaveError):
    """A failure that retrying cannot fix; the record goes to the dead-letter store."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransformError(TerminalError):
    """A transform step failed for one record."""

    def __init__(
        self,
        message: str,
        *,
        step: str | None = None,
        file: str | None = None,
        line: int | None = None,
        record_key: Any = None,
    ) -> None:
        where = []
        if step:
            where.append(f"step {step}")
        if file:
            where.append(f"{file}:{line}" if line else file)
        if record_key is not None:
            where.append(f"record {record_key!r}")
        full = f"{message} ({', '.join(where)})" if where else message
        super().__init__(full)
        self.reason = message
        self.step = step
        self.file = file
        self.line = line
        self.record_key = record_key
