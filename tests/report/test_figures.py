"""Every figure of a report against the same figure computed from the simulator's records."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from report.build import Report, build_report
from report.figures import Row
from report.periods import Period, span
from server.simulate.report import summarize
from server.simulate.run import FIRST_DAY, center_setup, run_days

from .conftest import DAYS, SEED, Simulated
from .truth import Truth, index, truth

FIELDS = [f.name for f in dataclasses.fields(Row) if f.name not in ("level", "key")]
PERIOD = span(FIRST_DAY + timedelta(days=2), FIRST_DAY + timedelta(days=3))
"""The last two days; the two before are the previous period."""


def same(got: Any, want: Any) -> bool:
    if isinstance(got, float) or isinstance(want, float):
        return got is not None and want is not None and got == pytest.approx(want, rel=1e-9, abs=1e-6)
    return bool(got == want)


def assert_rows(rows: list[Row], expected: dict[str, dict[str, Any]], level: str) -> None:
    assert {r.key for r in rows} == set(expected), f"{level}: the rows differ"
    for row in rows:
        want = expected[row.key]
        wrong = {n: (getattr(row, n), want[n]) for n in FIELDS if not same(getattr(row, n), want[n])}
        assert not wrong, f"{level} {row.key!r}: (report, simulator) = {wrong}"


@pytest.fixture(scope="module")
def report(simulated: Simulated) -> Report:
    from server.store import EventStore

    with EventStore(simulated.url) as store:
        return build_report(store, simulated.center, PERIOD)


def expect(simulated: Simulated, period: Period) -> Truth:
    """The simulator's figures for ``period``, with the default standard of 15 minutes."""
    days = [period.first + timedelta(days=i) for i in range(period.days)]
    return truth(simulated.run.days, simulated.run.records, days, 15.0, simulated.center.hours.tz)


@pytest.mark.parametrize("level", ["center", "agency", "service", "counter", "operator", "day"])
def test_every_row_matches_the_simulator(simulated: Simulated, report: Report, level: str) -> None:
    expected = expect(simulated, PERIOD)
    assert_rows(report.figures.rows[level], expected.rows[level], level)


def test_previous_period_matches_the_simulator(simulated: Simulated, report: Report) -> None:
    expected = expect(simulated, PERIOD.previous())
    for level in ("center", "agency"):
        assert_rows(report.before.rows[level], expected.rows[level], level)


def test_hours_and_day_hour_grid_match_the_simulator(simulated: Simulated, report: Report) -> None:
    expected = expect(simulated, PERIOD)
    fig = report.figures
    for h in fig.hours:
        want = expected.hours[h.hour]
        assert (h.arrivals, h.waited) == want[:2], h.hour
        assert same(h.wait_mean, want[2]) or h.wait_mean is want[2] is None, h.hour
        assert same(h.within_share, want[3]) or h.within_share is want[3] is None, h.hour
    assert fig.days == [PERIOD.first + timedelta(days=i) for i in range(PERIOD.days)]
    for n, day in enumerate(fig.days):
        for hour in range(24):
            cell = fig.grid_wait[n, hour]
            if (day, hour) in expected.grid:
                assert cell == pytest.approx(expected.grid[day, hour], abs=1e-6)
            else:
                assert cell != cell, f"{day} {hour}: a wait where nobody was called"
    assert sum(map(sum, fig.grid_arrivals.tolist())) == fig.center.tickets


def test_agency_index_and_its_change_match_the_formula(simulated: Simulated, report: Report) -> None:
    now = expect(simulated, PERIOD).rows
    before = expect(simulated, PERIOD.previous()).rows
    want = index(now["agency"], now["center"][""])
    want_before = index(before["agency"], before["center"][""])
    got = {i.agency: i for i in report.index}
    assert set(got) == set(want)
    for code, i in got.items():
        assert i.index == pytest.approx(want[code], abs=1e-9)
        assert i.change == pytest.approx(want[code] - want_before[code], abs=1e-9)
    ranked = sorted(want, key=lambda c: (-want[c], c))
    assert [i.agency for i in report.index] == ranked
    assert [i.rank for i in report.index] == list(range(1, len(ranked) + 1))
    ranked_before = sorted(want_before, key=lambda c: (-want_before[c], c))
    assert all(i.previous_rank == ranked_before.index(i.agency) + 1 for i in report.index)


def test_simulator_records_agree_with_its_day_results(simulated: Simulated) -> None:
    """The records the truth is computed from tell what the simulator's own day results
    tell: the same waits per agency, no-shows, citizens unserved and first waits."""
    records = simulated.run.records
    for day in simulated.run.days:
        visits = [v for v in records.visits if v.day == day.day]
        for agency in day.no_shows:
            mine = sorted((v.called - v.joined).total_seconds() / 60 for v in visits
                          if v.agency == agency and v.called is not None)  # fmt: skip
            theirs = sorted(v.wait for v in day.visits if v.agency == agency and v.wait is not None)
            assert mine == pytest.approx(theirs, abs=1e-6), agency
            assert sum(1 for v in visits if v.agency == agency and v.called is None) == sum(
                1 for v in day.visits if v.agency == agency and v.wait is None
            )
        outcomes = [o for o in records.outcomes if o.day == day.day]
        assert Counter(o.agency for o in outcomes if o.kind == "no_show") == +Counter(day.no_shows)
        unserved_by_agency = Counter({day.agency_of[code]: 0 for code in day.unserved})
        for code, count in day.unserved.items():
            unserved_by_agency[day.agency_of[code]] += count
        assert Counter(o.agency for o in outcomes if o.kind == "unserved") == +unserved_by_agency
        first = {v.ticket: v for v in visits if v.first}
        for t in day.tickets:
            v = first[t.ticket]
            wait = None if v.called is None else (v.called - v.joined).total_seconds() / 60
            assert (wait is None and t.wait is None) or wait == pytest.approx(t.wait, abs=1e-6)
    assert records.ratings, "the simulated citizens rate their visits"
    assert len(records.ratings) > 0.5 * sum(1 for o in records.outcomes if o.kind == "served")


def test_store_changes_nothing_the_simulator_decides(simulated: Simulated) -> None:
    """Same seed, same days with or without the store: the ratings have their own random stream."""
    plain = run_days(center_setup(simulated.center), DAYS, SEED)
    assert summarize(plain) == summarize(simulated.run.days)
