"""Periods: parsing, length, the period before."""

from __future__ import annotations

from datetime import date

import pytest

from report.periods import PeriodError, day, parse_month, parse_week, span, week


def test_week_is_monday_to_sunday_whatever_day_names_it() -> None:
    assert parse_week("2026-W48") == parse_week("2026-11-26") == week(date(2026, 11, 29))
    w = parse_week("2026-W48")
    assert (w.first, w.last, w.days, w.slug) == (date(2026, 11, 23), date(2026, 11, 29), 7, "2026-W48")


def test_previous_period_has_the_same_length_before_it() -> None:
    assert day(date(2026, 3, 1)).previous() == day(date(2026, 2, 28))
    assert parse_week("2026-W01").previous().slug == "2025-W52"
    assert span(date(2026, 11, 10), date(2026, 11, 19)).previous() == span(
        date(2026, 10, 31), date(2026, 11, 9)
    )


def test_previous_month_is_the_calendar_month_before() -> None:
    march = parse_month("2026-03")
    assert (march.first, march.last, march.slug) == (date(2026, 3, 1), date(2026, 3, 31), "2026-03")
    february = march.previous()
    assert (february.first, february.last) == (date(2026, 2, 1), date(2026, 2, 28))
    assert parse_month("2026-01").previous().slug == "2025-12"


@pytest.mark.parametrize("text", ["2026-1", "26-11", "2026-00", "November"])
def test_month_must_be_year_and_month(text: str) -> None:
    with pytest.raises(PeriodError, match="write YYYY-MM"):
        parse_month(text)


def test_period_holds_its_days_only() -> None:
    w = parse_week("2026-W48")
    assert date(2026, 11, 23) in w
    assert date(2026, 11, 30) not in w
    assert "2026-11-23" not in w
