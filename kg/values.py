"""Registry value strings turned into typed literals: dates, ages, numbers.

Each function returns the literal and, when the text is not of the expected form, keeps it as
a plain string so that nothing is lost and SHACL can flag it (``typed`` is then False).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from kg.terms import (
    XSD_DATE,
    XSD_DATETIME,
    XSD_DECIMAL,
    XSD_DOUBLE,
    XSD_DURATION,
    XSD_GYEAR,
    XSD_GYEARMONTH,
    XSD_INTEGER,
    Lit,
)

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_DATETIME_MINUTES = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")
_AGE_UNITS = {
    "year": ("Y", 1, False),
    "month": ("M", 1, False),
    "week": ("D", 7, False),
    "day": ("D", 1, False),
    "hour": ("H", 1, True),
    "minute": ("M", 1, True),
}
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def partial_date(text: str) -> tuple[Lit, bool]:
    """``2026-01-20`` as xsd:date, ``2026-01`` as xsd:gYearMonth, ``2026`` as xsd:gYear."""
    m = _DATE.match(text)
    if m is None:
        return Lit(text), False
    year, month, day = m.groups()
    if month is None:
        return Lit(text, XSD_GYEAR), True
    if not 1 <= int(month) <= 12:
        return Lit(text), False
    if day is None:
        return Lit(text, XSD_GYEARMONTH), True
    if not 1 <= int(day) <= _DAYS_IN_MONTH[int(month) - 1]:
        return Lit(text), False
    if month == "02" and day == "29" and not _leap(int(year)):
        return Lit(text), False
    return Lit(text, XSD_DATE), True


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def date_time(text: str) -> tuple[Lit, bool]:
    """``2019-11-04T13:16`` (the registry's minutes) as xsd:dateTime ``2019-11-04T13:16:00``."""
    if _DATETIME_MINUTES.match(text) is None or not partial_date(text[:10])[1]:
        return Lit(text), False
    return Lit(text if len(text) > 16 else text + ":00", XSD_DATETIME), True


def age(text: str) -> tuple[Lit, bool]:
    """An age such as ``18 Years`` or ``6 Months`` as an xsd:duration (``P18Y``, ``P6M``)."""
    m = _AGE.match(text)
    if m is None:
        return Lit(text), False
    number, unit = m.groups()
    spec = _AGE_UNITS.get(unit.lower().rstrip("s"))
    if spec is None or "." in number:
        return Lit(text), False
    designator, factor, is_time = spec
    amount = int(number) * factor
    return Lit(
        f"PT{amount}{designator}" if is_time else f"P{amount}{designator}", XSD_DURATION
    ), True


def decimal(value: float | int) -> Lit:
    """A JSON number as an xsd:decimal in canonical form (``101.0``, ``-74.00597``, no exponent)."""
    if type(value) is int:
        return Lit(f"{value}.0", XSD_DECIMAL)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    text = repr(value)
    if "e" not in text:  # a float's repr without exponent is canonical
        return Lit(text, XSD_DECIMAL)
    text = format(Decimal(text), "f")
    if "." not in text:
        return Lit(text + ".0", XSD_DECIMAL)
    text = text.rstrip("0")
    return Lit(text + "0" if text.endswith(".") else text, XSD_DECIMAL)


_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+)$")
_DOUBLE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+$")
_COMPARED = re.compile(r"^\s*(<=|>=|≤|≥|<|>|=)?\s*(.*?)\s*$")


def numeric(text: str) -> tuple[Lit, bool]:
    """A number the registry sends as text (``"8"``, ``"19.63"``) as xsd:integer or xsd:decimal.

    The lexical form is kept as written; text that is no number (``"NA"``) stays text.
    """
    stripped = text.strip()
    if _INTEGER.match(stripped):
        return Lit(stripped, XSD_INTEGER), True
    if _DECIMAL.match(stripped):
        return Lit(stripped, XSD_DECIMAL), True
    if _DOUBLE.match(stripped):
        return Lit(stripped, XSD_DOUBLE), True
    return Lit(text), False


def compared(text: str) -> tuple[str, Lit] | None:
    """A value such as a p-value written ``<0.001`` or ``=0.247``: its comparator and number."""
    m = _COMPARED.match(text)
    if m is None:
        return None
    number, ok = numeric(m.group(2))
    if not ok:
        return None
    sign = {"≤": "<=", "≥": ">="}.get(m.group(1), m.group(1) or "=")
    return sign, number
