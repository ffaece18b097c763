"""Figures of a period, from :class:`~server.tally.facts.Facts`: per center, agency, service,
counter, operator and day; by hour; by day and hour.

Waits and service times are in minutes. Shares are in [0, 1]. A figure that has nothing to
be computed from is None (shown as "—"), never 0: an agency whose citizens were never called
has no wait, not a wait of 0 minutes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from wire.types import RatingReason

from .facts import CALLED, CANCEL, NO_SHOW, NOT_SERVED, SERVED, TRANSFER, UNSERVED, Facts

LEVELS = ("center", "agency", "service", "counter", "operator", "day")
"""The tables of a report, in order."""

SATISFIED = 4
"""A score of 4 or 5 counts as satisfied."""

REASONS = tuple(r.value for r in RatingReason)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a table: the figures of one center, agency, service, counter, operator or day.

    Counts that do not belong to a level are None: a counter has no tickets of its own (the
    citizens chose a service, not a counter) and nobody is unserved at a counter.
    """

    level: str
    key: str
    """The agency's or service's code, the counter's number, the operator's login, the day
    (ISO); empty for the center (and for "nobody logged in" among operators)."""
    tickets: int | None
    visits: int
    """Queue visits: at a center, agency, service or day, those started there; at a counter
    or for an operator, those it called."""
    served: int
    no_shows: int
    transfers: int
    cancelled: int | None
    unserved: int | None
    waited: int
    """Visits called (the waits below are theirs)."""
    wait_mean: float | None
    wait_median: float | None
    wait_p90: float | None
    wait_max: float | None
    within: int
    """Visits called within the standard."""
    within_share: float | None
    """``within`` over the visits called and those unserved at closing."""
    service_mean: float | None
    service_p90: float | None
    ratings: int
    rating_mean: float | None
    satisfied: int
    satisfied_share: float | None
    reasons: dict[str, int]
    outcomes: dict[str, int]
    """Served visits by how they ended (the center's outcome codes; "" for none named)."""
    promised: int | None
    """Tickets with a printed wait range whose wait is known (called, or unserved)."""
    promise_inside: float | None
    """Share of ``promised`` called inside the printed range."""
    promise_later: float | None
    """Share of ``promised`` called after its high end, or never."""


@dataclass(frozen=True, slots=True)
class BookedRow:
    """Booked visits against walk-ins, for the center (``key`` empty) or one service."""

    key: str
    booked: int
    """Bookings of the period's days: checked in, or missed."""
    checked_in: int
    missed: int
    """Booked citizens who never checked in."""
    after_slot_counted: int
    """Checked-in citizens called (or left unserved at closing): the waits below are theirs."""
    after_slot_mean: float | None
    after_slot_p90: float | None
    """Minutes from the slot (or the check-in, if later) to the call."""
    after_slot_within: int
    after_slot_within_share: float | None
    """Called within :data:`BOOKED_WITHIN_MIN` of the slot, over ``after_slot_counted``."""
    walk_ins: int
    walk_in_wait_mean: float | None
    walk_in_wait_p90: float | None
    walk_in_within_share: float | None
    """Walk-ins' first waits (from the ticket to the call), and the share within the standard."""


BOOKED_WITHIN_MIN = 5.0
"""The goal for booked citizens: called within this many minutes of their slot (the standard
of Russia's MFC centers for booked visits; docs/appointments.md)."""


@dataclass(frozen=True, slots=True)
class HourRow:
    hour: int
    arrivals: int
    waited: int
    wait_mean: float | None
    within_share: float | None


@dataclass(slots=True)
class Figures:
    """Everything a report shows for one period."""

    standard_min: float
    days: list[date]
    """Service days of the period found in the log."""
    not_closed: list[tuple[date, int]]
    """Days without a DayClosed, and the tickets still in the hall at the end of their log."""
    rows: dict[str, list[Row]] = field(default_factory=dict)
    """Level -> rows; ``rows["center"]`` has one."""
    hours: list[HourRow] = field(default_factory=list)
    grid_wait: FloatArray = field(default_factory=lambda: np.zeros((0, 24)))
    """Day x hour: mean wait of the visits started then (NaN where none was called)."""
    grid_arrivals: IntArray = field(default_factory=lambda: np.zeros((0, 24), dtype=np.int64))
    no_range: int = 0
    """Tickets without a printed range (a log from before ranges were printed)."""
    booked: list[BookedRow] = field(default_factory=list)
    """The center's booked visits against walk-ins, then each service's that had bookings."""

    @property
    def center(self) -> Row:
        return self.rows["center"][0]


def outcome_codes(outcomes: Sequence[str], found: dict[str, int]) -> list[str]:
    """The columns of the outcomes: the center's ``outcomes`` in order, then codes the log has
    that the center no longer lists, then "" (none named) if the log has any."""
    extra = sorted(code for code in found if code and code not in outcomes)
    return [*outcomes, *extra, *([""] if found.get("") else [])]


def _mean(values: FloatArray) -> float | None:
    return float(values.mean()) if values.size else None


def _pct(values: FloatArray, q: float) -> float | None:
    return float(np.percentile(values, q)) if values.size else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class Columns:
    """The facts as numpy arrays, made once and then cut by period (:meth:`of_days`).

    Codes of agencies, services and operators are numbered (``names`` turns a number back):
    grouping numbers is what keeps a month's tables quick.
    """

    def __init__(self, facts: Facts, standard: float, visit_standard: Sequence[float] | None = None) -> None:
        """``standard`` is the wait standard in minutes; ``visit_standard``, if given, one per
        visit instead (facts of several centers, each with its own standard)."""
        self.facts = facts
        self.standard = standard
        self.names: list[str] = []
        vocab: dict[str, int] = {}

        def code(values: Sequence[str]) -> IntArray:
            return np.fromiter((vocab.setdefault(v, len(vocab)) for v in values), np.int64, len(values))

        def ints(values: Sequence[int]) -> IntArray:
            return np.asarray(values, dtype=np.int64)

        def floats(values: Sequence[float]) -> FloatArray:
            return np.asarray(values, dtype=np.float64)

        f = facts
        self.t_day, self.t_hour = ints(f.t_day), ints(f.t_hour)
        self.t_service, self.t_agency = code(f.t_service), code(f.t_agency)
        self.v_day, self.v_hour, self.v_counter = ints(f.v_day), ints(f.v_hour), ints(f.v_counter)
        self.v_service, self.v_agency, self.v_operator = (
            code(f.v_service),
            code(f.v_agency),
            code(f.v_operator),
        )
        self.v_wait, self.v_end = floats(f.v_wait), ints(f.v_end)
        self.v_called = self.v_end == CALLED
        self.v_counted = self.v_called | (self.v_end == UNSERVED)
        limit = floats(visit_standard) if visit_standard is not None else standard
        self.v_within = self.v_called & (self.v_wait <= limit)

        # The promise: the first visit's wait against the range printed on the ticket.
        first = ints(f.t_visit)
        low, high = floats(f.t_low), floats(f.t_high)
        f_wait = self.v_wait[first] if first.size else np.zeros(0)
        f_end = self.v_end[first] if first.size else np.zeros(0, dtype=np.int64)
        self.t_ranged = ~np.isnan(high)
        self.t_promised = self.t_ranged & ((f_end == CALLED) | (f_end == UNSERVED))
        called = f_end == CALLED
        with np.errstate(invalid="ignore"):
            self.t_inside = self.t_promised & called & (f_wait >= low) & (f_wait <= high)
            self.t_later = self.t_promised & ((f_end == UNSERVED) | (called & (f_wait > high)))

        # Booked citizens: the wait after their slot (a citizen checked in late is waited for
        # from the check-in); walk-ins: the first visit's wait.
        slot = floats(f.t_slot)
        self.t_booked = ~np.isnan(slot)
        f_start = floats(f.v_start)[first] if first.size else np.zeros(0)
        self.t_first_called = called
        self.t_first_counted = called | (f_end == UNSERVED)
        self.t_first_wait = f_wait
        with np.errstate(invalid="ignore"):
            self.t_after_slot = np.maximum(0.0, (f_start + f_wait * 60 - np.fmax(slot, f_start)) / 60)
        self.t_after_within = self.t_booked & called & (self.t_after_slot <= BOOKED_WITHIN_MIN)
        self.t_first_within = called & (f_wait <= limit)

        self.m_day, self.m_service = ints(f.m_day), code(f.m_service)

        self.o_day, self.o_counter, self.o_minutes = ints(f.o_day), ints(f.o_counter), floats(f.o_minutes)
        self.o_kind = np.asarray(f.o_kind, dtype=object)
        self.o_visit = np.asarray(f.o_visit, dtype=object)
        self.o_service, self.o_agency, self.o_operator = (
            code(f.o_service),
            code(f.o_agency),
            code(f.o_operator),
        )

        self.r_day, self.r_counter, self.r_score = ints(f.r_day), ints(f.r_counter), ints(f.r_score)
        self.r_service, self.r_agency, self.r_operator = (
            code(f.r_service),
            code(f.r_agency),
            code(f.r_operator),
        )
        self.r_reasons = np.empty(len(f.r_reasons), dtype=object)
        self.r_reasons[:] = f.r_reasons
        self.names = list(vocab)

    def slim(self) -> Columns:
        """A copy that keeps of the facts only their days: all :func:`compute` reads besides
        the columns. Much smaller to keep or to send to another process."""
        cut = object.__new__(Columns)
        vars(cut).update(vars(self))
        cut.facts = self.facts.skeleton()
        return cut

    @classmethod
    def pooled(cls, parts: Sequence[tuple[str, Columns]]) -> Columns:
        """The columns of several centers (``(code, columns)``) as one.

        Days are the union of theirs, in order (a day is closed when every center closed
        it). Codes of services and agencies are national and stay; counters are renumbered
        (1, 2, ... over the centers) and operators become ``CODE/login``, so that counter 12
        or operator op1 of one center is never another's. Whether a visit was within the
        standard was decided with its own center's standard.
        """
        days = sorted({d for _, c in parts for d in c.facts.days})
        position = {d: i for i, d in enumerate(days)}
        facts = Facts(days=days, closed=[True] * len(days), still_open=[0] * len(days))
        vocab: dict[str, int] = {}
        counters: dict[tuple[str, int], int] = {}
        pieces: dict[str, list[npt.NDArray[Any]]] = {}
        for code, c in parts:
            f = c.facts
            day = np.asarray([position[d] for d in f.days] + [0], dtype=np.int64)
            for i, d in enumerate(f.days):
                facts.closed[position[d]] = facts.closed[position[d]] and f.closed[i]
                facts.still_open[position[d]] += f.still_open[i]
            facts.events += f.events
            facts.unreadable += f.unreadable
            facts.skipped += f.skipped
            name = np.asarray([vocab.setdefault(n, len(vocab)) for n in c.names] + [0], dtype=np.int64)
            operator = np.asarray(
                [vocab.setdefault(f"{code}/{n}" if n else "", len(vocab)) for n in c.names] + [0],
                dtype=np.int64,
            )
            numbers = sorted(
                {0} | {int(n) for a in (c.v_counter, c.o_counter, c.r_counter) for n in a.tolist()}
            )
            counter = np.zeros(numbers[-1] + 1, dtype=np.int64)
            for n in numbers[1:]:
                counter[n] = counters.setdefault((code, n), len(counters) + 1)
            for key, value in vars(c).items():
                if key[1:2] != "_" or key[:1] not in "tvorm":
                    continue
                if key.endswith("_day"):
                    value = day[value]
                elif key.endswith("_operator"):
                    value = operator[value]
                elif key.endswith(("_service", "_agency")):
                    value = name[value]
                elif key.endswith("_counter"):
                    value = counter[value]
                pieces.setdefault(key, []).append(value)
        out = object.__new__(cls)
        out.facts = facts
        out.standard = parts[0][1].standard if parts else 0.0
        out.names = list(vocab)
        for key, values in pieces.items():
            setattr(out, key, np.concatenate(values))
        return out

    def of_days(self, days: set[int]) -> Columns:
        """A copy holding only the facts of ``days`` (indices into ``facts.days``)."""
        wanted = np.fromiter(days, dtype=np.int64, count=len(days))
        masks = {p: np.isin(getattr(self, f"{p}_day"), wanted) for p in ("t", "v", "o", "r", "m")}
        cut = object.__new__(Columns)
        for name, value in vars(self).items():
            mask = masks.get(name[:1]) if name[1:2] == "_" else None
            setattr(cut, name, value[mask] if mask is not None else value)
        return cut


def _groups(keys: IntArray) -> dict[int, npt.NDArray[np.intp]]:
    """Key -> the indices holding it."""
    if not keys.size:
        return {}
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return {int(ordered[a]): order[a:b] for a, b in zip(starts, ends, strict=True)}


_NONE = np.zeros(0, dtype=np.intp)
_NOWHERE = -1
"""Key of what happened at no counter (unserved, cancelled) in the counter and operator
groupings: left out."""


def _row(
    c: Columns,
    level: str,
    key: str,
    t: npt.NDArray[np.intp] | None,
    v: npt.NDArray[np.intp],
    o: npt.NDArray[np.intp],
    r: npt.NDArray[np.intp],
) -> Row:
    """The figures of one group: ``t``, ``v``, ``o``, ``r`` index its tickets (None where
    tickets don't belong to the level), visits, outcomes and ratings."""
    called = v[c.v_called[v]]
    waits = c.v_wait[called]
    counted = int(c.v_counted[v].sum())
    within = int(c.v_within[v].sum())
    kinds = c.o_kind[o]
    served = o[kinds == SERVED]
    minutes = c.o_minutes[served]
    scores = c.r_score[r]
    satisfied = int((scores >= SATISFIED).sum())
    reasons = Counter(reason for rs in c.r_reasons[r] for reason in rs)
    promised = int(c.t_promised[t].sum()) if t is not None else None
    return Row(
        level=level,
        key=key,
        tickets=len(t) if t is not None else None,
        visits=len(v),
        served=len(served),
        no_shows=int((kinds == NO_SHOW).sum()),
        transfers=int((kinds == TRANSFER).sum()),
        cancelled=int((kinds == CANCEL).sum()) if t is not None else None,
        unserved=int((kinds == NOT_SERVED).sum()) if t is not None else None,
        waited=len(called),
        wait_mean=_mean(waits),
        wait_median=_pct(waits, 50),
        wait_p90=_pct(waits, 90),
        wait_max=float(waits.max()) if waits.size else None,
        within=within,
        within_share=_share(within, counted if t is not None else len(called)),
        service_mean=_mean(minutes),
        service_p90=_pct(minutes, 90),
        ratings=len(r),
        rating_mean=_mean(scores.astype(np.float64)),
        satisfied=satisfied,
        satisfied_share=_share(satisfied, len(r)),
        reasons={reason: reasons[reason] for reason in REASONS},
        outcomes=dict(Counter(c.o_visit[served])),
        promised=promised,
        promise_inside=_share(int(c.t_inside[t].sum()), promised or 0) if t is not None else None,
        promise_later=_share(int(c.t_later[t].sum()), promised or 0) if t is not None else None,
    )


def _booked_row(c: Columns, key: str, t: npt.NDArray[np.intp], m: npt.NDArray[np.intp]) -> BookedRow:
    """Booked visits against walk-ins among the tickets ``t`` and missed bookings ``m``."""
    booked = t[c.t_booked[t]]
    walk = t[~c.t_booked[t]]
    counted = booked[c.t_first_counted[booked]]
    after = c.t_after_slot[booked[c.t_first_called[booked]]]
    within = int(c.t_after_within[booked].sum())
    walk_called = walk[c.t_first_called[walk]]
    waits = c.t_first_wait[walk_called]
    walk_counted = int(c.t_first_counted[walk].sum())
    return BookedRow(
        key=key,
        booked=len(booked) + len(m),
        checked_in=len(booked),
        missed=len(m),
        after_slot_counted=len(counted),
        after_slot_mean=_mean(after),
        after_slot_p90=_pct(after, 90),
        after_slot_within=within,
        after_slot_within_share=_share(within, len(counted)),
        walk_ins=len(walk),
        walk_in_wait_mean=_mean(waits),
        walk_in_wait_p90=_pct(waits, 90),
        walk_in_within_share=_share(int(c.t_first_within[walk_called].sum()), walk_counted),
    )


def compute(columns: Columns, days: Sequence[date]) -> Figures:
    """The figures of the service days ``days`` (those of the log in the period)."""
    facts = columns.facts
    wanted = sorted(i for i, d in enumerate(facts.days) if d in set(days))
    c = columns.of_days(set(wanted))
    fig = Figures(
        standard_min=columns.standard,
        days=[facts.days[i] for i in wanted],
        not_closed=[(facts.days[i], facts.still_open[i]) for i in wanted if not facts.closed[i]],
        no_range=int((~c.t_ranged).sum()),
    )
    every = [np.arange(len(a)) for a in (c.t_day, c.v_day, c.o_day, c.r_day)]
    fig.rows["center"] = [_row(c, "center", "", *every)]
    fig.booked = [_booked_row(c, "", every[0], np.arange(len(c.m_day)))]
    if c.t_booked.any() or c.m_day.size:
        tickets, missed = _groups(c.t_service), _groups(c.m_service)
        for k in sorted(set(tickets) | set(missed), key=lambda k: c.names[k]):
            row = _booked_row(c, c.names[k], tickets.get(k, _NONE), missed.get(k, _NONE))
            if row.booked:
                fig.booked.append(row)

    def level(
        name: str,
        name_of: Callable[[int], str],
        tk: IntArray | None,
        vk: IntArray,
        ok: IntArray,
        rk: IntArray,
    ) -> list[Row]:
        tg = _groups(tk) if tk is not None else {}
        vg, og, rg = _groups(vk), _groups(ok), _groups(rk)
        keys = (set(tg) | set(vg) | set(og) | set(rg)) - {_NOWHERE}
        rows = [
            _row(
                c,
                name,
                name_of(k),
                tg.get(k, _NONE) if tk is not None else None,
                vg.get(k, _NONE),
                og.get(k, _NONE),
                rg.get(k, _NONE),
            )
            for k in keys
        ]
        return sorted(rows, key=lambda row: row.key)

    named = c.names.__getitem__
    fig.rows["agency"] = level("agency", named, c.t_agency, c.v_agency, c.o_agency, c.r_agency)
    fig.rows["service"] = level("service", named, c.t_service, c.v_service, c.o_service, c.r_service)
    # Counters and operators: only what happened at a counter.
    called_by = c.v_counter > 0
    at_counter = c.o_counter > 0
    counters = level(
        "counter",
        str,
        None,
        np.where(called_by, c.v_counter, _NOWHERE),
        np.where(at_counter, c.o_counter, _NOWHERE),
        c.r_counter,
    )
    fig.rows["counter"] = sorted(counters, key=lambda row: int(row.key))
    operators = level(
        "operator",
        named,
        None,
        np.where(called_by, c.v_operator, _NOWHERE),
        np.where(at_counter, c.o_operator, _NOWHERE),
        c.r_operator,
    )
    fig.rows["operator"] = sorted(operators, key=lambda row: natural_order(row.key))
    fig.rows["day"] = level("day", lambda i: facts.days[i].isoformat(), c.t_day, c.v_day, c.o_day, c.r_day)

    # By hour, and by day and hour.
    arrivals = np.bincount(c.t_hour, minlength=24)[:24]
    for hour in range(24):
        at_hour = c.v_hour == hour
        called = at_hour & c.v_called
        counted = int((at_hour & c.v_counted).sum())
        fig.hours.append(
            HourRow(
                hour=hour,
                arrivals=int(arrivals[hour]),
                waited=int(called.sum()),
                wait_mean=_mean(c.v_wait[called]),
                within_share=_share(int((at_hour & c.v_within).sum()), counted),
            )
        )
    # Day indices of the log -> rows of the grid.
    row_of = np.zeros(len(facts.days) + 1, dtype=np.int64)
    row_of[wanted] = np.arange(len(wanted))
    grid_sum = np.zeros((len(wanted), 24))
    grid_n = np.zeros((len(wanted), 24))
    called = c.v_called
    np.add.at(grid_sum, (row_of[c.v_day[called]], c.v_hour[called]), c.v_wait[called])
    np.add.at(grid_n, (row_of[c.v_day[called]], c.v_hour[called]), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        fig.grid_wait = np.where(grid_n > 0, grid_sum / np.maximum(grid_n, 1), np.nan)
    fig.grid_arrivals = np.zeros((len(wanted), 24), dtype=np.int64)
    np.add.at(fig.grid_arrivals, (row_of[c.t_day], c.t_hour), 1)
    return fig


def natural_order(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that reads the digits in a name as a number: op1, op2, op19 (not op1, op19, op2)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)
