"""The agency index: the documented formula, the ranking, the change."""

from __future__ import annotations

import pytest

from report.index import agency_index
from server.tally.figures import REASONS, Row


def make(
    key: str, *, within: float | None, ratings: int = 0, satisfied: int = 0, level: str = "agency"
) -> Row:
    return Row(
        level=level, key=key, tickets=100, visits=100, served=100, no_shows=0, transfers=0, cancelled=0,
        unserved=0, waited=100, wait_mean=1.0, wait_median=1.0, wait_p90=1.0, wait_max=1.0,
        within=0 if within is None else round(100 * within), within_share=within, service_mean=1.0,
        service_p90=1.0, ratings=ratings, rating_mean=None, satisfied=satisfied,
        satisfied_share=satisfied / ratings if ratings else None, reasons=dict.fromkeys(REASONS, 0),
        outcomes={}, promised=0, promise_inside=None, promise_later=None,
    )  # fmt: skip


def test_index_is_half_delivery_half_satisfaction_shrunk_to_the_center() -> None:
    center = make("", within=0.9, ratings=100, satisfied=90, level="center")
    few = make("A", within=1.0, ratings=5, satisfied=5)
    many = make("B", within=0.8, ratings=200, satisfied=180)
    a, b = agency_index([few, many], center)
    # A: S = (5 + 20 * 0.9) / (5 + 20) = 0.92; B: S = (180 + 18) / 220 = 0.9.
    assert (a.agency, a.satisfaction, a.index) == ("A", pytest.approx(0.92), pytest.approx(96.0))
    assert (b.agency, b.satisfaction, b.index) == ("B", pytest.approx(0.9), pytest.approx(85.0))
    assert (a.rank, b.rank) == (1, 2)


def test_agency_without_ratings_is_scored_at_the_center() -> None:
    center = make("", within=0.9, ratings=50, satisfied=40, level="center")
    (row,) = agency_index([make("A", within=0.5)], center)
    assert row.satisfaction == pytest.approx(0.8)
    assert row.index == pytest.approx(65.0)


def test_without_any_rating_the_index_is_delivery_alone() -> None:
    center = make("", within=0.9, level="center")
    (row,) = agency_index([make("A", within=0.75)], center)
    assert (row.satisfaction, row.index) == (None, pytest.approx(75.0))


def test_agency_without_visits_has_no_index_and_ties_rank_by_code() -> None:
    center = make("", within=1.0, level="center")
    rows = agency_index([make("Z", within=1.0), make("N", within=None), make("A", within=1.0)], center)
    assert [(r.agency, r.rank) for r in rows] == [("A", 1), ("Z", 2)]


def test_change_and_previous_rank_come_from_the_period_before() -> None:
    center = make("", within=1.0, level="center")
    now = [make("A", within=0.9), make("B", within=0.8), make("C", within=0.7)]
    before = [make("A", within=0.6), make("B", within=0.85)]
    rows = agency_index(now, center, before, center)
    assert [(r.agency, r.previous_rank, r.change) for r in rows] == [
        ("A", 2, pytest.approx(30.0)),
        ("B", 1, pytest.approx(-5.0)),
        ("C", None, None),
    ]
