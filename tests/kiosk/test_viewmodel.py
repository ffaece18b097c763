"""The kiosk's view-model without a screen: every flow, time, taps and failures."""

from __future__ import annotations

from typing import Any

import pytest

from hardware.exceptions import PaperOut, PrinterTimeout
from hardware.printer import PrinterStatus
from kiosk.viewmodel import NO_PRINTER, PrintState, Screen, health_of_error
from novbe.screenshots.kiosk import issued, sample_welcome
from wire.client import RequestFailed, RequestTimeout
from wire.i18n import catalog, wait_words
from wire.messages import QueueFigures, QueuesNotice
from wire.types import WaitRange


def to_services(rig: Any, lang: str = "en", agency: str = "DIN") -> None:
    rig.step()  # taps right after a screen change are ignored
    rig.model.choose_language(lang)
    rig.step()
    rig.model.choose_agency(agency)
    rig.step()


def test_catalog_is_complete() -> None:
    assert catalog("kiosk").check() == []


def test_wait_range_holds_the_estimate() -> None:
    """The rule the server promises by, which the kiosk shows as it is."""
    assert WaitRange.promise(4.2, 9.6) == WaitRange(4, 10)
    assert WaitRange.promise(0.31, 0.58) == WaitRange(0, 1)
    assert WaitRange.promise(0, 0) == WaitRange(0, 0)
    assert WaitRange.promise(5, 3) == WaitRange(5, 5)


def test_whole_flow_issues_prints_and_returns(rig: Any) -> None:
    r = rig()
    assert r.model.screen is Screen.START
    to_services(r, "ru")
    assert r.model.screen is Screen.SERVICES
    assert [s.code for s in r.model.agency_services()] == [
        "DIN-ID",
        "DIN-PASS",
        "DIN-DRV",
        "DIN-VEH",
        "DIN-CRIM",
    ]
    r.model.choose_service("DIN-PASS")
    [issue] = r.server.of("issue")
    assert issue.fields == {"service": "DIN-PASS", "lang": "ru", "priority": "none"}
    assert issue.request_id
    assert issue.request_id.startswith("kiosk-1-")
    assert r.model.pending is not None
    r.server.answer_issue(issue, "A007")
    assert r.model.screen is Screen.TICKET
    ticket = r.model.ticket
    assert ticket is not None
    assert (ticket.number, ticket.ahead, ticket.wait) == ("A007", 3, WaitRange(4, 10))
    assert ticket.qr_data == "NOVBE:BAKU1:20261123-A007"
    assert r.model.print_state is PrintState.PRINTED
    [printed] = r.printer.printed
    assert printed.number == "A007"
    assert printed.lang == "ru"
    assert printed.service_name["ru"] == "Выдача общегражданского паспорта"
    assert printed.zone_name["en"] == "Floor 1"
    assert printed.priority is None
    r.step(9.0)
    assert r.model.screen is Screen.TICKET
    r.step(1.5)
    assert r.model.screen is Screen.START
    assert r.model.lang == "az"
    assert r.model.ticket is None


def test_priority_is_one_extra_screen_for_those_who_need_it(rig: Any) -> None:
    r = rig()
    to_services(r, "az")
    r.model.open_priority()
    assert r.model.screen is Screen.PRIORITY
    r.step()
    r.model.choose_priority("martyr_family")
    assert r.model.screen is Screen.SERVICES
    assert r.model.priority == "martyr_family"
    r.step()
    r.model.choose_service("DIN-ID")
    [issue] = r.server.of("issue")
    assert issue.fields["priority"] == "martyr_family"
    r.server.answer_issue(issue)
    assert r.printer.printed[0].priority == "martyr_family"


def test_unknown_priority_is_refused(rig: Any) -> None:
    r = rig()
    to_services(r)
    r.model.open_priority()
    r.step()
    r.model.choose_priority("vip")
    assert r.model.screen is Screen.PRIORITY
    assert r.model.priority == "none"


def test_second_half_of_a_double_tap_is_ignored_on_the_next_screen(rig: Any) -> None:
    r = rig()
    r.model.choose_language("en")
    r.model.choose_agency("DIN")  # same instant: the second tap of a double tap
    assert r.model.screen is Screen.AGENCIES
    r.step(0.1)
    r.model.choose_agency("DIN")
    assert r.model.screen is Screen.AGENCIES
    r.step(0.3)
    r.model.choose_agency("DIN")
    assert r.model.screen is Screen.SERVICES
    r.model.choose_service("DIN-ID")  # landed where the agency tile was
    assert r.server.of("issue") == []


def test_repeated_taps_on_a_service_send_one_request(rig: Any) -> None:
    r = rig()
    to_services(r)
    for _ in range(5):
        r.model.choose_service("DIN-ID")
        r.clock.advance(0.2)
    r.model.choose_service("DIN-PASS")
    r.model.back()
    r.model.start_over()
    assert len(r.server.of("issue")) == 1
    assert r.model.screen is Screen.SERVICES
    r.server.answer_issue(r.server.of("issue")[0])
    r.model.choose_service("DIN-ID")  # now on the ticket screen: nothing to issue
    assert len(r.server.of("issue")) == 1


def test_a_timed_out_request_is_retried_with_the_same_id(rig: Any) -> None:
    r = rig()
    to_services(r)
    r.model.choose_service("DIN-ID")
    first = r.server.of("issue")[0]
    first.future.set_exception(RequestTimeout())
    assert r.model.pending is None
    assert r.model.notice is not None
    assert r.model.notice.key == "error.timeout"
    assert r.model.screen is Screen.SERVICES
    r.step()
    r.model.choose_service("DIN-ID")
    second = r.server.of("issue")[1]
    assert second.request_id == first.request_id
    second.future.set_exception(RequestTimeout())
    r.step()
    r.model.choose_service("DIN-PASS")  # another service is another ticket
    third = r.server.of("issue")[2]
    assert third.request_id != first.request_id
    r.server.answer_issue(third)
    assert r.model.screen is Screen.TICKET


def test_retry_id_is_forgotten_when_the_session_ends(rig: Any) -> None:
    r = rig()
    to_services(r)
    r.model.choose_service("DIN-ID")
    r.server.of("issue")[0].future.set_exception(RequestTimeout())
    r.step()
    r.model.start_over()
    to_services(r)
    r.model.choose_service("DIN-ID")
    ids = [s.request_id for s in r.server.of("issue")]
    assert ids[0] != ids[1]


@pytest.mark.parametrize(
    ("code", "details", "key"),
    [
        ("service_unavailable", {"reason": "full"}, "service.full"),
        ("service_unavailable", {"reason": "closed"}, "service.closed"),
        ("day_not_open", {}, "error.day_not_open"),
        ("store_unavailable", {}, "error.try_again"),
        ("internal_error", {}, "error.not_issued"),
    ],
)
def test_server_refusals_are_explained(rig: Any, code: str, details: dict[str, Any], key: str) -> None:
    r = rig()
    to_services(r)
    r.model.choose_service("DIN-ID")
    r.server.of("issue")[0].future.set_exception(RequestFailed(code, "text", details))
    assert r.model.notice is not None
    assert r.model.notice.key == key
    assert r.model.screen is Screen.SERVICES
    assert r.printer.printed == []
    assert r.model.tr(key, detail="x")


def test_closed_and_full_services_are_not_requested(rig: Any) -> None:
    r = rig(welcome=sample_welcome(unavailable={"DIN-ID": "closed", "DIN-PASS": "full"}))
    to_services(r)
    assert r.model.availability("DIN-ID").reason == "closed"
    assert r.model.availability("DIN-PASS").reason == "full"
    assert r.model.availability("DIN-DRV").available
    r.model.choose_service("DIN-ID")
    r.model.choose_service("DIN-PASS")
    assert r.server.of("issue") == []
    assert r.model.notice is not None
    assert r.model.notice.key == "service.full"


def test_queue_figures_update_availability(rig: Any) -> None:
    r = rig()
    before = len(r.changes)
    snapshot = sample_welcome(unavailable={"MED-MEDC": "full"}).snapshot
    assert snapshot is not None
    r.model.on_message(QueuesNotice(services=snapshot.queues))
    assert len(r.changes) == before + 1
    assert not r.model.availability("MED-MEDC").available
    assert not r.model.agency_available("MED")
    assert r.model.agency_available("DIN")


@pytest.mark.parametrize(
    ("wait", "tile", "ticket"),
    [
        (WaitRange(5, 11), "Waiting: 4 · ~5-11 min", "Estimated wait: 5-11 min"),
        (WaitRange(0, 1), "Waiting: 4 · under a minute", "Estimated wait: under a minute"),
        (WaitRange(0, 0), "Waiting: 4 · no wait", "No wait"),
    ],
)
def test_the_promised_wait_is_shown_and_printed_as_the_server_decided(
    rig: Any, wait: WaitRange, tile: str, ticket: str
) -> None:
    """The services screen, the ticket screen and the paper say the same range, and
    "no wait" and "under a minute" in words, never "0-0" or "0-1"."""
    r = rig()
    figures = QueueFigures(waiting=4, oldest_wait_min=3.0, open_counters=1, available=True, wait=wait)
    r.model.on_message(QueuesNotice(services={"DIN-ID": figures}))
    to_services(r)
    assert r.model.service_detail("DIN-ID") == tile
    r.model.choose_service("DIN-ID")
    [issue] = r.server.of("issue")
    issue.future.set_result(issued(r.server.center, "A001", "DIN-ID", lang="en", wait=wait))
    assert r.model.ticket is not None
    assert r.model.wait_words(r.model.ticket.wait) == ticket
    [printed] = r.printer.printed
    assert printed.wait == wait
    for lang in ("az", "ru"):
        assert wait_words(printed.wait, lang) not in ("", ticket)


def test_offline_issues_nothing_and_says_so(rig: Any) -> None:
    r = rig()
    to_services(r)
    r.model.on_connection("offline")
    r.step(1.0)
    assert not r.model.offline_shown  # a short drop is not shown
    r.step(1.5)
    assert r.model.offline_shown
    r.model.choose_service("DIN-ID")
    assert r.server.of("issue") == []
    r.model.on_connection("connecting")
    assert r.model.offline_shown
    r.model.on_connection("online")
    assert not r.model.offline_shown
    r.step()
    r.model.choose_service("DIN-ID")
    assert len(r.server.of("issue")) == 1


def test_a_tap_while_offline_shows_the_notice_at_once(rig: Any) -> None:
    r = rig()
    to_services(r)
    r.model.on_connection("offline")
    r.model.choose_service("DIN-ID")
    assert r.model.offline_shown
    assert r.model.notice is not None
    assert r.model.notice.key == "error.offline"
    assert r.server.of("issue") == []


def test_never_connected_shows_offline(rig: Any) -> None:
    r = rig(online=False)
    r.model.tick()
    assert r.model.offline_shown
    assert not r.model.can_issue


def test_printer_failure_keeps_the_number_on_screen_and_tells_the_supervisor(rig: Any) -> None:
    r = rig()
    r.model.tick()  # the first status check
    assert r.printer.polls == 1
    r.printer.error = PaperOut("the printer is out of paper", device="serial:///dev/pts/9")
    r.printer.state = PrinterStatus.PAPER_OUT
    to_services(r)
    r.model.choose_service("DIN-ID")
    r.server.answer_issue(r.server.of("issue")[0], "A001")
    assert r.model.screen is Screen.TICKET
    assert r.model.print_state is PrintState.FAILED
    assert r.model.ticket is not None
    assert r.model.ticket.number == "A001"
    assert not r.model.printer_ok
    health = r.server.of("report_health")[-1]
    assert [h.fields["status"] for h in r.server.of("report_health")] == ["ok", "paper_out"]
    assert health.fields["component"] == "printer"
    assert health.fields["status"] == "paper_out"
    assert "out of paper" in health.fields["detail"]
    # The unprinted ticket stays long enough to photograph it.
    r.step(20)
    assert r.model.screen is Screen.TICKET
    r.step(11)
    assert r.model.screen is Screen.START
    # Known broken: the next ticket isn't sent to the printer at all.
    r.printer.error = None
    to_services(r)
    r.model.choose_service("DIN-PASS")
    r.server.answer_issue(r.server.of("issue")[1], "A002")
    assert r.model.print_state is PrintState.FAILED
    assert r.printer.printed == []
    assert len(r.server.of("report_health")) == 2  # paper_out again: no new report
    # Paper loaded: the next check finds it and tells the server.
    r.printer.state = PrinterStatus.OK
    r.step(3.5)
    assert r.model.printer_ok
    assert [h.fields["status"] for h in r.server.of("report_health")] == ["ok", "paper_out", "ok"]


def test_printer_polled_slowly_when_fine_and_quickly_when_broken(rig: Any) -> None:
    r = rig()
    r.model.tick()
    r.step(10)
    assert r.printer.polls == 1
    r.step(21)
    assert r.printer.polls == 2
    r.printer.state = PrinterStatus.COVER_OPEN
    r.step(30)
    assert r.model.printer_health == "cover_open"
    polls = r.printer.polls
    r.step(3.1)
    assert r.printer.polls == polls + 1


def test_paper_low_still_prints_and_is_reported(rig: Any) -> None:
    r = rig()
    r.printer.state = PrinterStatus.PAPER_LOW
    to_services(r)
    r.model.choose_service("DIN-ID")
    r.server.answer_issue(r.server.of("issue")[0])
    assert r.model.print_state is PrintState.PRINTED
    assert r.model.printer_ok
    assert [h.fields["status"] for h in r.server.of("report_health")] == ["paper_low"]


def test_health_is_reported_again_after_a_reconnect(rig: Any) -> None:
    r = rig()
    r.printer.state = PrinterStatus.PAPER_OUT
    r.model.tick()
    assert len(r.server.of("report_health")) == 1
    r.model.on_connection("offline")
    r.printer.state = PrinterStatus.OFFLINE
    r.step(3.5)
    assert len(r.server.of("report_health")) == 1  # nobody to tell
    r.model.on_connection("online")
    assert [h.fields["status"] for h in r.server.of("report_health")] == ["paper_out", "offline"]


def test_ticket_stays_while_printing(rig: Any) -> None:
    r = rig()
    r.printer.hold = True
    to_services(r)
    r.model.choose_service("DIN-ID")
    r.server.answer_issue(r.server.of("issue")[0])
    assert r.model.print_state is PrintState.PRINTING
    r.step(60)
    assert r.model.screen is Screen.TICKET
    r.printer.held[0].set_exception(PrinterTimeout("no answer"))
    assert r.model.print_state is PrintState.FAILED
    assert health_of_error(PrinterTimeout("x")) == "offline"
    assert r.server.of("report_health")[-1].fields["status"] == "offline"


def test_ticket_dismissed_by_a_tap_but_not_by_an_impatient_one(rig: Any) -> None:
    r = rig()
    to_services(r)
    r.model.choose_service("DIN-ID")
    r.server.answer_issue(r.server.of("issue")[0])
    r.clock.advance(0.5)
    r.model.dismiss_ticket()
    assert r.model.screen is Screen.TICKET
    r.clock.advance(1.5)
    r.model.dismiss_ticket()
    assert r.model.screen is Screen.START


@pytest.mark.parametrize("screen", [Screen.AGENCIES, Screen.SERVICES, Screen.PRIORITY])
def test_inactivity_returns_to_start_from_any_screen(rig: Any, screen: Screen) -> None:
    r = rig()
    r.model.choose_language("ru")
    if screen is not Screen.AGENCIES:
        r.step()
        r.model.choose_agency("EDL")
    if screen is Screen.PRIORITY:
        r.step()
        r.model.open_priority()
    assert r.model.screen is screen
    r.step(20)
    r.model.touch()
    r.step(20)
    assert r.model.screen is screen  # the touch restarted the timer
    r.step(10.5)
    assert r.model.screen is Screen.START
    assert r.model.lang == "az"
    assert r.model.priority == "none"


def test_no_inactivity_reset_while_a_ticket_is_being_issued(rig: Any) -> None:
    r = rig(issue_timeout=60)
    to_services(r)
    r.model.choose_service("DIN-ID")
    r.step(40)
    assert r.model.screen is Screen.SERVICES
    r.server.answer_issue(r.server.of("issue")[0])
    assert r.model.screen is Screen.TICKET


def test_back_walks_the_screens(rig: Any) -> None:
    r = rig()
    to_services(r)
    r.model.open_priority()
    r.step()
    r.model.back()
    assert r.model.screen is Screen.SERVICES
    r.step()
    r.model.back()
    assert r.model.screen is Screen.AGENCIES
    r.step()
    r.model.back()
    assert r.model.screen is Screen.START


def test_a_late_answer_for_a_forgotten_request_is_ignored(rig: Any) -> None:
    r = rig()
    to_services(r)
    r.model.choose_service("DIN-ID")
    first = r.server.of("issue")[0]
    first.future.set_exception(RequestTimeout())
    r.step()
    r.model.choose_service("DIN-PASS")
    r.server.answer_issue(r.server.of("issue")[1], "A002")
    assert r.model.ticket is not None
    assert r.model.ticket.number == "A002"
    assert len(r.printer.printed) == 1


def test_texts_follow_the_chosen_language(rig: Any) -> None:
    r = rig()
    assert r.model.tr("start.welcome", "az") == "Xoş gəlmisiniz!"
    to_services(r, "ru")
    assert r.model.tr("services.title") == "Выберите услугу"
    assert r.model.name(r.model.services["DIN-ID"].name) == "Выдача удостоверения личности"
    assert r.model.zone_name("floor-2") == "2-й этаж"


def test_the_view_model_does_not_import_qt() -> None:
    import subprocess
    import sys

    code = (
        "import sys, kiosk.viewmodel, kiosk.printing; print(sorted(m for m in sys.modules if 'PySide6' in m))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_kiosk_without_a_printer_says_so_and_never_pretends_to_print(rig: Any) -> None:
    """No printer configured: the supervisor is told at once, the ticket is on screen only."""
    r = rig(no_printer=True)
    assert not r.model.has_printer
    assert not r.model.printer_ok
    [health] = r.server.of("report_health")
    assert (health.fields["component"], health.fields["status"]) == ("printer", "offline")
    assert health.fields["detail"] == NO_PRINTER
    to_services(r)
    r.model.choose_service("DIN-ID")
    r.server.answer_issue(r.server.of("issue")[0], "A001")
    assert r.model.screen is Screen.TICKET
    assert r.model.print_state is PrintState.NO_PRINTER
    assert r.printer.printed == []
    # As long on screen as an unprinted ticket: time to photograph it.
    r.step(25)
    assert r.model.screen is Screen.TICKET
    r.step(10)
    assert r.model.screen is Screen.START
    # Nothing to poll, nothing new to report; after a reconnect the server hears it again.
    r.step(120)
    assert r.printer.polls == 0
    assert len(r.server.of("report_health")) == 1
    r.model.on_connection("connecting")
    r.model.on_connection("online")
    assert [h.fields["status"] for h in r.server.of("report_health")] == ["offline", "offline"]


def test_virtual_printer_tells_the_supervisor_nothing_is_on_paper(rig: Any) -> None:
    r = rig(printer_note="virtual printer: tickets are saved as pictures in /tmp/t")
    r.model.tick()
    [health] = r.server.of("report_health")
    assert (health.fields["status"], health.fields["detail"]) == (
        "ok",
        "virtual printer: tickets are saved as pictures in /tmp/t",
    )
