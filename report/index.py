"""The agency index: one score per agency for a period, ranked, with the change since the
period before. docs/reports.md gives the formula with an example.

    delivery      D = visits called within the standard / (visits called + visits unserved)
    satisfaction  S = (satisfied + K * S_center) / (ratings + K)
    index         I = 100 * (W * D + (1 - W) * S)

with W = :data:`DELIVERY_WEIGHT` and K = :data:`PRIOR_RATINGS`. S_center is the share of
satisfied ratings (4 or 5) of the whole center in the same period: an agency with few
ratings is scored close to the center, and one with none exactly at it, instead of at 0 %
or 100 % on the word of a handful of citizens. When the period has no rating at all, the
index is delivery alone (I = 100 * D). An agency with no visit in the period has no index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from server.tally.figures import Row

DELIVERY_WEIGHT = 0.5
PRIOR_RATINGS = 20.0


@dataclass(frozen=True, slots=True)
class IndexRow:
    agency: str
    delivery: float
    """D, in [0, 1]."""
    satisfaction: float | None
    """S, in [0, 1]; None when the center has no rating in the period."""
    ratings: int
    index: float
    """I, in [0, 100]."""
    rank: int
    previous: float | None = None
    """I in the period before; None if the agency had no visit then (or no data)."""
    previous_rank: int | None = None

    @property
    def change(self) -> float | None:
        """Points gained since the period before."""
        return None if self.previous is None else self.index - self.previous


def _scores(agencies: Sequence[Row], center: Row) -> list[tuple[str, float, float | None, int, float]]:
    prior = center.satisfied_share
    out = []
    for row in agencies:
        if row.within_share is None:
            continue  # no visit to judge
        delivery = row.within_share
        if prior is None:
            satisfaction, index = None, 100 * delivery
        else:
            satisfaction = (row.satisfied + PRIOR_RATINGS * prior) / (row.ratings + PRIOR_RATINGS)
            index = 100 * (DELIVERY_WEIGHT * delivery + (1 - DELIVERY_WEIGHT) * satisfaction)
        out.append((row.key, delivery, satisfaction, row.ratings, index))
    # Highest first; ties share no rank order but the code's, so the table is stable.
    out.sort(key=lambda s: (-round(s[4], 9), s[0]))
    return out


def agency_index(
    agencies: Sequence[Row], center: Row, before: Sequence[Row] = (), center_before: Row | None = None
) -> list[IndexRow]:
    """Rank the agencies of a period (``agencies``: rows of level "agency"); ``before`` and
    ``center_before`` are the period before's, for the change."""
    earlier: dict[str, tuple[float, int]] = {}
    if center_before is not None:
        for rank, (code, *_, index) in enumerate(_scores(before, center_before), start=1):
            earlier[code] = (index, rank)
    rows = []
    for rank, (code, delivery, satisfaction, ratings, index) in enumerate(_scores(agencies, center), start=1):
        previous, previous_rank = earlier.get(code, (None, None))
        rows.append(IndexRow(code, delivery, satisfaction, ratings, index, rank, previous, previous_rank))
    return rows
