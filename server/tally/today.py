"""Today's figures for the supervisor's desk: the report's own code over today's log."""

from __future__ import annotations

from datetime import date, tzinfo

from wire.messages import FigureRow, FiguresResult

from ..store import EventStore
from .facts import read_facts
from .figures import Columns, Row, compute


def today(
    store: EventStore,
    day: date | None,
    *,
    tz: tzinfo,
    standard_min: float,
    service_agency: dict[str, str],
    seq: int,
) -> FiguresResult:
    """The figures of the service day ``day`` per agency and operator, as ``novbe report``
    computes them (docs/reports.md), from the log up to ``seq``.

    Reads the day's events from ``store`` (a reference day is about 20,000 events: a
    tenth of a second); call it off the event loop.
    """
    if day is None:
        return FiguresResult(standard_min=standard_min, seq=seq)
    facts = read_facts(store, day, day, tz, service_agency=service_agency)
    fig = compute(Columns(facts, standard_min), [d for d in facts.days if d == day])
    return FiguresResult(
        day=day,
        standard_min=standard_min,
        seq=seq,
        center=_row(fig.center),
        agencies=tuple(_row(r) for r in fig.rows["agency"]),
        operators=tuple(_row(r) for r in fig.rows["operator"]),
    )


def _row(row: Row) -> FigureRow:
    return FigureRow(
        key=row.key,
        served=row.served,
        no_shows=row.no_shows,
        waited=row.waited,
        wait_mean=row.wait_mean,
        wait_p90=row.wait_p90,
        within_share=row.within_share,
        service_mean=row.service_mean,
    )
