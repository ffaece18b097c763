"""The national report: every center's figures pooled, the agency index across all centers,
and each center's standing.

Each center's log is read into :class:`~report.facts.Facts` as for its own report (from the
central record, :mod:`central.reports`); its own :class:`~report.build.Report` is made from
them exactly as ``novbe report`` makes it in the hall. The facts of all centers are then
pooled (:func:`merge_facts`) and the same figures code computes the national figures from
the pool: counts are the sums of the centers' own counts, and waits, percentiles and shares
are those of every citizen of every center taken together (not means of means).

Ticket ids and counter numbers are only unique within a center (``20261130-A001`` is issued
everywhere that day): each center's log is read on its own, so tickets never meet across
centers, and in the pool counters and operators are renumbered and prefixed with their
center. Agencies and services keep their codes: they are national (``DMX`` is the same
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

from .build import NoDays, Report, report_of
from .facts import Facts
from .figures import Columns, Figures, Row, compute
from .index import IndexRow, agency_index
from .periods import Period


@dataclass(frozen=True, slots=True)
class CenterFacts:
    """One center's facts of the period and the one before, read from its log."""

    code: str
    center: Center
    facts: Facts
    log_days: tuple[date, date] | None = None


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


def merge_facts(parts: Sequence[tuple[str, Facts]]) -> Facts:
    """The facts of several centers as one: days in order, counters and operators kept apart.

    Day indices are remapped to the union of the days; visit indices shift; counter numbers
    are renumbered (1, 2, ... over the centers, 0 still "no counter") and operators become
    ``CODE/login``, so that counter 12 of one center is never counter 12 of another.
    """
    days = sorted({d for _, f in parts for d in f.days})
    position = {d: i for i, d in enumerate(days)}
    out = Facts(days=days, closed=[True] * len(days), still_open=[0] * len(days))
    counters: dict[tuple[str, int], int] = {}
    for code, f in parts:
        day = [position[d] for d in f.days]
        for i, d in enumerate(day):
            out.closed[d] = out.closed[d] and f.closed[i]
            out.still_open[d] += f.still_open[i]

        def counter(n: int, code: str = code) -> int:
            return counters.setdefault((code, n), len(counters) + 1) if n else 0

        def operator(login: str, code: str = code) -> str:
            return f"{code}/{login}" if login else ""

        shift = len(out.v_day)
        out.t_day += [day[i] for i in f.t_day]
        out.t_hour += f.t_hour
        out.t_service += f.t_service
        out.t_agency += f.t_agency
        out.t_visit += [v + shift for v in f.t_visit]
        out.t_low += f.t_low
        out.t_high += f.t_high
        out.v_day += [day[i] for i in f.v_day]
        out.v_hour += f.v_hour
        out.v_start += f.v_start
        out.v_service += f.v_service
        out.v_agency += f.v_agency
        out.v_wait += f.v_wait
        out.v_end += f.v_end
        out.v_counter += [counter(n) for n in f.v_counter]
        out.v_operator += [operator(o) for o in f.v_operator]
        out.o_kind += f.o_kind
        out.o_day += [day[i] for i in f.o_day]
        out.o_service += f.o_service
        out.o_agency += f.o_agency
        out.o_counter += [counter(n) for n in f.o_counter]
        out.o_operator += [operator(o) for o in f.o_operator]
        out.o_minutes += f.o_minutes
        out.r_day += [day[i] for i in f.r_day]
        out.r_service += f.r_service
        out.r_agency += f.r_agency
        out.r_counter += [counter(n) for n in f.r_counter]
        out.r_operator += [operator(o) for o in f.r_operator]
        out.r_score += f.r_score
        out.r_reasons += f.r_reasons
        out.events += f.events
        out.unreadable += f.unreadable
        out.skipped += f.skipped
        for service, agency in f.agency_of.items():
            out.agency_of.setdefault(service, agency)
    return out


def center_row(row: Row, code: str) -> Row:
    """A center's total row, keyed by its code (the rows of the centers' table and standing)."""
    return dataclasses.replace(row, level="center", key=code)


def national_report(parts: Sequence[CenterFacts], period: Period) -> NationalReport:
    """Every center's report, the pooled figures, the national index and the centers' standing.

    Raises:
        NoDays: No center has a service day in ``period``.
    """
    previous = period.previous()
    parts = sorted(parts, key=lambda p: p.code)
    active = [p for p in parts if any(d in period for d in p.facts.days)]
    if not active:
        raise NoDays(period)
    reports = [report_of(p.facts, p.center, period, log_days=p.log_days) for p in active]
    standards = {p.center.rules.wait_standard_min for p in parts}
    merged = merge_facts([(p.code, p.facts) for p in parts])
    per_visit = [p.center.rules.wait_standard_min for p in parts for _ in p.facts.v_day]
    common = standards.pop() if len(standards) == 1 else None
    columns = Columns(
        merged, common if common is not None else 0.0, None if common is not None else per_visit
    )
    now = compute(columns, [d for d in merged.days if d in period])
    before = compute(columns, [d for d in merged.days if d in previous])
    index = agency_index(
        now.rows["agency"], now.center, before.rows["agency"], before.center if before.days else None
    )
    earlier = [
        center_row(r.before.center, p.code) for p, r in zip(active, reports, strict=True) if r.before.days
    ]
    standing = agency_index(
        [center_row(r.figures.center, p.code) for p, r in zip(active, reports, strict=True)],
        now.center,
        earlier,
        before.center if before.days else None,
    )
    return NationalReport(
        period=period,
        previous=previous,
        centers=reports,
        codes=[p.code for p in active],
        missing=[p.code for p in parts if p.code not in {a.code for a in active}],
        figures=now,
        before=before,
        index=index,
        standing=standing,
        standard_min=common,
        events=merged.events,
        skipped=merged.skipped,
        unreadable=merged.unreadable,
    )
