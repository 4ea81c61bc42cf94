"""weave's JMESPath functions: phone numbers, money, dates; registered without touching standard ones."""

from __future__ import annotations

import pytest

from weave.transforms import jmespath as jp
from weave.transforms.stdlib import dates, money, phone, weave_functions


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("+1 415 555 2671", "DE", "+14155552671"),
        ("0044 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "gb", "+442079460958"),
        ("030/123.4567", "DE", "+49301234567"),
        ("06 1234 5678", "IT", "+390612345678"),
        ("612 34 56 78", "ES", "+34612345678"),
        (None, "US", None),
        ("", "US", None),
    ],
)
def test_to_e164(raw: str | None, country: str, expected: str | None) -> None:
    assert phone.to_e164(raw, country) == expected


@pytest.mark.parametrize(("raw", "country"), [("555-2671", "US"), ("+12", "US"), ("12ab", "DE"), ("123", "ZZ")])
def test_to_e164_rejects(raw: str, country: str) -> None:
    with pytest.raises(phone.PhoneError):
        phone.to_e164(raw, country)


def test_money() -> None:
    assert money.to_minor(12.345, "EUR") == 1235
    assert money.to_minor("0.285", "usd") == 29
    assert money.to_minor(1500, "JPY") == 1500
    assert money.to_minor(-2.005, "EUR") == -201
    assert money.from_minor(1999, "EUR") == 19.99
    assert money.round_amount(2.675, "EUR") == 2.68
    assert money.format_amount(5, "EUR") == "5.00" and money.format_amount(5, "KWD") == "5.000"
    for bad in (True, None, "x", float("nan")):
        with pytest.raises(money.AmountError):
            money.to_minor(bad, "EUR")
    with pytest.raises(money.AmountError, match="unknown currency"):
        money.to_minor(1, "XYZ")


def test_dates() -> None:
    assert dates.to_utc("2024-01-15 08:00", "Europe/Berlin") == "2024-01-15T07:00:00Z"
    assert dates.to_utc("2024-07-15T08:00:00+02:00") == "2024-07-15T06:00:00Z"
    assert dates.to_utc(1700000000) == dates.to_utc(1700000000000) == "2023-11-14T22:13:20Z"
    assert dates.to_local("2024-01-01T12:00:00Z", "America/New_York") == "2024-01-01T07:00:00-05:00"
    assert dates.to_date("2024-01-15T23:30:00Z", "Asia/Tokyo") == "2024-01-16"
    assert dates.to_date("2024-02-29") == "2024-02-29"
    assert dates.to_utc("15.01.2024 08:00", "Europe/Berlin", "%d.%m.%Y %H:%M") == "2024-01-15T07:00:00Z"
    with pytest.raises(dates.DateError, match="unknown time zone"):
        dates.to_utc("2024-01-01", "Nowhere/City")
    with pytest.raises(dates.DateError):
        dates.to_utc(True)


def test_registered_functions_work_in_expressions_and_check_types() -> None:
    fns = weave_functions()
    expr = jp.compile("{p: to_e164(phone, 'DE'), m: to_minor(amount, 'EUR'), d: to_date(ts, 'UTC'),"
                      " l: merge_each(items, {c: 'EUR'})[].c, x: mul(`2`, `3`)}", functions=fns)
    assert expr.search({"phone": "030 1234567", "amount": "1.005", "ts": "2024-01-01T10:00:00Z",
                        "items": [{"a": 1}]}) == {"p": "+49301234567", "m": 101, "d": "2024-01-01",
                                                   "l": ["EUR"], "x": 6}
    with pytest.raises(ValueError, match="invalid type"):
        jp.compile("to_minor(`true`, 'EUR')", functions=fns).search({})
    assert set(jp.STANDARD).isdisjoint(set(fns.names()) - set(jp.STANDARD))
