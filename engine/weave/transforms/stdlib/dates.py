"""Date/time normalisation with IANA time zones (stdlib zoneinfo).

Inputs: ISO 8601 strings (with or without offset, `Z` allowed), `YYYY-MM-DD`, epoch seconds or
milliseconds (numbers), or any string with an explicit strptime `format`. Naive values are read in
the given time zone. Outputs are ISO 8601 strings (UTC ends in `Z`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class DateError(ValueError):
    """The value cannot be read as a date/time, or the time zone is unknown."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DateError(f"unknown time zone {name!r}") from None


def parse(value: object, tz: str = "UTC", fmt: str | None = None) -> datetime:
    """An aware datetime from `value`; naive input is taken to be local time in `tz`."""
    if isinstance(value, bool) or value is None:
        raise DateError(f"not a date/time: {value!r}")
    if isinstance(value, (int, float)):
        seconds = value / 1000 if abs(value) >= 1e11 else value  # epoch ms vs s
        return datetime.fromtimestamp(seconds, tz=UTC)
    if not isinstance(value, str):
        raise DateError(f"not a date/time: {value!r}")
    text = value.strip()
    try:
        if fmt:
            parsed = datetime.strptime(text, fmt)
        else:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        expected = f"format {fmt!r}" if fmt else "ISO 8601"
        raise DateError(f"not a date/time ({expected}): {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz))
    return parsed


def _iso(moment: datetime) -> str:
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def to_utc(value: object, tz: str = "UTC", fmt: str | None = None) -> str:
    """`"2024-03-31 02:30", "Europe/Berlin"` -> the UTC instant, `...Z`."""
    return _iso(parse(value, tz, fmt).astimezone(UTC))


def to_local(value: object, tz: str, source_tz: str = "UTC") -> str:
    """The instant shown in `tz` with its offset: `"2024-01-01T12:00:00Z", "Europe/Berlin"` -> `...+01:00`."""
    return _iso(parse(value, source_tz).astimezone(zone(tz)))


def to_date(value: object, tz: str = "UTC", fmt: str | None = None) -> str:
    """The calendar date of the instant in `tz`: `YYYY-MM-DD`."""
    if isinstance(value, str) and fmt is None and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    moment = parse(value, tz, fmt)
    return moment.astimezone(zone(tz)).date().isoformat()
