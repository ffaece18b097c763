"""A report of one period: read the log once, compute the figures of the period and of
the period before, rank the agencies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from server.center import Center
from server.tally.facts import EventLog, Facts, day_starts, read_facts
from server.tally.figures import Columns, Figures, compute

from .index import IndexRow, agency_index
from .periods import Period


class NoDays(ValueError):
    """No service day of the log falls in the period asked for."""


@dataclass(frozen=True, slots=True)
class Report:
    center: Center
    period: Period
    previous: Period
    figures: Figures
    before: Figures
    """The period before (for the index's change)."""
    index: list[IndexRow]
    events: int
    """Events read (both periods)."""
    skipped: Counter[str] = field(default_factory=Counter)
    """Events of types this version doesn't know."""
    unreadable: int = 0
    log_days: tuple[date, date] | None = None
    """The first and last service day in the whole log."""


def events_in(store: EventLog, starts: list[tuple[int, date]], first: date, last: date) -> int:
    """About how many events the days ``first`` to ``last`` hold (for a progress bar)."""
    seqs = [seq for seq, day in starts if first <= day]
    if not seqs:
        return 0
    after = [seq for seq, day in starts if day > last]
    return (after[0] if after else store.last_seq() + 1) - seqs[0]


def build_report(
    store: EventLog,
    center: Center,
    period: Period,
    *,
    progress: Callable[[int], None] | None = None,
    starts: list[tuple[int, date]] | None = None,
) -> Report:
    """Read the period and the one before from ``store`` and compute everything.

    Raises:
        NoDays: The log has no service day in ``period``.
    """
    starts = day_starts(store) if starts is None else starts
    if not any(day in period for _, day in starts):
        raise NoDays(period)
    facts = read_period(store, center, period, starts=starts, progress=progress)
    return report_of(facts, center, period, log_days=(starts[0][1], starts[-1][1]))


def read_period(
    store: EventLog,
    center: Center,
    period: Period,
    *,
    starts: list[tuple[int, date]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Facts:
    """The facts of ``period`` and of the one before, from ``store``, in one pass."""
    previous = period.previous()
    return read_facts(
        store,
        previous.first,
        period.last,
        center.hours.tz,
        service_agency={s.code: a.code for a in center.agencies for s in a.services},
        starts=starts,
        progress=progress,
    )


def report_of(
    facts: Facts, center: Center, period: Period, *, log_days: tuple[date, date] | None = None
) -> Report:
    """The report of ``period`` from the facts :func:`read_period` read."""
    return report_and_columns(facts, center, period, log_days=log_days)[0]


def report_and_columns(
    facts: Facts, center: Center, period: Period, *, log_days: tuple[date, date] | None = None
) -> tuple[Report, Columns]:
    """:func:`report_of`, and the columns it was computed from (to pool with other centers')."""
    previous = period.previous()
    columns = Columns(facts, center.rules.wait_standard_min)
    now = compute(columns, [d for d in facts.days if d in period])
    before = compute(columns, [d for d in facts.days if d in previous])
    index = agency_index(
        now.rows["agency"],
        now.center,
        before.rows["agency"],
        before.center if before.days else None,
    )
    report = Report(
        center=center,
        period=period,
        previous=previous,
        figures=now,
        before=before,
        index=index,
        events=facts.events,
        skipped=facts.skipped,
        unreadable=facts.unreadable,
        log_days=log_days,
    )
    return report, columns
