"""A booked citizen's check-in on the kiosk's view-model: the keypad, the scanner's code,
each answer of the server (a ticket with its slot, every refusal), time-outs and the
walk-in ticket offered instead."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kiosk.viewmodel import CODE_DIGITS, PrintState, Refusal, Screen, refusal_of
from novbe.screenshots.kiosk import BOOKING, SLOT, check_in_refused, issued
from wire.client import RequestTimeout

from .conftest import Sent

OPENS = datetime.fromisoformat("2026-11-23T10:15:00+04:00")
CLOSED = datetime.fromisoformat("2026-11-23T09:40:00+04:00")


def to_checkin(rig: Any) -> None:
    rig.step()
    rig.model.open_checkin()
    rig.step()


def type_code(rig: Any, code: str = BOOKING) -> None:
    for digit in code:
        rig.model.type_digit(digit)
        rig.step(0.4)


def answer_booked(rig: Any, sent: Sent, number: str = "A016") -> None:
    answer = issued(rig.server.center, number, "DIN-PASS", lang=sent.fields["lang"], ahead=1)
    ticket = answer.ticket.model_copy(update={"slot_at": SLOT, "appointment": sent.fields["code"]})
    sent.future.set_result(answer.model_copy(update={"ticket": ticket}))


def test_the_keypad_types_the_code_in_groups_and_ok_waits_for_every_digit(rig: Any) -> None:
    r = rig()
    to_checkin(r)
    m = r.model
    assert m.screen is Screen.CHECKIN
    assert m.lang == "az"  # the start screen's language until the citizen picks theirs
    type_code(r, "4821")
    assert m.code_shown == "4821"
    m.type_digit("0")
    r.step()
    assert m.code_shown == "4821 0"
    assert not m.code_complete
    m.submit_code()
    assert r.server.of("check_in") == []  # OK is off until all 8 digits are typed
    m.erase_digit()
    r.step()
    assert m.code == "4821"
    m.clear_code()
    r.step()
    assert m.code == ""
    type_code(r, BOOKING + "55")  # keys past the eighth digit do nothing
    assert m.code == BOOKING
    assert m.code_shown == "4821 0937"
    assert m.code_complete
    assert len(m.code) == CODE_DIGITS
    m.type_digit("x")
    assert m.code == BOOKING


def test_a_check_in_prints_the_ticket_with_its_slot(rig: Any) -> None:
    r = rig()
    to_checkin(r)
    r.model.choose_language("en")
    r.step()
    type_code(r)
    r.model.submit_code()
    [sent] = r.server.of("check_in")
    assert sent.fields == {"code": BOOKING, "lang": "en"}
    assert sent.request_id is not None
    assert sent.request_id.startswith("kiosk-1-")
    r.model.submit_code()
    assert len(r.server.of("check_in")) == 1  # one request in flight
    answer_booked(r, sent)
    m = r.model
    assert m.screen is Screen.TICKET
    assert m.ticket is not None
    assert m.ticket.number == "A016"
    assert m.slot_words(m.ticket) == "Booked for 10:45"
    assert m.ticket_lines()[:2] == ["Your number: A016", "Booked for 10:45"]
    assert m.print_state is PrintState.PRINTED
    [printed] = r.printer.printed
    assert printed.slot_at == SLOT
    assert printed.number == "A016"


@pytest.mark.parametrize(
    ("lang", "booked"),
    [("az", "Qəbul vaxtınız: 10:45"), ("ru", "Запись на 10:45"), ("en", "Booked for 10:45")],
)
def test_the_slot_is_said_in_the_citizens_language(rig: Any, lang: str, booked: str) -> None:
    r = rig()
    to_checkin(r)
    r.model.choose_language(lang)
    r.step()
    type_code(r)
    r.model.submit_code()
    answer_booked(r, r.server.of("check_in")[0])
    assert r.model.ticket is not None
    assert r.model.slot_words(r.model.ticket) == booked


def test_a_walk_in_ticket_has_no_slot(rig: Any) -> None:
    r = rig()
    r.step()
    r.model.choose_language("en")
    r.step()
    r.model.choose_agency("DIN")
    r.step()
    r.model.choose_service("DIN-ID")
    r.server.answer_issue(r.server.of("issue")[0])
    assert r.model.ticket is not None
    assert r.model.ticket.slot_at is None
    assert r.model.slot_words(r.model.ticket) == ""
    assert r.printer.printed[0].slot_at is None


REFUSED = [
    ("early", {"opens_at": OPENS}, "Your check-in opens at 10:15. Please come back then."),
    ("late", {"closed_at": CLOSED}, "You are late: check-in closed at 09:40."),
    ("unknown", {}, "No booking has this code. Please check the 8 digits."),
    ("used", {}, "This booking has already been used: its ticket was issued."),
    ("cancelled", {}, "This booking was cancelled."),
]


@pytest.mark.parametrize(("reason", "times", "said"), REFUSED)
@pytest.mark.parametrize("walk_in", [True, False])
def test_every_refusal_is_explained_and_a_walk_in_offered_when_the_center_allows(
    rig: Any, reason: str, times: dict[str, datetime], said: str, walk_in: bool
) -> None:
    r = rig()
    to_checkin(r)
    r.model.choose_language("en")
    r.step()
    type_code(r)
    r.model.submit_code()
    service = None if reason == "unknown" else "DIN-PASS"
    r.server.of("check_in")[0].future.set_exception(
        check_in_refused(reason, walk_in=walk_in, service=service, **times)
    )
    m = r.model
    assert m.screen is Screen.REFUSED
    assert m.pending is None
    assert m.refusal is not None
    assert m.refusal.reason == reason
    assert m.refusal.walk_in is walk_in
    lines = m.refusal_lines()
    assert lines[0] == said
    assert lines[1:] == (["You can take a regular ticket instead."] if walk_in else [])
    assert m.walk_in_words() == ("Choose the service" if service is None else "Passport issuance")
    r.step()
    m.take_walk_in()
    if not walk_in:
        assert m.screen is Screen.REFUSED
        assert r.server.of("issue") == []
    elif service is None:
        assert m.screen is Screen.AGENCIES  # the citizen chooses the service
    else:
        [issue] = r.server.of("issue")
        assert issue.fields == {"service": "DIN-PASS", "lang": "en", "priority": "none"}
        r.server.answer_issue(issue, "A017")
        assert m.screen is Screen.TICKET
        assert m.ticket is not None
        assert m.ticket.slot_at is None


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
@pytest.mark.parametrize("reason", ["early", "late", "unknown", "used", "cancelled", "unreadable"])
def test_refusals_are_worded_in_every_language(rig: Any, lang: str, reason: str) -> None:
    r = rig()
    r.model.lang = lang
    details = {"reason": reason, "walk_in": True, "service": "DIN-PASS"}
    if reason == "early":
        details["opens_at"] = OPENS.isoformat()
    r.model.refusal = refusal_of(details) if reason != "unreadable" else Refusal("unreadable")
    line = r.model.refusal_lines()[0]
    assert line
    assert "{" not in line
    if reason == "early":
        assert "10:15" in line


def test_refusal_details_are_read_defensively() -> None:
    """An outside server's odd details still give a refusal the kiosk can say."""
    assert refusal_of({}) == Refusal("unknown")
    odd = refusal_of({"reason": "sideways", "walk_in": "yes", "service": 5, "opens_at": "soon"})
    assert odd == Refusal("unknown")
    late = refusal_of(
        {"reason": "late", "walk_in": True, "service": None, "closed_at": "2026-11-23T09:40:00+04:00"}
    )
    assert late == Refusal("late", walk_in=True, closed_at=CLOSED)


def test_early_and_late_without_a_time_still_say_why(rig: Any) -> None:
    r = rig()
    r.model.lang = "en"
    r.model.refusal = Refusal("early")
    assert r.model.refusal_lines() == ["It is too early to check in."]
    r.model.refusal = Refusal("late", walk_in=True)
    assert r.model.refusal_lines() == [
        "It is too late to check in.",
        "You can take a regular ticket instead.",
    ]


def test_the_scanner_checks_in_from_the_start_screen(rig: Any) -> None:
    r = rig()
    r.step()
    r.model.scanned(f" {BOOKING}\r\n")
    assert r.model.screen is Screen.CHECKIN
    [sent] = r.server.of("check_in")
    assert sent.fields == {"code": BOOKING, "lang": "az"}
    answer_booked(r, sent)
    assert r.model.screen is Screen.TICKET


def test_the_scanner_checks_in_from_a_services_screen_in_its_language(rig: Any) -> None:
    r = rig()
    r.step()
    r.model.choose_language("ru")
    r.step()
    r.model.scanned(BOOKING)
    [sent] = r.server.of("check_in")
    assert sent.fields["lang"] == "ru"


def test_a_scanned_code_that_is_no_booking_is_refused_without_asking(rig: Any) -> None:
    r = rig()
    r.step()
    r.model.scanned("NOVBE:BAKU1:20261123-A015")
    assert r.model.screen is Screen.REFUSED
    assert r.model.refusal == Refusal("unreadable")
    assert r.server.of("check_in") == []
    assert (
        r.model.tr("refused.unreadable", "en") == "This is not a booking code: a booking code has 8 digits."
    )


def test_a_scan_while_a_ticket_prints_or_a_request_waits_is_ignored(rig: Any) -> None:
    r = rig()
    r.printer.hold = True
    to_checkin(r)
    type_code(r)
    r.model.submit_code()
    r.model.scanned("11112222")
    assert len(r.server.of("check_in")) == 1
    answer_booked(r, r.server.of("check_in")[0])
    assert r.model.print_state is PrintState.PRINTING
    r.model.scanned("11112222")
    assert len(r.server.of("check_in")) == 1
    assert r.model.screen is Screen.TICKET


def test_a_keyboard_wedge_starts_the_check_in_from_the_start_screen(rig: Any) -> None:
    r = rig()
    r.step()
    for digit in BOOKING:
        r.model.key_digit(digit)  # a scanner types fast: no tap guard
    assert r.model.screen is Screen.CHECKIN
    assert r.model.code == BOOKING
    r.model.key_enter()
    [sent] = r.server.of("check_in")
    assert sent.fields["code"] == BOOKING


def test_a_timed_out_check_in_is_retried_with_the_same_id(rig: Any) -> None:
    r = rig()
    to_checkin(r)
    type_code(r)
    r.model.submit_code()
    first = r.server.of("check_in")[0]
    first.future.set_exception(RequestTimeout())
    assert r.model.screen is Screen.CHECKIN
    assert r.model.notice is not None
    assert r.model.notice.key == "error.timeout_checkin"
    assert r.model.tr("error.timeout_checkin", "en") == "The server did not answer. Please tap OK again."
    r.step()
    r.model.submit_code()
    second = r.server.of("check_in")[1]
    assert second.request_id == first.request_id


def test_offline_sends_no_check_in(rig: Any) -> None:
    r = rig()
    to_checkin(r)
    type_code(r)
    r.model.on_connection("offline")
    r.model.submit_code()
    assert r.server.of("check_in") == []
    assert r.model.notice is not None
    assert r.model.notice.key == "error.offline"


@pytest.mark.parametrize("screen", [Screen.CHECKIN, Screen.REFUSED])
def test_the_check_in_screens_go_back_to_the_start_when_left_alone(rig: Any, screen: Screen) -> None:
    r = rig(inactivity=30.0)
    to_checkin(r)
    if screen is Screen.REFUSED:
        r.model.scanned("123")
    assert r.model.screen is screen
    r.step(29.0)
    assert r.model.screen is screen
    r.step(2.0)
    assert r.model.screen is Screen.START
    assert r.model.code == ""
    assert r.model.refusal is None


def test_back_from_a_refusal_is_the_keypad_and_from_the_keypad_the_start(rig: Any) -> None:
    r = rig()
    to_checkin(r)
    r.model.choose_language("en")
    r.step()
    r.model.scanned("123")
    assert r.model.screen is Screen.REFUSED
    r.step()
    r.model.back()
    assert r.model.screen is Screen.CHECKIN
    assert r.model.lang == "en"
    r.step()
    r.model.back()
    assert r.model.screen is Screen.START
    assert r.model.lang == "az"


def test_type_the_code_again_keeps_the_language(rig: Any) -> None:
    r = rig()
    to_checkin(r)
    r.model.choose_language("ru")
    r.step()
    r.model.scanned("123")
    r.step()
    r.model.checkin_again()
    assert r.model.screen is Screen.CHECKIN
    assert r.model.lang == "ru"
    assert r.model.code == ""


def test_spoken_guidance_reads_the_check_in_and_each_digit(rig: Any) -> None:
    r = rig()
    r.step()
    r.model.switch_assist()
    r.step()
    r.model.open_checkin()
    assert r.voice.said[-1][0].text.startswith("Qəbul kodunuzu daxil edin.")
    r.step()
    r.model.choose_language("en")
    r.step()
    # With spoken guidance a key is heard on the first tap and typed on the second.
    r.model.press("pad:4", "4", lambda: r.model.type_digit("4"))
    assert r.model.code == ""
    r.clock.advance(0.3)
    r.model.press("pad:4", "4", lambda: r.model.type_digit("4"))
    assert r.model.code == "4"
    assert r.voice.said[-1][0].text == "4. Digits left: 7"
    r.model.scanned("1")
    assert r.voice.said[-1][0].text == "This is not a booking code: a booking code has 8 digits."


def test_no_check_in_while_the_center_is_closed_or_the_server_is_away(rig: Any) -> None:
    r = rig(online=False)
    r.step(5.0)
    r.model.open_checkin()
    r.model.scanned(BOOKING)
    r.model.key_digit("4")
    assert r.model.screen is Screen.START
    assert r.server.of("check_in") == []
