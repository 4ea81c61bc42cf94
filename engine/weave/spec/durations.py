"""Durations in specs: `500ms`, `30s`, `5m`, `2h`, `1d` (also `1.5s`, and compound `1h30m`).

`parse_duration(text) -> float` seconds; a bare int/float is taken as seconds. Bad input raises
`DurationError` (a ValueError) whose message shows the accepted forms; spec checks report it as WV310.
"""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$")


class DurationError(ValueError):
    """A duration string is not like 500ms, 30s, 5m, 2h or 1d."""


def parse_duration(value: str | int | float) -> float:
    """Seconds in a duration such as ``"500ms"``, ``"30s"``, ``"5m"``, ``"2h"``, ``"1d"`` or ``"1h30m"``."""
    if isinstance(value, bool):
        raise DurationError(f"invalid duration {value!r}: expected a string like 500ms, 30s, 5m, 2h or 1d")
    if isinstance(value, int | float):
        if value < 0:
            raise DurationError(f"invalid duration {value!r}: must not be negative")
        return float(value)
    if not isinstance(value, str):
        raise DurationError(f"invalid duration {value!r}: expected a string like 500ms, 30s, 5m, 2h or 1d")
    text = value.strip().lower()
    if not _WHOLE.match(text):
        raise DurationError(f"invalid duration {value!r}: expected a string like 500ms, 30s, 5m, 2h or 1d")
    return sum(float(num) * _UNITS[unit] for num, unit in _PART.findall(text))


def is_duration(value: object) -> bool:
    try:
        parse_duration(value)  # type: ignore[arg-type]
    except DurationError:
        return False
    return True
