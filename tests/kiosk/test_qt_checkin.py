"""The check-in on the real kiosk window, offscreen, over the view-model and a fake server:
the start screen's button, the keypad tapped, a keyboard-wedge scanner's keys, every
refusal as the window shows it, and the booked ticket's slot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt

from kiosk.qt_kiosk import KioskWindow
from kiosk.viewmodel import Screen
from novbe.screenshots.kiosk import BOOKING, check_in_refused

from .test_checkin import CLOSED, OPENS, answer_booked


def open_window(qtbot: Any, r: Any) -> KioskWindow:
    window = KioskWindow(r.model, size=QSize(1080, 1920))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def tap(qtbot: Any, r: Any, widget: Any) -> None:
    r.step()  # past the tap guard, like a person's next tap
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_the_keypad_types_the_code_and_the_ticket_shows_the_slot(qtbot: Any, rig: Any) -> None:
    r = rig()
    window = open_window(qtbot, r)
    assert window.checkin_button.isVisible()
    assert window.checkin_button.title.text() == "Qəbula yazılmışam"
    assert window.checkin_button.detail.text() == "У меня есть запись · I have an appointment"
    tap(qtbot, r, window.checkin_button)
    assert r.model.screen is Screen.CHECKIN
    assert window.stack.currentWidget() is window.pages[Screen.CHECKIN]
    tap(qtbot, r, window.lang_rows[Screen.CHECKIN]["en"])
    assert window.checkin_title.text() == "Type your booking code"
    assert not window.code_ok.isEnabled()
    for digit in BOOKING[:4]:
        tap(qtbot, r, window.pad[digit])
    assert window.code_field.text() == "4821 ····"
    tap(qtbot, r, window.pad["erase"])
    assert window.code_field.text() == "482· ····"
    tap(qtbot, r, window.pad["clear"])
    assert r.model.code == ""
    for digit in BOOKING:
        tap(qtbot, r, window.pad[digit])
    assert window.code_field.text() == "4821 0937"
    assert window.code_ok.isEnabled()
    assert not window.pad["5"].isEnabled()  # every digit typed
    tap(qtbot, r, window.code_ok)
    [sent] = r.server.of("check_in")
    assert sent.fields == {"code": BOOKING, "lang": "en"}
    assert window.banner.isVisible()  # "Issuing your ticket…" while the server answers
    answer_booked(r, sent)
    assert window.stack.currentWidget() is window.pages[Screen.TICKET]
    assert window.ticket_number.text() == "A016"
    assert window.ticket_slot.isVisible()
    assert window.ticket_slot.text() == "Booked for 10:45"
    assert "Booked for 10:45" in window.pages[Screen.TICKET].accessibleDescription()


def test_a_walk_in_ticket_shows_no_slot_line(qtbot: Any, rig: Any) -> None:
    r = rig()
    window = open_window(qtbot, r)
    r.step()
    r.model.choose_language("en")
    r.step()
    r.model.choose_agency("DIN")
    r.step()
    r.model.choose_service("DIN-ID")
    r.server.answer_issue(r.server.of("issue")[0])
    assert window.ticket_number.text() == "A001"
    assert not window.ticket_slot.isVisible()


def test_a_keyboard_wedge_scanner_checks_in_from_the_start_screen(qtbot: Any, rig: Any) -> None:
    r = rig()
    window = open_window(qtbot, r)
    r.step()
    qtbot.keyClicks(window, BOOKING)
    assert r.model.screen is Screen.CHECKIN
    assert window.code_field.text() == "4821 0937"
    qtbot.keyClick(window, Qt.Key.Key_Return)
    [sent] = r.server.of("check_in")
    assert sent.fields["code"] == BOOKING


REASONS: list[tuple[str, dict[str, datetime], dict[str, str]]] = [
    (
        "early",
        {"opens_at": OPENS},
        {
            "az": "Qeydiyyatın başlama vaxtı: 10:15. O vaxt yenidən gəlin.",
            "ru": "Регистрация откроется в 10:15. Пожалуйста, подойдите к этому времени.",
            "en": "Your check-in opens at 10:15. Please come back then.",
        },
    ),
    (
        "late",
        {"closed_at": CLOSED},
        {
            "az": "Gecikdiniz: qeydiyyat 09:40 bitdi.",
            "ru": "Вы опоздали: регистрация закончилась в 09:40.",
            "en": "You are late: check-in closed at 09:40.",
        },
    ),
    (
        "unknown",
        {},
        {
            "az": "Bu kodla qəbula yazılış tapılmadı. 8 rəqəmi yoxlayın.",
            "ru": "Записи с таким кодом нет. Проверьте 8 цифр.",
            "en": "No booking has this code. Please check the 8 digits.",
        },
    ),
    (
        "used",
        {},
        {
            "az": "Bu qəbula yazılış artıq istifadə olunub: onun talonu verilib.",
            "ru": "Эта запись уже использована: талон по ней выдан.",
            "en": "This booking has already been used: its ticket was issued.",
        },
    ),
    (
        "cancelled",
        {},
        {
            "az": "Bu qəbula yazılış ləğv olunub.",
            "ru": "Эта запись отменена.",
            "en": "This booking was cancelled.",
        },
    ),
]


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
@pytest.mark.parametrize(("reason", "times", "said"), REASONS)
def test_each_refusal_is_shown_with_the_walk_in_ticket_when_offered(
    qtbot: Any, rig: Any, lang: str, reason: str, times: dict[str, datetime], said: dict[str, str]
) -> None:
    r = rig()
    window = open_window(qtbot, r)
    r.step()
    r.model.open_checkin()
    r.step()
    r.model.choose_language(lang)
    r.model.scanned(BOOKING)
    walk_in = reason != "early"
    r.server.of("check_in")[0].future.set_exception(check_in_refused(reason, walk_in=walk_in, **times))
    assert window.stack.currentWidget() is window.pages[Screen.REFUSED]
    assert window.refused_text.text() == said[lang]
    assert window.walk_in_button.isVisible() is walk_in
    assert window.again_button.isVisible()
    assert window.back_button.isVisible()
    if walk_in:
        assert window.walk_in_button.title.text() == r.model.tr("refused.walk_in")
        assert window.walk_in_button.accessibleName() == r.model.tr("refused.walk_in")
        tap(qtbot, r, window.walk_in_button)
        [issue] = r.server.of("issue")
        assert issue.fields["service"] == "DIN-PASS"
        assert issue.fields["lang"] == lang
    else:
        tap(qtbot, r, window.again_button)
        assert window.stack.currentWidget() is window.pages[Screen.CHECKIN]
