"""Edge cases: a day with no tickets, an agency with no open counter, a citizen sent to
pay the fee and back, a day not closed, a log written by an older version."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from report.build import Report
from report.html import render
from report.periods import day, span
from report.tables import write_csv
from report.text import Words
from server.queue import (
    CallNext,
    CloseCounter,
    CloseDay,
    FinishService,
    IssueTicket,
    RateVisit,
    StartService,
    TicketIssued,
    Transfer,
)
from server.store import EventStore
from server.tally.facts import KNOWN_TYPES
from wire.events import Event

from .helpers import MONDAY, Hall, append_raw, at, small_center


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    h = Hall(tmp_path / "center")
    yield h
    h.close()


def row(report: Report, level: str, key: str):  # type: ignore[no-untyped-def]
    (found,) = [r for r in report.figures.rows[level] if r.key == key]
    return found


def html_row(html: str, code: str) -> list[str]:
    """The cells of the first table row whose first cell is ``code``."""
    m = re.search(rf"<tr><td>{re.escape(code)}</td>(.*?)</tr>", html)
    assert m, f"no row {code}"
    return re.findall(r"<td[^>]*>(.*?)</td>", m.group(1))


def test_day_with_no_tickets_has_no_waits_and_says_so(hall: Hall, tmp_path: Path) -> None:
    hall.open_day(MONDAY)
    hall(CloseDay(at=hall.at(600)))
    report = hall.report(day(MONDAY))
    c = report.figures.center
    assert (c.tickets, c.visits, c.served, c.unserved, c.waited, c.ratings) == (0, 0, 0, 0, 0, 0)
    assert (c.wait_mean, c.wait_p90, c.within_share, c.satisfied_share, c.promise_inside) == (None,) * 5
    assert report.figures.rows["agency"] == []
    assert report.index == []
    w = Words("az", hall.center)
    html = render(report, w)
    assert "Bu dövrdə heç bir talon verilməyib." in html
    assert "nan" not in html.lower()
    write_csv(report, w, tmp_path / "r.csv")
    center_line = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()[1]
    assert center_line.startswith("center,,Sınaq mərkəzi,0,0,0,0,0,0,0,0,,,,,,")


def test_agency_without_an_open_counter_is_unserved_never_zero_minutes(hall: Hall) -> None:
    hall.open_day(MONDAY)  # counters 1-3 open; TAX's counter 4 never opens
    for minute in (5, 10):
        hall(IssueTicket(service="TAX", at=hall.at(minute)))
    hall(IssueTicket(service="ID", at=hall.at(6)))
    hall(CallNext(counter=1, at=hall.at(8)))
    hall(StartService(counter=1, at=hall.at(8.5)))
    hall(FinishService(counter=1, at=hall.at(16)))
    hall(CloseDay(at=hall.at(600)))
    report = hall.report(day(MONDAY))
    tax = row(report, "agency", "TAX")
    assert (tax.tickets, tax.visits, tax.unserved, tax.served, tax.waited) == (2, 2, 2, 0, 0)
    assert (tax.wait_mean, tax.wait_median, tax.wait_p90, tax.wait_max) == (None,) * 4
    assert tax.within_share == 0.0, "nobody called within the standard: 0 %, not 'no figure'"
    assert tax.promise_later == 1.0
    index = {i.agency: i for i in report.index}
    assert index["TAX"].delivery == 0.0
    assert index["TAX"].rank == 2
    html = render(report, Words("en", hall.center))
    cells = html_row(html, "TAX")
    # Code, name, tickets, visits, served, no-shows, transfers, cancelled, unserved, called,
    # then the four waits: dashes, never "0.0".
    assert cells[7:9] == ["2", "0"]
    assert cells[9:13] == ["—"] * 4
    assert cells[13] == "0.0%"


def test_citizen_sent_to_pay_the_fee_and_back(hall: Hall) -> None:
    hall.open_day(MONDAY)
    (issued,) = hall(IssueTicket(service="ID", at=hall.at(0)))
    assert isinstance(issued, TicketIssued)
    hall(CallNext(counter=1, at=hall.at(2)))
    hall(StartService(counter=1, at=hall.at(2.5)))
    hall(Transfer(counter=1, at=hall.at(6), to_service="FEE", return_to_me=True))
    hall(CallNext(counter=3, at=hall.at(9)))
    hall(StartService(counter=3, at=hall.at(9.5)))
    hall(FinishService(counter=3, at=hall.at(12)))  # and back to counter 1
    hall(RateVisit(counter=3, ticket=issued.ticket, score=5, at=hall.at(12.5)))
    hall(CallNext(counter=1, at=hall.at(13)))
    hall(StartService(counter=1, at=hall.at(13.5)))
    hall(FinishService(counter=1, at=hall.at(20)))
    hall(RateVisit(counter=1, ticket=issued.ticket, score=2, reasons=("waited_too_long",), at=hall.at(21)))  # type: ignore[arg-type]
    hall(CloseDay(at=hall.at(600)))
    report = hall.report(day(MONDAY))
    din, bank, c = row(report, "agency", "DIN"), row(report, "agency", "BANK"), report.figures.center
    assert (din.tickets, din.visits, din.served, din.transfers, din.unserved) == (1, 1, 1, 1, 0)
    assert (bank.tickets, bank.visits, bank.served, bank.transfers) == (0, 1, 1, 0)
    assert (c.tickets, c.visits, c.served, c.transfers) == (1, 2, 2, 1)
    assert din.wait_mean == pytest.approx(2.0)
    assert bank.wait_mean == pytest.approx(3.0)
    # DIN's service is both stays at counter 1: 4 min before the bank, 7 after.
    assert din.service_mean == pytest.approx(11.0)
    assert bank.service_mean == pytest.approx(3.0)
    assert (din.ratings, din.rating_mean, din.reasons["waited_too_long"]) == (1, 2.0, 1)
    assert (bank.ratings, bank.satisfied) == (1, 1)
    one, three = row(report, "counter", "1"), row(report, "counter", "3")
    assert (one.visits, one.served, one.transfers, one.service_mean) == (1, 1, 1, pytest.approx(11.0))
    assert (three.visits, three.served, three.transfers) == (1, 1, 0)
    assert row(report, "operator", "op3").rating_mean == 5.0


def test_day_not_closed_leaves_its_waiting_citizens_out(hall: Hall) -> None:
    hall.open_day(MONDAY)
    hall(IssueTicket(service="ID", at=hall.at(0)))
    hall(CloseDay(at=hall.at(600)))  # A001 never called: unserved
    tuesday = MONDAY.replace(day=24)
    hall.open_day(tuesday)
    hall(IssueTicket(service="ID", at=hall.at(0)))
    hall(CallNext(counter=1, at=hall.at(1)))
    hall(StartService(counter=1, at=hall.at(1)))
    hall(FinishService(counter=1, at=hall.at(5)))
    hall(IssueTicket(service="PASS", at=hall.at(3)))
    hall(CloseCounter(counter=1, at=hall.at(6)))
    hall(CloseCounter(counter=2, at=hall.at(6)))
    report = hall.report(span(MONDAY, tuesday))
    fig = report.figures
    assert fig.not_closed == [(tuesday, 1)]
    c = fig.center
    assert (c.tickets, c.visits, c.served, c.unserved, c.waited) == (3, 3, 1, 1, 1)
    assert c.within_share == pytest.approx(1 / 2), "the one still waiting counts neither way"
    assert c.promise_later == pytest.approx(1 / 2)
    assert [r.key for r in fig.rows["day"]] == ["2026-11-23", "2026-11-24"]
    html = render(report, Words("ru", hall.center))
    assert "День 24.11.2026 не закрыт: 1 граждан" in html


def test_log_of_an_older_version_is_read_as_it_is(tmp_path: Path) -> None:
    """Tickets printed without a wait range and a DayClosed without its list of unserved
    tickets, as an older version wrote them: the audit passes, the report reads them."""
    folder = tmp_path / "center"
    hall = Hall(folder)
    url = hall.url
    hall.close()

    def iso(minutes: float) -> str:
        return at(MONDAY, minutes).isoformat()

    old: list[dict[str, Any]] = [
        {"type": "DayOpened", "day": MONDAY.isoformat(), "at": iso(-30)},
        {"type": "CounterOpened", "counter": 1, "at": iso(0), "operator": "op1"},
        *({"type": "TicketIssued", "ticket": f"20261123-A00{n}", "number": f"A00{n}", "service": "ID",
           "agency": "DIN", "at": iso(n), "lang": "az", "priority": "none", "source": "kiosk",
           "appointment": None} for n in (1, 2)),
        {"type": "TicketCalled", "ticket": "20261123-A001", "number": "A001", "service": "ID", "counter": 1,
         "at": iso(4)},
        {"type": "TicketFinished", "ticket": "20261123-A001", "number": "A001", "counter": 1, "at": iso(9)},
        {"type": "DayClosed", "at": iso(600)},
    ]  # fmt: skip
    append_raw(url, old)
    with EventStore(url) as store:
        assert store.verify().ok
        report = Hall.report_of(store, small_center())
    c = report.figures.center
    assert (c.tickets, c.served, c.unserved, c.waited) == (2, 1, 1, 1)
    assert c.wait_mean == pytest.approx(3.0)
    assert c.service_mean == pytest.approx(5.0)
    assert (c.promised, c.promise_inside) == (0, None)
    assert report.figures.no_range == 2
    assert (report.skipped, report.unreadable) == ({}, 0)


def test_events_this_version_does_not_know_are_counted_and_skipped(tmp_path: Path) -> None:
    hall = Hall(tmp_path / "center")
    hall.open_day(MONDAY)
    hall(IssueTicket(service="ID", at=hall.at(0)))
    hall(CloseDay(at=hall.at(600)))
    # Written by a newer version of the server, which this one doesn't know.
    append_raw(
        hall.url, [{"type": "TicketPrinted", "ticket": "20261123-A001", "at": at(MONDAY, 601).isoformat()}]
    )
    report = hall.report(day(MONDAY))
    hall.close()
    assert report.skipped == {"TicketPrinted": 1}
    assert report.figures.center.tickets == 1
    html = render(report, Words("en", small_center()))
    assert "1 event(s) of types this version does not know were skipped: TicketPrinted (1)." in html


def test_every_event_type_of_this_version_is_known_to_the_report() -> None:
    """A type left out would be skipped as "from a newer version" in every report."""
    assert {t.__name__ for t in typing.get_args(Event)} == KNOWN_TYPES


def test_wait_standard_comes_from_the_center(tmp_path: Path) -> None:
    """Waits of 2 and 6 minutes: both within the default 15, one within a standard of 5."""
    hall = Hall(tmp_path / "center", small_center(wait_standard_min=5))
    hall.open_day(MONDAY)
    for minute in (0, 1):
        hall(IssueTicket(service="ID", at=hall.at(minute)))
    for called, counter in ((2, 1), (7, 2)):
        hall(CallNext(counter=counter, at=hall.at(called)))
    hall(CloseDay(at=hall.at(600)))
    strict = hall.report(day(MONDAY))
    hall.close()
    assert strict.figures.standard_min == 5
    assert strict.figures.center.within_share == pytest.approx(0.5)
    with EventStore(hall.url) as store:
        usual = Hall.report_of(store, small_center())
    assert usual.figures.center.within_share == 1.0
    assert "≤ 5 dəq" in render(strict, Words("az", strict.center))


def test_outcomes_of_the_visits_are_counted_by_service_counter_and_operator(
    hall: Hall, tmp_path: Path
) -> None:
    """Each finish's outcome, as the operator chose it, in the tables, the CSV and the HTML;
    a finish that named none is "not recorded"."""
    hall.open_day(MONDAY)
    for minute, (service, outcome) in enumerate(
        [("ID", "served"), ("ID", "documents_missing"), ("PASS", "documents_missing"), ("ID", None)]
    ):
        hall(IssueTicket(service=service, at=hall.at(minute)))
        hall(CallNext(counter=1, at=hall.at(10 + 3 * minute)))
        hall(StartService(counter=1, at=hall.at(10.5 + 3 * minute)))
        hall(FinishService(counter=1, at=hall.at(12 + 3 * minute), outcome=outcome))
    hall(CloseDay(at=hall.at(600)))
    report = hall.report(day(MONDAY))
    assert report.figures.center.outcomes == {"served": 1, "documents_missing": 2, "": 1}
    assert row(report, "service", "ID").outcomes == {"served": 1, "documents_missing": 1, "": 1}
    assert row(report, "service", "PASS").outcomes == {"documents_missing": 1}
    assert row(report, "operator", "op1").outcomes == report.figures.center.outcomes

    path = tmp_path / "report.csv"
    write_csv(report, Words("en", hall.center), path)
    header, *lines = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    columns = [
        "outcome_served",
        "outcome_documents_missing",
        "outcome_redirected",
        "outcome_other",
        "outcome_none",
    ]
    at_ = [header.index(name) for name in columns]
    center = next(line for line in lines if line[0] == "center")
    assert [center[i] for i in at_] == ["1", "2", "0", "0", "1"]

    html = render(report, Words("ru", hall.center))
    assert "Чем закончились обращения" in html
    assert "Не хватает документов" in html
    assert "не отмечено" in html


def test_operators_are_listed_in_the_order_of_their_numbers() -> None:
    """op1, op2, op19, as a manager counts them (sorted as text they came op1, op19, op2)."""
    from server.tally.figures import natural_order

    logins = ["op19", "op2", "supervisor", "op1", "op10a"]
    assert sorted(logins, key=natural_order) == ["op1", "op2", "op10a", "op19", "supervisor"]
