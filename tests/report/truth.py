"""The report's figures computed again, independently, from the simulator's own records.

Nothing here uses the report's code or reads the event log: tickets, waits and the promise
come from the simulator's per-ticket outcomes (``DayResult.tickets``, in its own minutes),
visits, services, counters and ratings from the records it kept while it played the day
(``SimRecords``). Percentiles come from ``statistics`` (linear interpolation between the
closest ranks), not numpy.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from server.simulate.day import DayResult, TicketOutcome
from server.simulate.store import SimOutcome, SimRating, SimRecords, SimVisit

PER_TICKET = ("tickets", "cancelled", "unserved", "promised", "promise_inside", "promise_later")
"""Figures a counter or an operator has none of."""
REASONS = ("waited_too_long", "not_resolved", "needed_documents", "rude", "other")


def quantile(values: Sequence[float], q: int) -> float | None:
    """The q-th percentile (q in 1..99), linear between closest ranks; None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def printed(low: float, high: float) -> tuple[int, int]:
    """The range the ticket shows: whole minutes, low end down, high end up; "under a
    minute" (0-1) when the high end is at most 1."""
    lo, hi = math.floor(low), math.ceil(high)
    return (0, max(hi, 0)) if hi <= 1 else (lo, hi)


@dataclass
class Group:
    tickets: list[TicketOutcome]
    visits: list[SimVisit]
    outcomes: list[SimOutcome]
    ratings: list[SimRating]


def figures(group: Group, standard: float, per_ticket: bool) -> dict[str, Any]:
    """Every figure of one row, from its records."""
    called = [v for v in group.visits if v.called is not None]
    waits = [(v.called - v.joined).total_seconds() / 60 for v in called]  # type: ignore[operator]
    unserved_visits = [v for v in group.visits if v.unserved]
    within = sum(1 for w in waits if w <= standard)
    counted = len(called) + len(unserved_visits) if per_ticket else len(called)
    served = [o for o in group.outcomes if o.kind == "served"]
    minutes = [o.minutes for o in served]
    scores = [r.score for r in group.ratings]
    satisfied = sum(1 for s in scores if s >= 4)
    out: dict[str, Any] = {
        "visits": len(group.visits),
        "served": len(served),
        "no_shows": sum(1 for o in group.outcomes if o.kind == "no_show"),
        "transfers": sum(1 for o in group.outcomes if o.kind == "transfer"),
        "waited": len(called),
        "wait_mean": statistics.fmean(waits) if waits else None,
        "wait_median": statistics.median(waits) if waits else None,
        "wait_p90": quantile(waits, 90),
        "wait_max": max(waits) if waits else None,
        "within": within,
        "within_share": within / counted if counted else None,
        "service_mean": statistics.fmean(minutes) if minutes else None,
        "service_p90": quantile(minutes, 90),
        "ratings": len(scores),
        "rating_mean": statistics.fmean(scores) if scores else None,
        "satisfied": satisfied,
        "satisfied_share": satisfied / len(scores) if scores else None,
        "reasons": {r: sum(1 for x in group.ratings if r in x.reasons) for r in REASONS},
        # The simulator's operators name no outcome at the finish.
        "outcomes": {"": len(served)} if served else {},
    }
    if per_ticket:
        inside = later = 0
        for t in group.tickets:
            lo, hi = printed(t.low, t.high)
            if t.wait is None or t.wait > hi:
                later += 1
            elif t.wait >= lo:
                inside += 1
        n = len(group.tickets)
        out |= {
            "tickets": n,
            "cancelled": sum(1 for o in group.outcomes if o.kind == "cancelled"),
            "unserved": sum(1 for o in group.outcomes if o.kind == "unserved"),
            "promised": n,
            "promise_inside": inside / n if n else None,
            "promise_later": later / n if n else None,
        }
    else:
        out |= dict.fromkeys(PER_TICKET)
    return out


def _by(items: Iterable[Any], key: Callable[[Any], object]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        k = key(item)
        if k is not None:
            out[str(k)].append(item)
    return out


@dataclass
class Truth:
    """Expected rows per level: level -> key -> figures."""

    rows: dict[str, dict[str, dict[str, Any]]]
    hours: dict[int, tuple[int, int, float | None, float | None]]
    """Hour -> (arrivals, called, mean wait, share within the standard)."""
    grid: dict[tuple[date, int], float]
    """(day, hour) -> mean wait."""


def truth(days: Sequence[DayResult], records: SimRecords, period: Sequence[date], standard: float,
          tz: tzinfo) -> Truth:  # fmt: skip
    """Expected figures of the service days ``period``."""
    keep = set(period)
    tickets = [(d.day, t) for d in days if d.day in keep for t in d.tickets]
    visits = [v for v in records.visits if v.day in keep]
    outcomes = [o for o in records.outcomes if o.day in keep]
    ratings = [r for r in records.ratings if r.day in keep]

    def level(
        tkey: Callable[[tuple[date, TicketOutcome]], object] | None,
        vkey: Callable[[SimVisit], object],
        okey: Callable[[SimOutcome], object],
        rkey: Callable[[SimRating], object],
    ) -> dict[str, dict[str, Any]]:
        tg = _by(tickets, tkey) if tkey else {}
        vg, og, rg = _by(visits, vkey), _by(outcomes, okey), _by(ratings, rkey)
        keys = set(tg) | set(vg) | set(og) | set(rg)
        return {
            k: figures(Group([t for _, t in tg.get(k, [])], vg.get(k, []), og.get(k, []), rg.get(k, [])),
                       standard, tkey is not None)
            for k in keys
        }  # fmt: skip

    rows = {
        "center": level(lambda _t: "", lambda _v: "", lambda _o: "", lambda _r: ""),
        "agency": level(lambda t: t[1].agency, lambda v: v.agency, lambda o: o.agency, lambda r: r.agency),
        "service": level(
            lambda t: t[1].service, lambda v: v.service, lambda o: o.service, lambda r: r.service
        ),
        "counter": level(None, lambda v: v.counter, lambda o: o.counter, lambda r: r.counter),
        "operator": level(None, lambda v: v.operator, lambda o: o.operator,
                          lambda r: r.operator),
        "day": level(lambda t: t[0].isoformat(), lambda v: v.day.isoformat(), lambda o: o.day.isoformat(),
                     lambda r: r.day.isoformat()),
    }  # fmt: skip
    hours: dict[int, tuple[int, int, float | None, float | None]] = {}
    for hour in range(24):
        arrivals = sum(1 for _, t in tickets if int(t.issued_min // 60) == hour)
        at_hour = [v for v in visits if v.joined.astimezone(tz).hour == hour]
        waits = [(v.called - v.joined).total_seconds() / 60 for v in at_hour if v.called is not None]
        counted = len(waits) + sum(1 for v in at_hour if v.unserved)
        within = sum(1 for w in waits if w <= standard)
        hours[hour] = (arrivals, len(waits), statistics.fmean(waits) if waits else None,
                       within / counted if counted else None)  # fmt: skip
    cells: dict[tuple[date, int], list[float]] = defaultdict(list)
    for v in visits:
        if v.called is not None:
            cells[v.day, v.joined.astimezone(tz).hour].append((v.called - v.joined).total_seconds() / 60)
    grid = {cell: statistics.fmean(waits) for cell, waits in cells.items()}
    return Truth(rows, hours, grid)


def index(agencies: dict[str, dict[str, Any]], center: dict[str, Any]) -> dict[str, float]:
    """docs/reports.md's formula: 100 * (0.5 * D + 0.5 * S), S shrunk towards the center's
    share of satisfied ratings by 20 ratings."""
    prior = center["satisfied_share"]
    out = {}
    for code, row in agencies.items():
        if row["within_share"] is None:
            continue
        if prior is None:
            out[code] = 100 * row["within_share"]
        else:
            s = (row["satisfied"] + 20 * prior) / (row["ratings"] + 20)
            out[code] = 100 * (0.5 * row["within_share"] + 0.5 * s)
    return out
