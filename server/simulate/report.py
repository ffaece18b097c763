"""Figures from simulated days: per agency and for the whole center; table and CSV."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from .day import DayResult, TicketOutcome

OVERALL = "ALL"


@dataclass(frozen=True, slots=True)
class AgencyStats:
    """One row of the report. Waits in minutes; shares in [0, 1]."""

    agency: str
    tickets: int
    """Tickets issued for the agency's services (first visits)."""
    visits: int
    """Times a citizen queued there: tickets plus citizens sent over to pay a fee."""
    mean_wait: float
    p90_wait: float
    within_10: float
    within_15: float
    within_30: float
    """Shares of visits called within 10, 15, 30 minutes (visits never called count as not)."""
    longest_wait: float
    no_shows: int
    utilization: float
    """Counter time holding a citizen / counter time open and not on a break."""
    unserved: int
    """Citizens still waiting there when the day closed."""
    refused: int
    """Tickets the kiosk could not issue (the hall closing, or the wait past closing)."""


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of already sorted values, by linear interpolation."""
    if not sorted_values:
        return 0.0
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _row(
    agency: str,
    tickets: int,
    visits: list[float | None],
    no_shows: int,
    busy: float,
    open_min: float,
    unserved: int,
    refused: int,
) -> AgencyStats:
    served = sorted(w for w in visits if w is not None)
    count = len(visits) or 1
    return AgencyStats(
        agency=agency,
        tickets=tickets,
        visits=len(visits),
        mean_wait=sum(served) / len(served) if served else 0.0,
        p90_wait=percentile(served, 0.9),
        within_10=sum(1 for w in served if w <= 10.0) / count,
        within_15=sum(1 for w in served if w <= 15.0) / count,
        within_30=sum(1 for w in served if w <= 30.0) / count,
        longest_wait=served[-1] if served else 0.0,
        no_shows=no_shows,
        utilization=busy / open_min if open_min > 0 else 0.0,
        unserved=unserved,
        refused=refused,
    )


def summarize(days: Iterable[DayResult]) -> list[AgencyStats]:
    """One row per agency, in code order, then the whole center (:data:`OVERALL`)."""
    tickets: dict[str, int] = {}
    visits: dict[str, list[float | None]] = {}
    no_shows: dict[str, int] = {}
    busy: dict[str, float] = {}
    open_min: dict[str, float] = {}
    unserved: dict[str, int] = {}
    refused: dict[str, int] = {}
    for day in days:
        for agency in day.busy_min:
            visits.setdefault(agency, [])
            tickets.setdefault(agency, 0)
            no_shows[agency] = no_shows.get(agency, 0) + day.no_shows[agency]
            busy[agency] = busy.get(agency, 0.0) + day.busy_min[agency]
            open_min[agency] = open_min.get(agency, 0.0) + day.open_min[agency]
            unserved[agency] = unserved.get(agency, 0) + day.unserved[agency]
            refused[agency] = refused.get(agency, 0) + day.refused[agency]
        for t in day.tickets:
            tickets[t.agency] += 1
        for agency, wait in day.visits:
            visits[agency].append(wait)
    rows = [
        _row(a, tickets[a], visits[a], no_shows[a], busy[a], open_min[a], unserved[a], refused[a])
        for a in sorted(visits)
    ]
    everyone = [w for a in sorted(visits) for w in visits[a]]
    rows.append(
        _row(
            OVERALL,
            sum(tickets.values()),
            everyone,
            sum(no_shows.values()),
            sum(busy.values()),
            sum(open_min.values()),
            sum(unserved.values()),
            sum(refused.values()),
        )
    )
    return rows


_HEADER = (
    f"{'agency':<8} {'tickets':>8} {'mean':>6} {'p90':>6} {'<=10':>6} {'<=15':>6} {'<=30':>6} "
    f"{'longest':>8} {'no-show':>8} {'util':>6} {'unserved':>9} {'refused':>8}"
)


def format_table(rows: Sequence[AgencyStats], days: int = 1) -> str:
    """A fixed-width table; waits in minutes, shares in percent, counts per day."""
    lines = [_HEADER, "-" * len(_HEADER)]
    for r in rows:
        if r.agency == OVERALL:
            lines.append("-" * len(_HEADER))
        lines.append(
            f"{r.agency:<8} {r.tickets / days:>8.0f} {r.mean_wait:>6.1f} {r.p90_wait:>6.1f} "
            f"{100 * r.within_10:>5.1f}% {100 * r.within_15:>5.1f}% {100 * r.within_30:>5.1f}% "
            f"{r.longest_wait:>8.1f} {r.no_shows / days:>8.1f} {100 * r.utilization:>5.1f}% "
            f"{r.unserved / days:>9.1f} {r.refused / days:>8.1f}"
        )
    lines.append(f"(waits in minutes over {days} day(s); counts are per day)")
    return "\n".join(lines)


def write_csv(rows: Sequence[AgencyStats], path: Path) -> None:
    """Write the rows with a header line; totals, not per-day figures."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow([fld.name for fld in fields(AgencyStats)])
        for r in rows:
            out.writerow([f"{v:.4f}" if isinstance(v, float) else v for v in astuple(r)])


def all_tickets(days: Iterable[DayResult]) -> list[TicketOutcome]:
    return [t for day in days for t in day.tickets]
