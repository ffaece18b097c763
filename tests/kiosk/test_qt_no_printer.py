"""The kiosk window of a kiosk without a printer: it says so, and never says "take your
ticket below". The view-model is driven, the real widgets (offscreen) are read."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QSize

from kiosk.qt_kiosk import KioskWindow
from kiosk.viewmodel import Screen

from .test_viewmodel import to_services


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_window_of_a_kiosk_without_a_printer_never_promises_paper(qtbot: Any, rig: Any, lang: str) -> None:
    r = rig(no_printer=True)
    window = KioskWindow(r.model, size=QSize(1080, 1920))
    qtbot.addWidget(window)
    window.show()
    # The start screen says it in every language, before anyone taps.
    assert window.banner.isVisible()
    assert window.banner.text().splitlines() == [r.model.tr("printer.none", x) for x in ("az", "ru", "en")]
    to_services(r, lang)
    assert window.banner.text() == r.model.tr("printer.none")
    r.model.choose_service("DIN-ID")
    r.server.answer_issue(r.server.of("issue")[0], "A001")
    assert r.model.screen is Screen.TICKET
    assert window.ticket_number.text() == "A001"
    shown = window.ticket_print.text()
    assert shown == r.model.tr("ticket.no_printer")
    for promise in ("ticket.printed", "ticket.printing"):
        assert shown != r.model.tr(promise)


def test_window_of_a_kiosk_with_a_printer_shows_no_such_notice(qtbot: Any, rig: Any) -> None:
    r = rig()
    window = KioskWindow(r.model, size=QSize(1080, 1920))
    qtbot.addWidget(window)
    window.show()
    r.model.tick()
    assert not window.banner.isVisible()
    to_services(r)
    r.model.choose_service("DIN-ID")
    r.server.answer_issue(r.server.of("issue")[0], "A001")
    assert window.ticket_print.text() == r.model.tr("ticket.printed")
