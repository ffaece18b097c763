"""The real kiosk window, offscreen: what a screen reader gets of every widget, the
accessible mode's low layout and contrast, taps read aloud and chosen twice, the search
keyboard and the closed center."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from kiosk.qt_kiosk import CONTRAST, MIN_TARGET_PX, NORMAL, InfoPanel, KioskWindow, Note
from kiosk.viewmodel import Screen
from novbe.screenshots.kiosk import SCREENS, SIZES, Quiet, staged_model
from wire.i18n import catalog
from wire.messages import CenterInfo

KIOSK = catalog("kiosk")


def window_of(qtbot: Any, screen: str, lang: str, orientation: str = "portrait") -> KioskWindow:
    model = staged_model(screen, lang, live=True)
    window = KioskWindow(model, size=QSize(*SIZES[orientation]))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def touchable(window: KioskWindow) -> list[QWidget]:
    """The widgets on screen a citizen can touch: buttons, and what reads itself on a tap."""
    return [
        w
        for w in window.findChildren(QWidget)
        if w.isVisible() and (isinstance(w, QAbstractButton) or w.property("tappable"))
    ]


def reader_name(widget: QWidget) -> str:
    """The name a screen reader announces, through Qt's accessibility interface."""
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None
    return interface.text(QAccessible.Text.Name)


def foreign_texts(lang: str, center: CenterInfo | None = None) -> set[str]:
    """The kiosk's texts, and the center's names, in the other languages that differ from
    this one's."""
    own = KIOSK.texts[lang]
    texts = {
        text
        for other in ("az", "ru", "en")
        if other != lang
        for key, text in KIOSK.texts[other].items()
        if "{" not in text and text != own.get(key) and key != "lang.self"
    }
    if center is not None:
        named = [center.name, *(a.name for a in center.agencies), *(s.name for s in center.services)]
        named += [z.name for z in center.zones]
        texts |= {n[other] for n in named for other in n if other != lang and n[other] != n.get(lang)}
    return texts


def said_parts(widget: QWidget) -> list[str]:
    """The accessible name and description of a widget, line by line."""
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None
    lines = [interface.text(QAccessible.Text.Name), interface.text(QAccessible.Text.Description)]
    return [part.strip() for line in lines for part in line.replace(". ", "\n").splitlines() if part.strip()]


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
@pytest.mark.parametrize("screen", SCREENS)
def test_every_widget_a_citizen_touches_has_a_name_in_the_screens_language(
    qtbot: Any, screen: str, lang: str
) -> None:
    window = window_of(qtbot, screen, lang)
    widgets = touchable(window)
    assert widgets, f"{screen}: nothing to touch"
    unnamed = [f"{type(w).__name__} {w.objectName()!r}" for w in widgets if not reader_name(w).strip()]
    assert not unnamed, f"{screen} [{lang}]: no accessible name: {unnamed}"
    labels = [w for w in window.findChildren(QLabel) if w.isVisible() and (w.text() or w.pixmap())]
    assert all(reader_name(w).strip() for w in labels)
    if screen.removeprefix("assist-") not in ("start", "offline", "closed", "start-no-printer"):
        # Outside the screens that speak every language, no name is another language's.
        others = foreign_texts(lang, window.model.center)
        strays = [part for w in widgets + labels for part in said_parts(w) if part in others]
        assert not strays, f"{screen} [{lang}]: {strays}"


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
@pytest.mark.parametrize("screen", [s for s in SCREENS if s.startswith("assist-")])
def test_the_accessible_mode_keeps_every_control_low_and_large(
    qtbot: Any, screen: str, orientation: str
) -> None:
    window = window_of(qtbot, screen, "ru", orientation)
    assert window.colors is CONTRAST
    assert window.metrics.text > round(min(*SIZES[orientation]) / 30)
    floor = window.reach_top if screen not in ("assist-ticket",) else 0
    for widget in touchable(window):
        if widget is window.pages[Screen.TICKET] or isinstance(widget, (Note, InfoPanel)):
            # Text that reads itself when touched anywhere: the ticket, the closed center's
            # message (which is also said when the mode is switched on), the upper part that
            # says what the screen is about. None of them chooses anything.
            continue
        top = widget.mapTo(window, widget.rect().topLeft())
        bottom = widget.mapTo(window, widget.rect().bottomRight())
        name = reader_name(widget)
        assert top.y() >= floor, f"{screen} {orientation}: {name!r} at y={top.y()} above {floor}"
        assert bottom.y() < window.height(), f"{name!r} off the screen"
        assert bottom.x() < window.width(), f"{name!r} off the screen"
        assert widget.height() >= MIN_TARGET_PX, f"{name!r} is {widget.height()} px high"
        assert widget.width() >= MIN_TARGET_PX, f"{name!r} is {widget.width()} px wide"


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
@pytest.mark.parametrize("screen", [s for s in SCREENS if not s.startswith("assist-")])
def test_every_control_is_a_full_touch_target(qtbot: Any, screen: str, orientation: str) -> None:
    window = window_of(qtbot, screen, "az", orientation)
    assert window.colors is NORMAL
    for widget in touchable(window):
        assert widget.height() >= MIN_TARGET_PX, f"{reader_name(widget)!r}: {widget.height()} px"
        assert widget.width() >= MIN_TARGET_PX, f"{reader_name(widget)!r}: {widget.width()} px"


def tap(qtbot: Any, widget: QWidget, *, double: bool = False) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    if double:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_the_start_screens_button_switches_the_mode_and_its_look(qtbot: Any) -> None:
    window = window_of(qtbot, "start", "az")
    model = window.model
    assert window.colors is NORMAL
    assert reader_name(window.assist_button) == "Əlçatan rejim · Режим доступности · Accessible mode"
    tap(qtbot, window.assist_button)
    qtbot.waitUntil(lambda: window.colors is CONTRAST)
    assert model.assist
    assert model.speech
    assert window.speech_button.isVisible()
    assert reader_name(window.speech_button) == "Səsli kömək: açıq"
    # The controls moved down within reach, the text grew.
    assert (
        window.lang_buttons["az"].mapTo(window, window.lang_buttons["az"].rect().topLeft()).y()
        >= window.reach_top
    )


def test_with_guidance_the_window_reads_a_tap_and_a_double_tap_chooses(qtbot: Any) -> None:
    window = window_of(qtbot, "assist-start", "az")
    model = window.model
    voice = model._speaker
    assert isinstance(voice, Quiet)
    qtbot.wait(400)  # past the tap guard
    tap(qtbot, window.lang_buttons["ru"])
    assert model.screen is Screen.START
    assert [(p.lang, p.text) for p in voice.said[-1]] == [("ru", "Русский язык")]
    assert window.lang_buttons["ru"].focused
    tap(qtbot, window.lang_buttons["ru"])
    qtbot.waitUntil(lambda: model.screen is Screen.AGENCIES)
    assert model.lang == "ru"
    # The new screen is read: "choose an agency", in Russian.
    assert voice.said[-1][0].lang == "ru"
    assert voice.said[-1][0].text.startswith("Выберите ведомство")
    # A tile reads its name and its line.
    qtbot.wait(400)
    tile = window.agency_tiles["DIN"]
    tap(qtbot, tile)
    assert voice.said[-1][0].text == "Министерство внутренних дел. 1-й этаж"


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_a_touch_on_the_upper_part_reads_the_screen_again(qtbot: Any, orientation: str) -> None:
    """Whoever missed what the screen is about hears it again with one touch at the top,
    without learning every button; nothing is chosen."""
    window = window_of(qtbot, "assist-services", "ru", orientation)
    model = window.model
    voice = model._speaker
    assert isinstance(voice, Quiet)
    assert window.info.isVisible()
    assert window.info.mapTo(window, window.info.rect().bottomLeft()).y() < window.reach_top
    assert reader_name(window.info) == "Министерство внутренних дел"
    said = len(voice.said)
    qtbot.mouseClick(window.info_howto, Qt.MouseButton.LeftButton)  # a label on the panel
    assert len(voice.said) == said + 1
    assert [(p.lang, p.text) for p in voice.said[-1]] == [(s.lang, s.text) for s in model.screen_words()]
    assert voice.said[-1][0].text.startswith("Министерство внутренних дел. Выберите услугу")
    qtbot.mouseClick(window.info, Qt.MouseButton.LeftButton)
    assert model.screen is Screen.SERVICES  # read again, never chosen
    assert len(voice.said) == said + 2


def test_the_search_keyboard_types_and_a_result_takes_the_ticket(qtbot: Any) -> None:
    window = window_of(qtbot, "agencies", "en")
    model = window.model
    qtbot.wait(400)
    tap(qtbot, window.search_button)
    qtbot.waitUntil(lambda: model.screen is Screen.SEARCH)
    for letter in "PASSP":
        qtbot.wait(400)
        tap(qtbot, window.keys[letter])
    assert model.query == "PASSP"
    assert window.search_query.text().startswith("PASSP")
    assert list(window.result_tiles) == ["DIN-PASS"]
    result = window.result_tiles["DIN-PASS"]
    assert reader_name(result) == "Passport issuance"
    qtbot.wait(400)
    tap(qtbot, window.keys["erase"])
    assert model.query == "PASS"
    qtbot.wait(400)
    tap(qtbot, window.result_tiles["DIN-PASS"])
    qtbot.waitUntil(lambda: model.screen is Screen.TICKET)
    assert window.ticket_service.text() == "Passport issuance"


def test_the_closed_center_speaks_every_language_and_offers_the_mode(qtbot: Any) -> None:
    window = window_of(qtbot, "closed", "az")
    assert window.stack.currentWidget() is window.pages["closed"]
    assert [n.head.text() for n in window.closed_notes.values()] == [
        "Mərkəz hazırda bağlıdır",
        "Центр сейчас закрыт",
        "The center is closed now",
    ]
    assert window.closed_notes["en"].body.text() == "Today: 09:00-19:00\nOpens on Monday at 09:00"
    assert not window.nav.isVisible()
    qtbot.wait(400)
    tap(qtbot, window.closed_assist)
    qtbot.waitUntil(lambda: window.colors is CONTRAST)
    voice = window.model._speaker
    assert isinstance(voice, Quiet)
    tap(qtbot, window.closed_notes["ru"])
    assert [p.text for p in voice.said[-1]] == [
        "Центр сейчас закрыт",
        "Сегодня: 09:00-19:00",
        "Откроется в понедельник в 09:00",
    ]
    assert {p.lang for p in voice.said[-1]} == {"ru"}
