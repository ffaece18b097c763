"""The national report: every center's figures pooled, the agency index across all centers,
and each center's standing.

Each center's log is read into :class:`~report.facts.Facts` as for its own report (from the
central record, :mod:`central.reports`); its own :class:`~report.build.Report` is made from
them exactly as ``novbe report`` makes it in the hall (:meth:`CenterPart.of`). The columns
of all centers are then pooled (:meth:`~report.figures.Columns.pooled`) and the same figures
code computes the national figures from the pool: counts are the sums of the centers' own
counts, and waits, percentiles and shares are those of every citizen of every center taken
together (not means of means).

Ticket ids and counter numbers are only unique within a center (``20261130-A001`` is issued
everywhere that day): each center's log is read on its own, so tickets never meet across
centers, and in the pool counters and operators are renumbered and operators prefixed with
their center. Agencies and services keep their codes: they are national (``DMX`` is the same
agency in every center).

The index is the agency index of docs/reports.md, over the pool: D and S of an agency are
those of all its citizens in every center, S pulled towards the national share of satisfied
ratings. A center's standing is the same formula applied to the center as a whole (its D
over all its visits, its S pulled towards the national share); and each agency's index *at*
a center is that center's own index, as its own report shows it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from server.center import Center
from server.tally.facts import Facts
from server.tally.figures import Columns, Figures, Row, compute

from .build import NoDays, Report, report_and_columns
from .index import IndexRow, agency_index
from .periods import Period


@dataclass(frozen=True, slots=True)
class CenterPart:
    """One center in the national report: its own report, and the columns it was computed
    from (slim: :meth:`Columns.slim`)."""

    code: str
    report: Report
    columns: Columns

    @classmethod
    def of(
        cls, code: str, facts: Facts, center: Center, period: Period, log_days: tuple[date, date] | None
    ) -> CenterPart:
        """The center's own report of ``period`` from its facts (of the period and the one before)."""
        report, columns = report_and_columns(facts, center, period, log_days=log_days)
        return cls(code, report, columns.slim())


@dataclass(frozen=True, slots=True)
class NationalReport:
    period: Period
    previous: Period
    centers: list[Report]
    """Each center's own report, for the centers with a service day in the period, by code."""
    codes: list[str]
    """Their codes, in the same order."""
    missing: list[str]
    """Centers with no service day in the period."""
    figures: Figures
    """Every center's figures pooled."""
    before: Figures
    index: list[IndexRow]
    """The agencies ranked, over every center."""
    standing: list[IndexRow]
    """The centers ranked (``IndexRow.agency`` holds the center's code)."""
    standard_min: float | None
    """The wait standard, when every center has the same; None when they differ (each
    center's visits are then judged by its own)."""
    events: int
    skipped: Counter[str]
    unreadable: int

    def center_rows(self) -> list[Row]:
        """Each center's total row (its own report's), keyed by its code."""
        return [center_row(r.figures.center, code) for code, r in zip(self.codes, self.centers, strict=True)]

    def index_at(self) -> dict[str, dict[str, IndexRow]]:
        """Agency -> center -> the agency's index at that center (the center's own report's)."""
        out: dict[str, dict[str, IndexRow]] = {}
        for code, report in zip(self.codes, self.centers, strict=True):
            for row in report.index:
                out.setdefault(row.agency, {})[code] = row
        return out


def center_row(row: Row, code: str) -> Row:
    """A center's total row, keyed by its code (the rows of the centers' table and standing)."""
    return dataclasses.replace(row, level="center", key=code)


def national_report(parts: Sequence[CenterPart], period: Period) -> NationalReport:
    """The pooled figures, the national index and the centers' standing, from each center's
    part (its own report and columns, :meth:`CenterPart.of`).

    Raises:
        NoDays: No center has a service day in ``period``.
    """
    previous = period.previous()
    parts = sorted(parts, key=lambda p: p.code)
    active = [p for p in parts if p.report.figures.days]
    if not active:
        raise NoDays(period)
    standards = {p.report.center.rules.wait_standard_min for p in parts}
    common = standards.pop() if len(standards) == 1 else None
    columns = Columns.pooled([(p.code, p.columns) for p in parts])
    columns.standard = common if common is not None else 0.0
    days = columns.facts.days
    now = compute(columns, [d for d in days if d in period])
    before = compute(columns, [d for d in days if d in previous])
    index = agency_index(
        now.rows["agency"], now.center, before.rows["agency"], before.center if before.days else None
    )
    standing = agency_index(
        [center_row(p.report.figures.center, p.code) for p in active],
        now.center,
        [center_row(p.report.before.center, p.code) for p in active if p.report.before.days],
        before.center if before.days else None,
    )
    facts = columns.facts
    return NationalReport(
        period=period,
        previous=previous,
        centers=[p.report for p in active],
        codes=[p.code for p in active],
        missing=[p.code for p in parts if not p.report.figures.days],
        figures=now,
        before=before,
        index=index,
        standing=standing,
        standard_min=common,
        events=facts.events,
        skipped=facts.skipped,
        unreadable=facts.unreadable,
    )
