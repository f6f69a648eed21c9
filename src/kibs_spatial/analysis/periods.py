"""Periods as the data label them: years, half-years, quarters, months.

A period keeps its label (``2022``, ``2024.1/2``, ``2024 2/4``, ``2023.03``, ``2024 상반기``) and
knows where it sits in time: ``start`` is the decimal year of its first day (2024.5 for the second
half of 2024), ``end`` its last day (which decides the KSIC revision in force, see
``reference.ksic.revision_on``). Growth between two periods is measured over
``years = start_b - start_a``.

Examples
--------
>>> parse_period("2024.2/2")
Period(label='2024.2/2', year=2024, part=2, parts=2)
>>> parse_period("2024 2/4").start, parse_period("2023.03").end
(2024.25, datetime.date(2023, 3, 31))
>>> parse_period("total") is None
True
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

_PATTERNS = (
    re.compile(r"^(?P<year>\d{4})\s*년?$"),
    re.compile(r"^(?P<year>\d{4})\s*[.\-]?\s*(?P<part>\d)\s*/\s*(?P<parts>[24])$"),
    re.compile(r"^(?P<year>\d{4})\s*년?\s*(?P<half>상반기|하반기)$"),
    re.compile(r"^(?P<year>\d{4})\s*[.\-]\s*(?P<month>\d{2})\s*월?$"),
    re.compile(r"^(?P<year>\d{4})\s*[-\s]?Q(?P<quarter>[1-4])$", re.I),
)


@dataclass(frozen=True)
class Period:
    """One period: its label, year, and its part of the year (``part`` of ``parts``; 1 of 1 for a year)."""

    label: str
    year: int
    part: int = 1
    parts: int = 1

    @property
    def start(self) -> float:
        """Decimal year of the first day: ``year + (part - 1) / parts``."""
        return self.year + (self.part - 1) / self.parts

    @property
    def end(self) -> datetime.date:
        """The last day of the period."""
        month = 12 * self.part // self.parts
        return datetime.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def sort_key(self) -> tuple[float, int]:
        return self.start, self.parts


def parse_period(label: object) -> Period | None:
    """The period a label stands for, or ``None`` when it is not a period label."""
    text = str(label).strip().lstrip("'").strip()
    for pattern in _PATTERNS:
        match = pattern.match(text)
        if not match or not 1900 < int(match["year"]) < 2200:
            continue
        groups = match.groupdict()
        year = int(groups["year"])
        if groups.get("part"):
            part, parts = int(groups["part"]), int(groups["parts"])
            if not 1 <= part <= parts:
                return None
            return Period(text, year, part, parts)
        if groups.get("half"):
            return Period(text, year, 1 if groups["half"] == "상반기" else 2, 2)
        if groups.get("month"):
            month = int(groups["month"])
            return Period(text, year, month, 12) if 1 <= month <= 12 else None
        if groups.get("quarter"):
            return Period(text, year, int(groups["quarter"]), 4)
        return Period(text, year)
    return None


def order_periods(labels) -> tuple[Period, ...]:
    """The distinct periods of ``labels`` in time order; ``ValueError`` names a label that is not a period
    or two labels of the same period."""
    periods: dict[str, Period] = {}
    for label in dict.fromkeys(str(v) for v in labels):
        period = parse_period(label)
        if period is None:
            raise ValueError(f"{label!r} is not a period (a year such as 2022, a half-year 2024.1/2, a quarter "
                             "2024 2/4 or a month 2023.03)")
        periods[label] = period
    ordered = sorted(periods.values(), key=lambda p: p.sort_key)
    for a, b in zip(ordered, ordered[1:]):
        if a.sort_key == b.sort_key:
            raise ValueError(f"periods {a.label!r} and {b.label!r} are the same period written twice")
    return tuple(ordered)


def years_between(first: Period, last: Period) -> float:
    """Years from the start of ``first`` to the start of ``last`` (the exponent base of growth rates)."""
    return last.start - first.start
