"""Phone numbers to E.164 (`+<country code><national number>`), with a small country table.

Not a full numbering-plan database: it strips formatting, understands `+`/`00` international
prefixes and national trunk prefixes, and checks the length bounds E.164 allows (and, for the
countries below, the national number length). Enough for CRM data; no heavy dependency.
"""

from __future__ import annotations

import re

# ISO country -> (calling code, national trunk prefix to drop, allowed national lengths)
COUNTRIES: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "US": ("1", "1", (10,)),
    "CA": ("1", "1", (10,)),
    "GB": ("44", "0", (9, 10)),
    "IE": ("353", "0", (7, 8, 9)),
    "DE": ("49", "0", (6, 7, 8, 9, 10, 11)),
    "AT": ("43", "0", (4, 5, 6, 7, 8, 9, 10, 11, 12, 13)),
    "CH": ("41", "0", (9,)),
    "FR": ("33", "0", (9,)),
    "BE": ("32", "0", (8, 9)),
    "NL": ("31", "0", (9,)),
    "LU": ("352", "", (6, 7, 8, 9, 10, 11)),
    "ES": ("34", "", (9,)),
    "PT": ("351", "", (9,)),
    "IT": ("39", "", (6, 7, 8, 9, 10, 11)),  # Italian numbers keep their leading 0
    "DK": ("45", "", (8,)),
    "NO": ("47", "", (8,)),
    "SE": ("46", "0", (7, 8, 9)),
    "FI": ("358", "0", (5, 6, 7, 8, 9, 10)),
    "PL": ("48", "", (9,)),
    "CZ": ("420", "", (9,)),
    "AU": ("61", "0", (9,)),
    "NZ": ("64", "0", (8, 9, 10)),
    "JP": ("81", "0", (9, 10)),
    "IN": ("91", "0", (10,)),
    "BR": ("55", "0", (10, 11)),
    "MX": ("52", "", (10,)),
    "SG": ("65", "", (8,)),
    "ZA": ("27", "0", (9,)),
}
CALLING_CODES = {code for code, _, _ in COUNTRIES.values()}
_FORMATTING = re.compile(r"[\s\-./()\u00a0]")


class PhoneError(ValueError):
    """The value cannot be read as a phone number."""


def to_e164(phone: str | None, default_country: str) -> str | None:
    """`"030 1234567", "DE"` -> `"+49301234567"`. None/empty stays None; nonsense raises PhoneError."""
    if phone is None or not phone.strip():
        return None
    country = default_country.upper()
    if country not in COUNTRIES:
        raise PhoneError(f"unknown default country {default_country!r} (known: {', '.join(sorted(COUNTRIES))})")
    raw = _FORMATTING.sub("", phone.strip())
    if raw.startswith("+"):
        digits = raw[1:]
    elif raw.startswith("00"):
        digits = raw[2:]
    else:
        digits = ""
    if digits:
        if not digits.isdigit():
            raise PhoneError(f"not a phone number: {phone!r}")
        if not 8 <= len(digits) <= 15:
            raise PhoneError(f"an international number has 8 to 15 digits: {phone!r}")
        return "+" + digits
    if not raw.isdigit():
        raise PhoneError(f"not a phone number: {phone!r}")
    code, trunk, lengths = COUNTRIES[country]
    national = raw
    if trunk and national.startswith(trunk) and len(national) - len(trunk) in lengths:
        national = national[len(trunk):]
    if len(national) not in lengths:
        raise PhoneError(f"{phone!r} is not a valid {country} number (national length {len(national)})")
    return f"+{code}{national}"
