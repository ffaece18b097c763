"""A simulated day: counters closing at a time of day, refused fee trips, the unserved in the report."""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from datetime import date, time, timedelta, timezone
from pathlib import Path

import pytest

from server.queue import CounterDef, Hall, QueueEngine, ServiceDef
from server.simulate.compare import worst_service
from server.simulate.day import Behaviour, DayResult, Visit, simulate_day
from server.simulate.report import format_table, summarize, write_csv
from server.simulate.workload import Workload, draw_citizens
from wire.types import TicketState

ZONE = timezone(timedelta(hours=4))
DAY = date(2026, 11, 23)


def small_hall(*, bank_counter: bool = True) -> Hall:
    """Two counters for A (5 min), one for the bank fee (2 min) unless ``bank_counter`` is off."""
    services = {
        "A": ServiceDef("A", "AG", "A", 5.0),
        "FEE": ServiceDef("FEE", "BANK", "B", 2.0),
    }
    counters = {
        1: CounterDef(1, "hall", {"A": 1.0}, agency="AG"),
        2: CounterDef(2, "hall", {"A": 1.0}, agency="AG"),
    }
    if bank_counter:
        counters[3] = CounterDef(3, "hall", {"FEE": 1.0}, agency="BANK")
    return Hall(services=services, counters=counters, opens=time(9, 0), closes=time(19, 0))


def workload(fee_share: float = 0.0, per_day: float = 150.0) -> Workload:
    return Workload(
        tickets_per_day=per_day,
        hourly=dict.fromkeys(range(9, 18), 1 / 9),
        service_share={"A": 1.0},
        mean_min={"A": 5.0, "FEE": 2.0},
        fee_share=fee_share,
        fee_service="FEE" if fee_share else None,
    )


def play(hall: Hall, w: Workload, behaviour: Behaviour, seed: int = 1) -> DayResult:
    citizens = draw_citizens(w, random.Random(seed))
    return simulate_day(QueueEngine(hall), citizens, DAY, ZONE, behaviour, fee_service=w.fee_service)


def test_counter_closing_at_a_time_of_day_serves_nobody_after() -> None:
    """Counter 2 closes at 11:00: its open time stops there, and the afternoon queues on counter 1."""
    hall = small_hall()
    both = play(hall, workload(), Behaviour(breaks=False))
    one = play(hall, workload(), Behaviour(breaks=False, closing={2: 11 * 60.0}))
    opens, closes = 9 * 60.0, 19 * 60.0
    assert one.open_min["AG"] == pytest.approx((closes - opens) + (11 * 60.0 - opens), abs=15.0)
    assert both.open_min["AG"] == pytest.approx(2 * (closes - opens), abs=15.0)
    late = [v.wait for v in one.visits if v.queued_min > 12 * 60 and v.wait is not None]
    late_both = [v.wait for v in both.visits if v.queued_min > 12 * 60 and v.wait is not None]
    assert sum(late) / len(late) > 2 * sum(late_both) / len(late_both)


def test_counter_closing_during_its_break_does_not_come_back() -> None:
    hall = small_hall()
    behaviour = Behaviour(closing={1: 12 * 60.0 + 10.0, 2: 12 * 60.0 + 10.0})
    result = play(hall, workload(), behaviour)
    # Both took their breaks at 12:00 and 12:30 (two slots); neither works past 12:10.
    assert result.open_min["AG"] <= 2 * (12 * 60.0 + 10.0 - 9 * 60.0)
    assert all(v.queued_min < 12 * 60.0 + 10.0 for v in result.visits if v.wait is not None)
    assert sum(result.unserved.values()) > 0


def test_refused_fee_trip_finishes_the_citizen_at_the_counter() -> None:
    """No counter takes the fee: the engine refuses every transfer, nobody is stranded."""
    hall = small_hall(bank_counter=False)
    result = play(hall, workload(fee_share=0.5), Behaviour(breaks=False))
    payers = result.not_transferred["AG"]
    assert payers > 30
    assert sum(result.unserved.values()) == 0
    assert all(v.service == "A" for v in result.visits)
    stats = {s.name: s for s in summarize([result])}
    assert stats["AG"].not_transferred == payers
    assert "could not be sent to pay the fee" in format_table(list(stats.values()))


def test_fee_trips_to_a_bank_that_closed_show_as_unserved(tmp_path: Path) -> None:
    """The bank (8 min a payment, too slow for its payers) closes at 10:00: its queue is
    stranded, counted as unserved with a wait, never a zero; the engine refuses the fee
    trips after 10:00, and they are counted apart."""
    hall = small_hall()
    hall = replace(
        hall, services={**hall.services, "FEE": replace(hall.services["FEE"], mean_service_min=8.0)}
    )
    w = replace(workload(fee_share=0.6), mean_min={"A": 5.0, "FEE": 8.0})
    result = play(hall, w, Behaviour(breaks=False, closing={3: 10 * 60.0}))
    by_service = {s.name: s for s in summarize([result], by_service=True)}
    fee = by_service["FEE"]
    assert fee.unserved >= 2
    assert fee.mean_wait is not None  # some paid before 10:00
    stranded = result.unserved["FEE"]
    assert stranded == fee.unserved
    assert result.not_transferred["AG"] > 10
    table = format_table(list(by_service.values()), by_service=True)
    assert table.splitlines()[0].startswith("service")
    write_csv(list(by_service.values()), tmp_path / "s.csv", by_service=True)
    rows = {r["service"]: r for r in csv.DictReader((tmp_path / "s.csv").open(encoding="utf-8"))}
    assert int(rows["FEE"]["unserved"]) == stranded


def test_a_service_nobody_served_reads_unserved_not_zero() -> None:
    """The waits of a service with no one served are '-', never 0.0."""
    hall = small_hall()
    result = play(hall, workload(), Behaviour(breaks=False, closed_counters=frozenset({1, 2})))
    (row,) = (s for s in summarize([result]) if s.name == "AG")
    assert row.served == 0
    assert (row.mean_wait, row.p90_wait, row.longest_wait) == (None, None, None)
    assert row.unserved == row.tickets > 0
    line = next(x for x in format_table(summarize([result])).splitlines() if x.startswith("AG "))
    assert " - " in line
    assert " 0.0 " not in line.split("%")[0]


def test_worst_service_counts_the_stranded_up_to_closing() -> None:
    day = DayResult(day=DAY, ended_min=19 * 60.0)
    day.visits = [
        Visit("A", "AG", 3.0, 600.0),
        Visit("A", "AG", 5.0, 610.0),
        Visit("B", "AG", 1.0, 600.0),
        Visit("B", "AG", None, 18 * 60.0),  # waited an hour before the close
    ]
    assert worst_service([day]) == ("B", pytest.approx(30.5), pytest.approx(60.0))


def slow_bank() -> tuple[Hall, float]:
    """:func:`small_hall` whose bank takes 8 minutes a payment, and that mean."""
    hall = small_hall()
    fee = replace(hall.services["FEE"], mean_service_min=8.0)
    return replace(hall, services={**hall.services, "FEE": fee}), fee.mean_service_min


def test_fee_payers_whose_counter_closed_come_back_to_the_service_queue() -> None:
    """Counter 1 closes at 11:00 while some of its citizens pay the fee: the engine sends them
    back to their service's queue (rule R-7), and counter 2 finishes their visits."""
    hall, fee_min = slow_bank()
    engine = QueueEngine(hall)
    w = replace(workload(fee_share=0.5, per_day=70.0), mean_min={"A": 5.0, "FEE": fee_min})
    citizens = draw_citizens(w, random.Random(4))
    result = simulate_day(
        engine, citizens, DAY, ZONE, Behaviour(breaks=False, closing={1: 11 * 60.0}), fee_service="FEE"
    )
    rerouted = [
        t
        for t in engine.tickets.values()
        if any(
            step[1] is TicketState.TRANSFERRED and step[2] == 3 and then[2] is None
            for step, then in zip(t.history, t.history[1:], strict=False)
        )
    ]
    assert len(rerouted) >= 2
    assert all(t.state is TicketState.DONE and t.history[-1][2] == 2 for t in rerouted)
    assert sum(result.unserved.values()) == 0
