"""The incremental cursor: a field that grows on change, a tie-breaker, a lag window and an initial value.

Cursor values are normalised for comparison: ISO-8601 strings become aware datetimes (naive ones are UTC),
numbers stay numbers. In a checkpoint they are stored as JSON (datetimes as ISO strings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from weave.etl._errors import BatchConfigError

Key = tuple[Any, ...]


def normalize(value: Any) -> Any:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class CursorSpec:
    field: str
    tie_breaker: str | None = None
    lag_s: float = 0.0
    initial: Any = None

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> CursorSpec:
        from weave.spec.durations import parse_duration

        if not spec.get("field"):
            raise BatchConfigError("batch.cursor needs `field` (e.g. updated_at)")
        return cls(
            field=str(spec["field"]),
            tie_breaker=spec.get("tie_breaker"),
            lag_s=parse_duration(spec.get("lag", 0)),
            initial=spec.get("initial"),
        )

    def key(self, record: Mapping[str, Any]) -> Key:
        """Comparable (value, tie) of a record; raises KeyError when the cursor field is missing."""
        value = record[self.field]
        if value is None:
            raise KeyError(self.field)
        if self.tie_breaker is None:
            return (normalize(value),)
        return (normalize(value), record[self.tie_breaker])

    def raw(self, record: Mapping[str, Any]) -> list[Any]:
        """The record's cursor as stored in a checkpoint: the source's own values, JSON-safe."""
        if self.tie_breaker is None:
            return [to_json(record[self.field])]
        return [to_json(record[self.field]), to_json(record[self.tie_breaker])]

    def loaded(self, stored: list[Any] | None) -> Key | None:
        """A stored cursor back into a comparable key."""
        if not stored:
            return None
        return tuple([normalize(stored[0]), *stored[1:]])

    def lower_bound(self, committed: list[Any] | None) -> Any:
        """The value a source filters from (`field >= bound`): the committed (or initial) value minus the lag,
        in the source's own format (a lagged timestamp is written like the stored one)."""
        raw = committed[0] if committed else self.initial
        if raw is None or not self.lag_s:
            return to_json(raw)
        base = normalize(raw)
        if isinstance(base, datetime):
            return format_like(base - timedelta(seconds=self.lag_s), raw)
        if isinstance(base, int | float) and not isinstance(base, bool):
            return base - self.lag_s
        return raw


def format_like(value: datetime, sample: Any) -> str:
    """Write `value` in the style of `sample` (separator, offset or Z, naive) so text comparison works."""
    if not isinstance(sample, str):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    sep = sample[10] if len(sample) > 10 else "T"
    utc = value.astimezone(UTC)
    if sample.endswith("Z"):
        return utc.replace(tzinfo=None).isoformat(sep).rstrip() + "Z"
    parsed = normalize(sample)
    if isinstance(parsed, datetime) and ("+" in sample[10:] or sample[10:].count("-")):
        return value.astimezone(parsed.tzinfo).isoformat(sep)
    return utc.replace(tzinfo=None).isoformat(sep)
