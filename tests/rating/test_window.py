"""The rating terminal's window, offscreen: drive the model and read the widgets; tap the
widgets and read what the model sent."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt

from novbe.screenshots.rating import notice, ticket, visit
from rating.qt_rating import RatingWindow
from rating.viewmodel import SCORES, Screen
from wire.client import ConnState
from wire.types import RatingReason, TicketState


@pytest.fixture
def window(qtbot: Any, rig: Any) -> Any:
    def make(size: tuple[int, int] = (800, 480), **options: Any) -> tuple[Any, RatingWindow]:
        r = rig(tap_guard=0.0, **options)
        view = RatingWindow(r.model, size=QSize(*size))
        qtbot.addWidget(view)
        view.show()
        return r, view

    return make


def tap(qtbot: Any, widget: Any) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_idle_shows_the_counter_the_operator_and_the_ticket(window: Any) -> None:
    r, view = window()
    assert view.stack.currentWidget() is view.pages[Screen.IDLE]
    assert view.idle_counter.text() == "12 nömrəli masa"
    assert view.idle_operator.text() == "Masa bağlıdır"
    r.model.on_message(notice(serving=ticket("A014", TicketState.SERVING, lang="ru")))
    assert view.idle_counter.text() == "Окно 12"
    assert view.idle_operator.text() == "Вас обслуживает: Leyla Məmmədova"
    assert view.idle_status.text() == "Обслуживается: A014"
    assert view.windowTitle() == "novbe — терминал оценки окна 12"


def test_a_tap_on_a_face_rates_and_thanks(qtbot: Any, window: Any) -> None:
    r, view = window()
    r.model.on_message(notice(last=visit("A014", lang="en", finished_at=r.now)))
    assert view.stack.currentWidget() is view.pages[Screen.FACES]
    assert view.faces_title.text() == "How satisfied are you with the service?"
    assert view.faces_visit.text() == "Ticket A014 · Counter 12 · Leyla Məmmədova"
    assert [view.face_buttons[s].text() for s in SCORES] == ["Very bad", "Bad", "Fair", "Good", "Excellent"]
    tap(qtbot, view.face_buttons[5])
    [sent] = r.server.sent
    assert sent.fields["score"] == 5
    assert view.stack.currentWidget() is view.pages[Screen.THANKS]
    assert view.thanks_title.text() == "Thank you!"
    assert view.thanks_kept.isHidden()


def test_reasons_are_chosen_and_sent_with_taps(qtbot: Any, window: Any) -> None:
    r, view = window()
    last = visit("A014", lang="az", finished_at=r.now)
    r.model.on_message(notice(last=last))
    tap(qtbot, view.face_buttons[2])
    assert view.stack.currentWidget() is view.pages[Screen.REASONS]
    rude = view.reason_buttons[RatingReason.RUDE]
    tap(qtbot, rude)
    tap(qtbot, view.reason_buttons[RatingReason.OTHER])
    tap(qtbot, view.reason_buttons[RatingReason.OTHER])
    assert rude.isChecked()
    assert rude.caption.text() == "✓ Kobud davranış"
    assert not view.reason_buttons[RatingReason.OTHER].isChecked()
    tap(qtbot, view.send_button)
    [sent] = r.server.sent
    assert sent.fields == {"ticket": last.ticket, "score": 2, "reasons": ["rude"]}


def test_offline_the_banner_and_the_thanks_say_the_rating_is_kept(qtbot: Any, window: Any) -> None:
    r, view = window(offline_grace=0.0)
    r.model.on_message(notice(last=visit("A014", lang="ru", finished_at=r.now)))
    r.model.on_connection(ConnState.OFFLINE)
    r.step(0.1)
    assert not view.banner.isHidden()
    assert view.banner.text() == "Нет связи с сервером"
    tap(qtbot, view.face_buttons[4])
    tap(qtbot, view.send_button)
    assert view.banner.isHidden(), "the thank-you screen says it in its own words"
    assert not view.thanks_kept.isHidden()
    r.step(6.0)
    # Back at the counter's screen, in the terminal's own language: nobody is served.
    assert view.banner.text() == "Serverlə əlaqə yoxdur\nGöndərilməyi gözləyən rəylər: 1"


@pytest.mark.parametrize("size", [(800, 480), (1024, 600)])
@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_every_face_and_reason_fits_the_screen(
    qtbot: Any, window: Any, size: tuple[int, int], lang: str
) -> None:
    r, view = window(size)
    r.model.on_message(notice(last=visit("A014", lang=lang, finished_at=r.now)))  # type: ignore[arg-type]
    qtbot.wait(10)
    screen = view.rect()
    for button in view.face_buttons.values():
        box = button.geometry().translated(button.parentWidget().mapTo(view, button.pos()) - button.pos())
        assert screen.contains(box), (lang, button.text())
        assert button.width() >= view.metrics.face
    tap(qtbot, view.face_buttons[1])
    qtbot.wait(10)
    for button in [*view.reason_buttons.values(), view.send_button]:
        assert button.height() >= 96, "a touch target"
        caption = button.caption
        assert caption.heightForWidth(caption.width()) <= button.height(), caption.text()
