"""The kiosk's view-model without a screen: the search, the most requested services, the
closed center and the accessible mode with its spoken guidance."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import pytest

from kiosk.speech import Say
from kiosk.viewmodel import Screen
from novbe.screenshots.kiosk import closed_queues, sample_welcome
from wire.messages import QueuesNotice, Snapshot
from wire.types import LANGS

from .test_viewmodel import to_services


def baku(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+04:00")


def to_agencies(r: Any, lang: str = "en") -> None:
    r.step()
    r.model.choose_language(lang)
    r.step()


def said(r: Any) -> list[str]:
    """Everything the voice was asked to say, as text."""
    return [part.text for parts in r.voice.said for part in parts]


# --- search -------------------------------------------------------------------------------


def test_citizen_finds_a_service_by_typing_and_takes_its_ticket(rig: Any) -> None:
    r = rig()
    to_agencies(r, "az")
    r.model.open_search()
    assert r.model.screen is Screen.SEARCH
    assert r.model.search_results() == []
    for letter in "SEXS":  # "Şəxs" typed without its marks
        r.step(0.4)
        r.model.type_letter(letter)
    assert r.model.query == "SEXS"
    assert r.model.search_results()[0].code == "DIN-ID"
    r.step()
    r.model.choose_service("DIN-ID")
    [issue] = r.server.of("issue")
    assert issue.fields == {"service": "DIN-ID", "lang": "az", "priority": "none"}
    r.server.answer_issue(issue, "A001")
    assert r.model.screen is Screen.TICKET


def test_the_keyboard_types_only_its_letters_and_edits(rig: Any) -> None:
    r = rig()
    to_agencies(r, "ru")
    r.model.open_search()
    assert r.model.keyboard()[:3] == ("А", "Б", "В")
    assert len(r.model.keyboard()) == 33
    for key in ("П", "Q", " ", "А", " ", " ", "С"):
        r.step(0.4)
        r.model.type_letter(key)
    # A Latin letter is not on the Russian keyboard; a space neither starts nor doubles.
    assert r.model.query == "П А С"
    r.step(0.4)
    r.model.erase()
    assert r.model.query == "П А "
    r.step(0.4)
    r.model.clear_query()
    assert r.model.query == ""
    r.step(0.4)
    r.model.back()
    assert r.model.screen is Screen.AGENCIES


def test_a_service_must_be_offered_on_the_screen_to_be_taken(rig: Any) -> None:
    r = rig()
    to_agencies(r, "en")
    top = [s.code for s in r.model.top_services()]
    assert len(top) == 4
    hidden = next(s.code for s in r.model.center.services if s.code not in top)
    r.model.choose_service(hidden)  # not on the agencies screen
    assert r.server.of("issue") == []
    r.model.choose_service(top[0])
    assert [s.fields["service"] for s in r.server.of("issue")] == [top[0]]


def test_the_most_requested_follow_the_queue_figures(rig: Any) -> None:
    r = rig()
    to_agencies(r)
    best = r.model.top_services()[0]
    figures = dict(r.model.queues)
    figures[best.code] = figures[best.code].model_copy(update={"available": False, "reason": "closed"})
    r.model.on_message(QueuesNotice(services=figures))
    assert best not in r.model.top_services()


def test_priority_chosen_on_the_agencies_screen_returns_there(rig: Any) -> None:
    r = rig()
    to_agencies(r)
    r.model.open_priority()
    assert r.model.screen is Screen.PRIORITY
    r.step()
    r.model.choose_priority("veteran")
    assert r.model.screen is Screen.AGENCIES
    r.step()
    r.model.choose_service(r.model.top_services()[0].code)
    assert r.server.of("issue")[0].fields["priority"] == "veteran"


def test_nobody_ahead_is_said_as_the_paper_says_it(rig: Any) -> None:
    r = rig()
    assert r.model.ahead_words(0) == r.model.tr("ticket.ahead_none") == "Sizdən əvvəl heç kim yoxdur"
    assert r.model.ahead_words(3) == "Sizdən əvvəl: 3 nəfər"


# --- the closed center --------------------------------------------------------------------


def closed_welcome() -> Any:
    welcome = sample_welcome()
    snapshot = Snapshot(day=None, open=False, queues=closed_queues(welcome.center))
    return welcome.model_copy(update={"snapshot": snapshot})


@pytest.mark.parametrize(
    ("now", "lines"),
    [
        # Saturday evening: today's hours, and Monday.
        ("2026-11-28T20:15", ["The center is closed now", "Today: 09:00-19:00", "Opens on Monday at 09:00"]),
        # Sunday: closed all day.
        (
            "2026-11-29T11:00",
            ["The center is closed now", "The center does not open today", "Opens tomorrow at 09:00"],
        ),
        # A Tuesday before dawn: today.
        ("2026-11-24T06:30", ["The center is closed now", "Today: 09:00-19:00", "Opens today at 09:00"]),
    ],
)
def test_a_closed_center_says_when_it_opens(rig: Any, now: str, lines: list[str]) -> None:
    r = rig(welcome=closed_welcome(), now=baku(now))
    closed = r.model.closed()
    assert closed is not None
    assert r.model.closed_lines(closed, "en") == lines
    # No ticket can be had: the language buttons lead nowhere.
    r.step()
    r.model.choose_language("en")
    assert r.model.screen is Screen.START


def test_closed_lines_in_every_language(rig: Any) -> None:
    r = rig(welcome=closed_welcome(), now=baku("2026-11-28T20:15"))
    closed = r.model.closed()
    assert closed is not None
    assert r.model.closed_lines(closed, "az") == [
        "Mərkəz hazırda bağlıdır",
        "Bu gün: 09:00-19:00",
        "Açılır: bazar ertəsi, saat 09:00",
    ]
    assert r.model.closed_lines(closed, "ru") == [
        "Центр сейчас закрыт",
        "Сегодня: 09:00-19:00",
        "Откроется в понедельник в 09:00",
    ]


def test_inside_the_hours_the_center_is_not_called_closed(rig: Any) -> None:
    """Within the hours every service says itself why it takes no ticket."""
    r = rig(welcome=closed_welcome(), now=baku("2026-11-24T12:00"))
    assert r.model.closed() is None


def test_a_center_that_issues_is_open_whatever_the_clock(rig: Any) -> None:
    r = rig(now=baku("2026-11-29T23:00"))  # some services take tickets: open
    assert r.model.closed() is None


def test_the_center_opens_when_its_queues_do(rig: Any) -> None:
    r = rig(welcome=closed_welcome(), now=baku("2026-11-24T07:59"))
    assert r.model.closed() is not None
    r.wall[0] = baku("2026-11-24T08:00")
    r.model.on_message(QueuesNotice(services=sample_welcome().snapshot.queues))  # type: ignore[union-attr]
    assert r.model.closed() is None


def test_a_closed_center_is_not_claimed_offline_or_before_the_welcome(rig: Any) -> None:
    r = rig(online=False, now=baku("2026-11-29T11:00"))
    assert r.model.closed() is None


def test_the_closed_hours_are_those_of_the_welcome(rig: Any) -> None:
    welcome = closed_welcome()
    center = welcome.center.model_copy(update={"opens": time(8, 30), "closes": time(17, 0), "days": ("Mon",)})
    r = rig(welcome=welcome.model_copy(update={"center": center}), now=baku("2026-11-24T10:00"))
    closed = r.model.closed()
    assert closed is not None
    assert r.model.closed_lines(closed, "en")[1:] == [
        "The center does not open today",
        "Opens on Monday at 08:30",
    ]


# --- the accessible mode and spoken guidance ----------------------------------------------


def test_the_accessible_mode_is_switched_on_from_the_start_and_introduces_itself(rig: Any) -> None:
    r = rig()
    r.step()
    r.model.switch_assist()
    assert r.model.assist
    assert r.model.speech
    [intro] = r.voice.said
    assert [p.lang for p in intro] == ["az", "ru", "en"]
    # How the mode works, then the start screen itself.
    assert intro[2].text == f"{r.model.tr('assist.intro', 'en')} Welcome! Choose your language"


def test_switched_on_at_a_closed_center_the_mode_says_when_it_opens(rig: Any) -> None:
    r = rig(welcome=closed_welcome(), now=baku("2026-11-28T20:15"))
    r.step()
    r.model.switch_assist()
    [said_now] = r.voice.said
    closed = [
        "Mərkəz hazırda bağlıdır. Bu gün: 09:00-19:00. Açılır: bazar ertəsi, saat 09:00",
        "Центр сейчас закрыт. Сегодня: 09:00-19:00. Откроется в понедельник в 09:00",
        "The center is closed now. Today: 09:00-19:00. Opens on Monday at 09:00",
    ]
    assert said_now == [
        Say(lang, f"{r.model.tr('assist.intro', lang)} {text}")
        for lang, text in zip(LANGS, closed, strict=True)
    ]
    assert r.model.timings.inactivity_assist > r.model.timings.inactivity


def test_with_guidance_a_first_tap_reads_and_a_second_chooses(rig: Any) -> None:
    r = rig(double_tap=0.7)
    r.step()
    r.model.switch_assist()
    r.step()
    chosen: list[str] = []
    r.model.press("lang.ru", "Русский язык", lambda: chosen.append("ru"))
    assert chosen == []
    assert said(r)[-1] == "Русский язык"
    assert r.model.focused == "lang.ru"
    r.step(0.3)
    r.model.press("lang.ru", "Русский язык", lambda: chosen.append("ru"))
    assert chosen == ["ru"]
    assert r.model.focused is None


def test_with_guidance_taps_too_far_apart_or_elsewhere_only_read(rig: Any) -> None:
    r = rig(double_tap=0.7)
    r.step()
    r.model.switch_assist()
    chosen: list[str] = []
    r.step()
    r.model.press("a", "first", lambda: chosen.append("a"))
    r.step(0.9)  # too slow for a double tap
    r.model.press("a", "first", lambda: chosen.append("a"))
    r.step(0.2)
    r.model.press("b", "second", lambda: chosen.append("b"))  # another button
    assert chosen == []
    assert said(r)[-3:] == ["first", "first", "second"]


def test_without_guidance_a_tap_chooses_at_once(rig: Any) -> None:
    r = rig()
    chosen: list[str] = []
    r.model.press("a", "first", lambda: chosen.append("a"))
    assert chosen == ["a"]
    assert r.voice.said == []


def test_every_screen_is_read_as_it_appears(rig: Any) -> None:
    r = rig()
    r.step()
    r.model.switch_assist()
    to_services(r, "en")
    texts = said(r)
    assert any(t.startswith("Choose an agency") for t in texts)
    services = [t for t in texts if "Choose a service" in t]
    assert services == ["Ministry of Internal Affairs. Choose a service: 5 in all."]
    r.model.open_priority()
    assert said(r)[-1] == f"{r.model.tr('priority.title')}. {r.model.tr('priority.hint')}"
    r.step()
    r.model.choose_priority("none")
    r.step()
    r.model.choose_service("DIN-ID")
    r.server.answer_issue(r.server.of("issue")[0], "A001")
    ticket = r.voice.said[-1]
    assert [p.text for p in ticket] == [
        "Your number: A001",
        "Identity card issuance",
        "Go to: Floor 1",
        "People ahead of you: 3",
        "Estimated wait: 4-10 min",
        "Please take your ticket below.",
    ]


def test_a_failed_print_is_said(rig: Any) -> None:
    from hardware.exceptions import PaperOut

    r = rig()
    r.step()
    r.model.switch_assist()
    to_services(r, "en")
    r.printer.error = PaperOut("out of paper")
    r.model.choose_service("DIN-ID")
    r.server.answer_issue(r.server.of("issue")[0], "A001")
    assert said(r)[-1] == r.model.tr("ticket.not_printed")
    assert r.model.ticket_lines()[-1] == r.model.tr("ticket.not_printed")


def test_typing_says_how_many_services_were_found(rig: Any) -> None:
    r = rig()
    r.step()
    r.model.switch_assist()
    to_agencies(r, "en")
    r.model.open_search()
    for letter in "PASS":
        r.step(0.4)
        r.model.type_letter(letter)
    assert said(r)[-1] == "PASS: 1 services found"


def test_the_session_end_switches_the_mode_off_and_silences_it(rig: Any) -> None:
    r = rig(inactivity=30, inactivity_assist=90)
    r.step()
    r.model.switch_assist()
    to_agencies(r)
    r.step(60)  # an ordinary citizen's timeout; not in the accessible mode
    assert r.model.screen is Screen.AGENCIES
    r.step(31)
    assert r.model.screen is Screen.START
    assert not r.model.assist
    assert not r.model.speech
    assert r.voice.stopped == 1


def test_speech_can_be_switched_off_and_the_mode_kept(rig: Any) -> None:
    r = rig()
    r.step()
    r.model.switch_assist()
    r.step()
    r.model.switch_speech()
    assert r.model.assist
    assert not r.model.speech
    chosen: list[str] = []
    r.model.press("a", "first", lambda: chosen.append("a"))
    assert chosen == ["a"]  # one tap again


def test_a_kiosk_without_a_voice_has_the_mode_but_no_guidance(rig: Any) -> None:
    r = rig(speaker=False)
    r.step()
    r.model.switch_assist()
    assert r.model.assist
    assert not r.model.speech
    assert not r.model.has_speech
    r.step()
    r.model.switch_speech()
    assert not r.model.speech


def test_the_mode_is_switched_only_on_the_start_screen(rig: Any) -> None:
    r = rig()
    to_agencies(r)
    r.model.switch_assist()
    assert not r.model.assist


def test_pages_turn_and_wrap(rig: Any) -> None:
    r = rig()
    to_agencies(r)
    for expected in (1, 2, 0):
        r.step()
        r.model.next_page(3)
        assert r.model.page == expected
    r.step()
    r.model.choose_agency("DIN")
    assert r.model.page == 0


def test_the_ticket_stays_longer_in_the_accessible_mode(rig: Any) -> None:
    r = rig(ticket=10, ticket_assist=30)
    r.step()
    r.model.switch_assist()
    to_services(r)
    r.model.choose_service("DIN-ID")
    r.server.answer_issue(r.server.of("issue")[0], "A001")
    r.step(15)
    assert r.model.screen is Screen.TICKET
    r.step(16)
    assert r.model.screen is Screen.START


def test_every_spoken_text_is_in_the_catalog_of_each_language(rig: Any) -> None:
    """The screen summaries have all their placeholders filled in every language."""
    for lang in LANGS:
        r = rig()
        r.step()
        r.model.switch_assist()
        to_services(r, lang)
        for text in said(r):
            assert "{" not in text, text


def test_the_screen_is_read_again_on_request_and_only_with_guidance(rig: Any) -> None:
    """A touch on the accessible mode's upper part reads the screen again; nothing is chosen."""
    r = rig()
    r.step()
    r.model.switch_assist()
    r.step()
    r.model.choose_language("ru")
    r.step()
    assert r.model.screen is Screen.AGENCIES
    before = len(r.voice.said)
    r.model.read_again()
    assert len(r.voice.said) == before + 1
    assert r.voice.said[-1] == r.model.screen_words()
    assert r.voice.said[-1][0].text.startswith("Выберите ведомство")
    assert r.model.screen is Screen.AGENCIES
    # Spoken guidance switched off (on the start screen): the upper part reads nothing.
    r.model.start_over()
    r.step()
    r.model.switch_assist()
    r.step()
    r.model.switch_speech()
    r.step()
    r.model.choose_language("ru")
    r.step()
    assert r.model.assist
    assert not r.model.speech
    before = len(r.voice.said)
    r.model.read_again()
    assert len(r.voice.said) == before
