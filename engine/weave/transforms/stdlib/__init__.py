"""weave's own JMESPath functions (phone, money, dates), registered on an explicit registry.

    from weave.transforms.stdlib import weave_functions
    fns = weave_functions()          # a fresh Functions with the table below
    compile("to_e164(phone, 'DE')", functions=fns)

| function | signature | result |
|---|---|---|
| `to_e164(phone, country)` | string\\|null, string | `+4930...` or null for null/empty |
| `to_minor(amount, currency)` | number\\|string, string | integer minor units (half-up) |
| `from_minor(minor, currency)` | number, string | number |
| `round_amount(amount, currency)` | number\\|string, string | number rounded to the minor unit |
| `format_amount(amount, currency)` | number\\|string, string | fixed-point string |
| `to_utc(value, tz)` | string\\|number, string | ISO 8601 `...Z` (naive input read in `tz`) |
| `to_local(value, tz)` | string\\|number, string | ISO 8601 with `tz`'s offset |
| `to_date(value, tz)` | string\\|number, string | `YYYY-MM-DD` in `tz` |
| `parse_datetime(value, format, tz)` | string, string, string | ISO 8601 `...Z` |
| `upper(s)`, `lower(s)`, `trim(s)` | string | string |
| `split(s, sep)` | string, string | array of strings |
| `replace(s, old, new)` | string, string, string | string |
| `coalesce_str(a, b)` | any, any | first non-empty string (or null) |
| `mul(a, b)` | number, number | the product (JMESPath has no arithmetic) |
| `merge_each(array, object)` | array-object, object | each element merged with the object: carry parent fields into a projection |
"""

from __future__ import annotations

from typing import Any

from weave.transforms.jmespath import Functions
from weave.transforms.stdlib import dates, money, phone


def _trim(s: str) -> str:
    return s.strip()


def _coalesce_str(a: Any, b: Any) -> Any:
    for v in (a, b):
        if isinstance(v, str) and v.strip():
            return v
    return None


def _merge_each(items: list[Any], extra: dict[str, Any]) -> list[Any]:
    return [{**item, **extra} if isinstance(item, dict) else item for item in items]


def weave_functions() -> Functions:
    fns = Functions()
    fns.register("to_e164", phone.to_e164, ["string", "null"], ["string"])
    fns.register("to_minor", money.to_minor, ["number", "string"], ["string"])
    fns.register("from_minor", money.from_minor, ["number"], ["string"])
    fns.register("round_amount", money.round_amount, ["number", "string"], ["string"])
    fns.register("format_amount", money.format_amount, ["number", "string"], ["string"])
    fns.register("to_utc", lambda v, tz: dates.to_utc(v, tz), ["string", "number"], ["string"])
    fns.register("to_local", lambda v, tz: dates.to_local(v, tz), ["string", "number"], ["string"])
    fns.register("to_date", lambda v, tz: dates.to_date(v, tz), ["string", "number"], ["string"])
    fns.register("parse_datetime", lambda v, f, tz: dates.to_utc(v, tz, f), ["string"], ["string"], ["string"])
    fns.register("upper", str.upper, ["string"])
    fns.register("lower", str.lower, ["string"])
    fns.register("trim", _trim, ["string"])
    fns.register("split", lambda s, sep: s.split(sep), ["string"], ["string"])
    fns.register("replace", lambda s, a, b: s.replace(a, b), ["string"], ["string"], ["string"])
    fns.register("coalesce_str", _coalesce_str, [], [])
    fns.register("mul", lambda a, b: a * b, ["number"], ["number"])
    fns.register("merge_each", _merge_each, ["array"], ["object"])
    return fns


__all__ = ["dates", "money", "phone", "weave_functions"]
