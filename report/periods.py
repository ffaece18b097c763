"""Periods of a report: a day, an ISO week, a calendar month, or any range of days."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Kind = Literal["day", "week", "month", "range"]


class PeriodError(ValueError):
    """A period given on the command line can't be read."""


@dataclass(frozen=True, slots=True)
class Period:
    """Service days ``first`` to ``last``, both included."""

    kind: Kind
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def previous(self) -> Period:
        """The period of the same length just before: the day, the week or the month before;
        for a range, as many days ending the day before it starts."""
        if self.kind == "month":
            last = self.first - timedelta(days=1)
            return month(last.year, last.month)
        length = timedelta(days=self.days)
        return Period(self.kind, self.first - length, self.last - length)

    @property
    def slug(self) -> str:
        """A name for files: ``2026-11-23``, ``2026-W48``, ``2026-11``, ``2026-11-01_2026-11-15``."""
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        return f"{self.first.isoformat()}_{self.last.isoformat()}"


def day(value: date) -> Period:
    return Period("day", value, value)


def week(value: date) -> Period:
    """The ISO week (Monday to Sunday) that holds ``value``."""
    monday = value - timedelta(days=value.weekday())
    return Period("week", monday, monday + timedelta(days=6))


def month(year: int, number: int) -> Period:
    return Period("month", date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1]))


def span(first: date, last: date) -> Period:
    if last < first:
        raise PeriodError(f"the range ends ({last}) before it starts ({first})")
    return Period("range", first, last)


def parse_date(text: str) -> date:
    """``YYYY-MM-DD``; raises :class:`PeriodError` naming the expected form."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{text!r} is not a date: write YYYY-MM-DD, e.g. 2026-11-23") from None


def parse_week(text: str) -> Period:
    """``YYYY-Www`` (an ISO week) or any date inside the week."""
    m = re.fullmatch(r"(\d{4})-W(\d{2})", text)
    if m:
        try:
            return week(date.fromisocalendar(int(m[1]), int(m[2]), 1))
        except ValueError:
            raise PeriodError(f"{text!r}: no such week") from None
    try:
        return week(date.fromisoformat(text))
    except ValueError:
        raise PeriodError(f"{text!r} is not a week: write YYYY-Www (2026-W48) or a date in it") from None


def parse_month(text: str) -> Period:
    """``YYYY-MM``."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not m or not 1 <= int(m[2]) <= 12:
        raise PeriodError(f"{text!r} is not a month: write YYYY-MM, e.g. 2026-11")
    return month(int(m[1]), int(m[2]))
