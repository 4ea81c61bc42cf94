"""Diagnostics as data: one record shape feeds every renderer (text, json, github, sarif)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from weave.codes import CODES


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    """One finding. Lines and columns are 1-based."""

    code: str
    severity: Severity
    message: str
    file: str
    line: int
    column: int
    hint: str | None = None
    end_line: int | None = None
    end_column: int | None = None
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def name(self) -> str:
        return CODES[self.code].name if self.code in CODES else self.code

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["severity"] = str(self.severity)
        out["name"] = self.name
        if not out["data"]:
            del out["data"]
        return out

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.code)


def make(
    code: str,
    message: str,
    file: str,
    line: int,
    column: int,
    *,
    hint: str | None = None,
    severity: Severity | None = None,
    **data: Any,
) -> Diagnostic:
    """Build a diagnostic whose severity defaults to the one registered for its code."""
    info = CODES[code]  # KeyError here means an unregistered code: a bug, caught by tests
    return Diagnostic(
        code=code,
        severity=severity or Severity(info.severity),
        message=message,
        file=file,
        line=line,
        column=column,
        hint=hint,
        data=dict(data),
    )


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity == Severity.ERROR for d in diagnostics)
