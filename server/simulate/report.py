"""Figures from simulated days: per agency and for the whole center; table and CSV."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, field, fields
from pathlib import Path

from .day import DayResult, TicketOutcome

OVERALL = "ALL"


@dataclass(frozen=True, slots=True)
class Stats:
    """One row of the report: an agency, a service, or the whole center (:data:`OVERALL`).

    Waits in minutes; shares in [0, 1]. A wait figure is None where nobody was served:
    the citizens there are counted in ``unserved``, never as a zero wait.
    """

    name: str
    """The agency's code, the service's code (by service), or :data:`OVERALL`."""
    tickets: int
    """Tickets issued for it (first visits)."""
    visits: int
    """Times a citizen queued there: tickets plus citizens sent over to pay a fee."""
    served: int
    """Visits that ended in a call."""
    mean_wait: float | None
    p90_wait: float | None
    within_10: float
    within_15: float
    within_30: float
    """Shares of visits called within 10, 15, 30 minutes (visits never called count as not)."""
    longest_wait: float | None
    no_shows: int
    utilization: float | None
    """Counter time holding a citizen / counter time open and not on a break (agencies and
    the center; a service shares its counters, so it has none)."""
    unserved: int
    """Citizens still waiting there (or coming back to it) when the day closed."""
    refused: int
    """Tickets the kiosk could not issue (the hall closing, or the wait past closing)."""
    not_transferred: int
    """Citizens the engine would not send to pay the fee (finished at their counter instead)."""


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of already sorted values, by linear interpolation."""
    if not sorted_values:
        return 0.0
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@dataclass(slots=True)
class _Tally:
    """What one row adds up over the days."""

    tickets: int = 0
    waits: list[float | None] = field(default_factory=list)
    no_shows: int = 0
    busy: float = 0.0
    open_min: float = 0.0
    unserved: int = 0
    refused: int = 0
    not_transferred: int = 0

    def row(self, name: str, *, utilization: bool) -> Stats:
        served = sorted(w for w in self.waits if w is not None)
        count = len(self.waits) or 1
        return Stats(
            name=name,
            tickets=self.tickets,
            visits=len(self.waits),
            served=len(served),
            mean_wait=sum(served) / len(served) if served else None,
            p90_wait=percentile(served, 0.9) if served else None,
            within_10=sum(1 for w in served if w <= 10.0) / count,
            within_15=sum(1 for w in served if w <= 15.0) / count,
            within_30=sum(1 for w in served if w <= 30.0) / count,
            longest_wait=served[-1] if served else None,
            no_shows=self.no_shows,
            utilization=(self.busy / self.open_min if self.open_min > 0 else 0.0) if utilization else None,
            unserved=self.unserved,
            refused=self.refused,
            not_transferred=self.not_transferred,
        )


def summarize(days: Iterable[DayResult], *, by_service: bool = False) -> list[Stats]:
    """One row per agency (or per service), in code order, then the whole center (:data:`OVERALL`)."""
    rows: dict[str, _Tally] = {}
    everyone = _Tally()

    def tally(name: str) -> _Tally:
        t = rows.get(name)
        if t is None:
            t = rows[name] = _Tally()
        return t

    for day in days:
        key = (lambda service: service) if by_service else day.agency_of.__getitem__
        for service in day.agency_of:
            r = tally(key(service))
            r.unserved += day.unserved.get(service, 0)
            r.refused += day.refused.get(service, 0)
            everyone.unserved += day.unserved.get(service, 0)
            everyone.refused += day.refused.get(service, 0)
        if not by_service:
            for agency, minutes in day.busy_min.items():
                tally(agency).busy += minutes
                tally(agency).open_min += day.open_min[agency]
                tally(agency).not_transferred += day.not_transferred.get(agency, 0)
        everyone.busy += sum(day.busy_min.values())
        everyone.open_min += sum(day.open_min.values())
        everyone.not_transferred += sum(day.not_transferred.values())
        for t in day.tickets:
            r = tally(t.service if by_service else t.agency)
            r.tickets += 1
            everyone.tickets += 1
            if t.no_show and t.wait is not None:
                r.no_shows += 1
                everyone.no_shows += 1
        for v in day.visits:
            tally(v.service if by_service else v.agency).waits.append(v.wait)
            everyone.waits.append(v.wait)
    out = [rows[name].row(name, utilization=not by_service) for name in sorted(rows)]
    out.append(everyone.row(OVERALL, utilization=True))
    return out


_HEADER = (
    f"{'name':<10} {'tickets':>8} {'mean':>6} {'p90':>6} {'<=10':>6} {'<=15':>6} {'<=30':>6} "
    f"{'longest':>8} {'no-show':>8} {'util':>6} {'unserved':>9} {'refused':>8}"
)


def _minutes(value: float | None, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.1f}"


def format_table(rows: Sequence[Stats], days: int = 1, *, by_service: bool = False) -> str:
    """A fixed-width table; waits in minutes, shares in percent, counts per day.

    Where nobody was served the waits read ``-``: the citizens there are in ``unserved``.
    """
    header = _HEADER.replace("name      ", "service   " if by_service else "agency    ", 1)
    lines = [header, "-" * len(header)]
    for r in rows:
        if r.name == OVERALL:
            lines.append("-" * len(header))
        util = "-" if r.utilization is None else f"{100 * r.utilization:.1f}%"
        lines.append(
            f"{r.name:<10} {r.tickets / days:>8.0f} {_minutes(r.mean_wait, 6)} {_minutes(r.p90_wait, 6)} "
            f"{100 * r.within_10:>5.1f}% {100 * r.within_15:>5.1f}% {100 * r.within_30:>5.1f}% "
            f"{_minutes(r.longest_wait, 8)} {r.no_shows / days:>8.1f} {util:>6} "
            f"{r.unserved / days:>9.1f} {r.refused / days:>8.1f}"
        )
    lines.append(f"(waits in minutes over {days} day(s), '-' where nobody was served; counts are per day)")
    overall = rows[-1]
    if overall.not_transferred:
        lines.append(
            f"{overall.not_transferred / days:.1f} citizen(s) a day could not be sent to pay the fee "
            "(no open counter took it) and were finished at their counter"
        )
    return "\n".join(lines)


def write_csv(rows: Sequence[Stats], path: Path, *, by_service: bool = False) -> None:
    """Write the rows with a header line; totals, not per-day figures; an empty cell where
    a figure has no value (a wait where nobody was served)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        # The first column is named for what the rows are.
        out.writerow(["service" if by_service else "agency", *(fld.name for fld in fields(Stats)[1:])])
        for r in rows:
            out.writerow(["" if v is None else f"{v:.4f}" if isinstance(v, float) else v for v in astuple(r)])


def all_tickets(days: Iterable[DayResult]) -> list[TicketOutcome]:
    return [t for day in days for t in day.tickets]
