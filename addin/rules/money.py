"""Money arithmetic: Decimal, rounded half-up (away from zero, as Excel's ROUND) to cents."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
# one dot followed by groups of exactly three digits, no comma: Italian thousands ("12.500" = 12500)
_THOUSANDS_DOT = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$")
_THOUSANDS_COMMA = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+$")
# the integer part of a number written with both separators: plain, or in well-formed groups of three
_INT_GROUPED = {".": re.compile(r"^[+-]?(\d+|[1-9]\d{0,2}(\.\d{3})+)$"),
                ",": re.compile(r"^[+-]?(\d+|[1-9]\d{0,2}(,\d{3})+)$")}
ZERO = Decimal("0.00")


def money(value: Decimal | int | str | float | None) -> Decimal:
    """Round to cents, half away from zero. Floats go through repr so 0.1 stays 0.10."""
    if value is None:
        return ZERO
    if isinstance(value, float):
        value = Decimal(repr(value))
    elif not isinstance(value, Decimal):
        value = Decimal(value)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_str(value: Decimal) -> str:
    """An amount as a machine-readable string with two decimals ("1234.50"), as the JSON outputs give it."""
    return f"{money(value):.2f}"


def to_decimal(value: object) -> Decimal | None:
    """Parse a number written the Italian or the international way; None if it is not one.

    Text: "1.234,56", "1,234.56", "1234,5", "12.500" (Italian thousands), "€ 1.234,56", "EUR 10",
    "1'234,50"; the last separator is the decimal one when both appear."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        d = Decimal(repr(value))
        return d if d.is_finite() else None
    if isinstance(value, str):
        s = value.strip().replace("€", "").replace("\u00a0", "").replace(" ", "").replace("'", "")
        if s[:3].upper() == "EUR":
            s = s[3:]
        if not s:
            return None
        # thousands separators only in well-formed groups of three: "1.234.5" is not a number
        if "," in s and "." in s:  # the last separator is the decimal one: 1.234,56 or 1,234.56
            dec = "," if s.rfind(",") > s.rfind(".") else "."
            whole, _, frac = s.rpartition(dec)
            if not _INT_GROUPED["." if dec == "," else ","].match(whole) or not frac.isdigit():
                return None
            s = whole.replace(".", "").replace(",", "") + "." + frac
        elif s.count(",") == 1:  # Italian decimal comma: 1234,56
            s = s.replace(",", ".")
        elif s.count(",") > 1:  # thousands only: 1,234,567
            if not _THOUSANDS_COMMA.match(s):
                return None
            s = s.replace(",", "")
        elif s.count(".") > 1 or _THOUSANDS_DOT.match(s):  # Italian thousands only: 1.234.567, 12.500
            if not _THOUSANDS_DOT.match(s):
                return None
            s = s.replace(".", "")
        try:
            d = Decimal(s)
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


def ratio(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole as an unrounded Decimal, 0 when whole is 0."""
    if whole == 0:
        return Decimal(0)
    return part / whole


def percent(r: Decimal) -> Decimal:
    """A ratio as a percentage rounded half-up to two decimals (0.136398 -> 13.64)."""
    return (r * 100).quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` (cents) proportionally to `weights` so that the parts add up exactly.

    Largest-remainder method; ties go to the earlier weight. Parts are never negative.
    """
    total = money(total)
    wsum = sum(weights, Decimal(0))
    if not weights:
        return []
    if wsum <= 0:
        return [ZERO for _ in weights]
    cents = int(total / CENT)
    raw = [Decimal(cents) * w / wsum for w in weights]
    floors = [int(r) for r in raw]
    rest = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:rest]:
        floors[i] += 1
    return [Decimal(c) * CENT for c in floors]


def fmt_eur(value: Decimal) -> str:
    """Italian money format: 1.234,56 €"""
    s = f"{money(value):,.2f}"
    return s.replace(",", "X").replace(".", ",").replace("X", ".") + " €"


def fmt_pct(r: Decimal) -> str:
    return f"{percent(r):.2f}".replace(".", ",") + "%"


def fmt_num(value: Decimal) -> str:
    """A quantity (hours) in Italian, without trailing zeros or exponent: 173, 180,5, 1200."""
    return f"{value.normalize():f}".replace(".", ",")
