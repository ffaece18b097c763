"""The center's working days and hours as the welcome carries them: when does it open next."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from pydantic import ValidationError

from wire.messages import CenterInfo

CENTER = CenterInfo(
    code="DEMO",
    name={"az": "Mərkəz"},
    timezone="Asia/Baku",
    opens=time(9),
    closes=time(19),
    days=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat"),
)


def baku(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+04:00")


@pytest.mark.parametrize(
    ("now", "opens"),
    [
        ("2026-11-24T08:00", "2026-11-24T09:00"),  # a Tuesday morning: today
        ("2026-11-24T09:00", "2026-11-25T09:00"),  # open now: the next opening is tomorrow's
        ("2026-11-24T20:30", "2026-11-25T09:00"),  # Tuesday evening
        ("2026-11-28T19:00", "2026-11-30T09:00"),  # Saturday at closing: Monday
        ("2026-11-29T12:00", "2026-11-30T09:00"),  # Sunday
    ],
)
def test_center_says_when_it_opens_next(now: str, opens: str) -> None:
    assert CENTER.next_opening(baku(now)) == baku(opens)


def test_next_opening_is_in_the_centers_time_zone() -> None:
    # 23:30 UTC on Saturday is already 03:30 on Sunday in Baku.
    after = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    opening = CENTER.next_opening(after)
    assert opening == baku("2026-11-30T09:00")
    assert opening.utcoffset() == baku("2026-11-30T09:00").utcoffset()


def test_working_days() -> None:
    assert CENTER.opens_on(date(2026, 11, 28))  # Saturday
    assert not CENTER.opens_on(date(2026, 11, 29))  # Sunday


def test_a_center_without_days_is_refused() -> None:
    with pytest.raises(ValidationError):
        CenterInfo.model_validate({**CENTER.model_dump(), "days": []})


def test_a_welcome_without_days_reads_as_every_day() -> None:
    older = CENTER.model_dump()
    del older["days"]
    assert CenterInfo.model_validate(older).opens_on(date(2026, 11, 29))
