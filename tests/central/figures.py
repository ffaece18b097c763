"""Checks of the central figures against the centers' own."""

from __future__ import annotations

import math

import numpy as np

from server.tally.figures import Figures, Row

COUNTS = ("tickets", "visits", "served", "no_shows", "transfers", "cancelled", "unserved", "waited", "within",
          "ratings", "satisfied", "promised")  # fmt: skip
"""The counts of a row: the nation's are the sums of the centers'."""


def assert_same_figures(got: Figures, expected: Figures) -> None:
    """Every row, hour and cell of the day x hour map is the same."""
    assert got.days == expected.days
    assert got.rows == expected.rows
    assert got.hours == expected.hours
    assert np.array_equal(got.grid_wait, expected.grid_wait, equal_nan=True)
    assert np.array_equal(got.grid_arrivals, expected.grid_arrivals)


def assert_sum(total: Row, parts: list[Row]) -> None:
    """``total``'s counts are the sums of ``parts``', its mean wait their weighted mean."""
    for name in COUNTS:
        values = [getattr(p, name) for p in parts]
        assert getattr(total, name) == sum(v or 0 for v in values), name
    for reason, n in total.reasons.items():
        assert n == sum(p.reasons[reason] for p in parts), reason
    waited = sum(p.waited for p in parts)
    if waited:
        mean = sum((p.wait_mean or 0) * p.waited for p in parts) / waited
        assert total.wait_mean is not None
        assert math.isclose(total.wait_mean, mean, rel_tol=1e-9)


def assert_national_is_the_sum(national: Figures, own: list[Figures]) -> None:
    """The nation's total row and each agency's row are the sums of the centers' own."""
    assert_sum(national.center, [f.center for f in own])
    for row in national.rows["agency"]:
        assert_sum(row, [r for f in own for r in f.rows["agency"] if r.key == row.key])
    for row in national.rows["service"]:
        assert_sum(row, [r for f in own for r in f.rows["service"] if r.key == row.key])
    assert sorted({d for f in own for d in f.days}) == national.days
