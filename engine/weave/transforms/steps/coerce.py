"""The `coerce` step's converters: int, float, str, bool, decimal, datetime, date."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from weave.transforms.stdlib import dates

TYPES = ("int", "float", "str", "bool", "decimal", "datetime", "date")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


class CoerceError(ValueError):
    pass


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise CoerceError(f"{value!r} is a boolean, not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CoerceError(f"{value!r} has a fractional part")
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                d = Decimal(text)
            except InvalidOperation:
                raise CoerceError(f"{value!r} is not an integer") from None
            if d.is_finite() and d == d.to_integral_value():
                return int(d)
            raise CoerceError(f"{value!r} is not an integer") from None
    raise CoerceError(f"{value!r} is not an integer")


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise CoerceError(f"{value!r} is a boolean, not a number")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise CoerceError(f"{value!r} is not a number")


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise CoerceError(f"{value!r} is not a boolean")


def make_converter(spec: Mapping[str, Any]) -> Callable[[Any], Any]:
    """spec: {type, timezone?, to?, format?, scale?}. None values pass through unchanged."""
    kind = spec.get("type")
    if kind not in TYPES:
        raise ValueError(f"unknown coerce type {kind!r}; expected one of {', '.join(TYPES)}")
    tz = str(spec.get("timezone", "UTC"))
    out_tz = str(spec.get("to", "UTC"))
    fmt = spec.get("format")
    dates.zone(tz), dates.zone(out_tz)  # unknown zones fail at build time
    if kind == "int":
        return _int
    if kind == "float":
        return _float
    if kind == "str":
        return _str
    if kind == "bool":
        return _bool
    if kind == "decimal":
        scale = spec.get("scale")
        quantum = Decimal(1).scaleb(-int(scale)) if scale is not None else None

        def to_decimal(value: Any) -> str:
            if isinstance(value, bool):
                raise CoerceError(f"{value!r} is a boolean, not a decimal")
            try:
                d = Decimal(value.strip()) if isinstance(value, str) else Decimal(str(value))
            except (InvalidOperation, TypeError):
                raise CoerceError(f"{value!r} is not a decimal") from None
            if not d.is_finite():
                raise CoerceError(f"{value!r} is not a finite decimal")
            return str(d.quantize(quantum, rounding=ROUND_HALF_UP) if quantum is not None else d)

        return to_decimal
    if kind == "datetime":

        def to_datetime(value: Any) -> str:
            try:
                if out_tz == "UTC":
                    return dates.to_utc(value, tz, fmt)
                return dates.to_local(dates.to_utc(value, tz, fmt), out_tz)
            except dates.DateError as exc:
                raise CoerceError(str(exc)) from None

        return to_datetime

    def to_date(value: Any) -> str:
        try:
            return dates.to_date(value, tz, fmt)
        except dates.DateError as exc:
            raise CoerceError(str(exc)) from None

    return to_date
