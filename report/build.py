"""A report of one period: read the log once, compute the figures of the period and of
the period before, rank the agencies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from server.center import Center
from server.store import EventStore
from server.tally.facts import day_starts, read_facts
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


def events_in(store: EventStore, starts: list[tuple[int, date]], first: date, last: date) -> int:
    """About how many events the days ``first`` to ``last`` hold (for a progress bar)."""
    seqs = [seq for seq, day in starts if first <= day]
    if not seqs:
        return 0
    after = [seq for seq, day in starts if day > last]
    return (after[0] if after else store.last_seq() + 1) - seqs[0]


def build_report(
    store: EventStore,
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
    log_days = (starts[0][1], starts[-1][1]) if starts else None
    if not any(day in period for _, day in starts):
        raise NoDays(period)
    previous = period.previous()
    services = {s.code: a.code for a in center.agencies for s in a.services}
    facts = read_facts(
        store,
        previous.first,
        period.last,
        center.hours.tz,
        service_agency=services,
        starts=starts,
        progress=progress,
    )
    columns = Columns(facts, center.rules.wait_standard_min)
    now = compute(columns, [d for d in facts.days if d in period])
    before = compute(columns, [d for d in facts.days if d in previous])
    index = agency_index(
        now.rows["agency"],
        now.center,
        before.rows["agency"],
        before.center if before.days else None,
    )
    return Report(
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
