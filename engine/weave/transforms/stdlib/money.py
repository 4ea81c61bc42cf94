"""Amounts and currencies: minor units, rounding (half-up, like invoices), formatting.

Amounts are read through `Decimal(str(x))`, so 0.1 + 0.2 problems never reach the result.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor-unit exponents that differ from 2
EXPONENTS: dict[str, int] = {
    "JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0, "HUF": 2,
    "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}
KNOWN = frozenset(
    {"EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "AUD", "CAD", "NZD", "SGD", "INR", "BRL",
     "MXN", "ZAR", "CNY", "HKD"} | set(EXPONENTS)
)


class AmountError(ValueError):
    """The value is not an amount, or the currency is unknown."""


def exponent(currency: str) -> int:
    code = currency.upper()
    if code not in KNOWN:
        raise AmountError(f"unknown currency {currency!r}")
    return EXPONENTS.get(code, 2)


def to_decimal(amount: object) -> Decimal:
    if isinstance(amount, bool) or amount is None:
        raise AmountError(f"not an amount: {amount!r}")
    try:
        value = Decimal(str(amount).strip().replace(",", "")) if isinstance(amount, str) else Decimal(str(amount))
    except InvalidOperation:
        raise AmountError(f"not an amount: {amount!r}") from None
    if not value.is_finite():
        raise AmountError(f"not a finite amount: {amount!r}")
    return value


def to_minor(amount: object, currency: str) -> int:
    """12.345 EUR -> 1235 (half-up); 1500 JPY -> 1500."""
    exp = exponent(currency)
    return int((to_decimal(amount) * (Decimal(10) ** exp)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor(minor: object, currency: str) -> float:
    """1235 EUR -> 12.35 (a JSON number)."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise AmountError(f"minor units must be an integer, not {minor!r}")
    return float(Decimal(minor) / (Decimal(10) ** exponent(currency)))


def round_amount(amount: object, currency: str) -> float:
    """Round to the currency's minor unit, half-up: 2.675 EUR -> 2.68."""
    exp = exponent(currency)
    quantum = Decimal(1).scaleb(-exp)
    return float(to_decimal(amount).quantize(quantum, rounding=ROUND_HALF_UP))


def format_amount(amount: object, currency: str) -> str:
    """A fixed-point string with exactly the currency's decimals: 5 EUR -> "5.00"."""
    exp = exponent(currency)
    quantum = Decimal(1).scaleb(-exp)
    return str(to_decimal(amount).quantize(quantum, rounding=ROUND_HALF_UP))
