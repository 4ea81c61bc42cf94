"""Errors raised by the batch engine; all sit in the `weave.errors` tree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from weave.errors import TerminalError, TransientError


class PeakHoursError(TerminalError):
    """A run was asked to start inside a system's declared peak window (and was not forced)."""

    def __init__(self, system: str, window: str, until: datetime) -> None:
        super().__init__(
            f"refusing to start inside the peak window of {system} ({window}); "
            f"next allowed start {until.isoformat()} (use force to override)"
        )
        self.system = system
        self.window = window
        self.until = until


class ReconciliationError(TerminalError):
    """The counts of a run do not add up. The run is recorded as failed."""

    def __init__(self, message: str, counts: Any = None) -> None:
        super().__init__(f"count mismatch: {message}")
        self.counts = counts


class SchemaDriftError(TerminalError):
    """The source produced columns the target does not have, and the policy is `fail`."""

    def __init__(self, table: str, columns: list[str]) -> None:
        super().__init__(
            f"schema drift on {table}: new source column(s) {', '.join(columns)} "
            "(schema_drift: fail; use evolve to add them or ignore to drop them)"
        )
        self.table = table
        self.columns = columns


class LeaseLostError(TransientError):
    """Another worker holds (or took over) the job's lease."""


class BatchConfigError(TerminalError):
    """A batch job is configured in a way that cannot work; the message says which key and why."""
