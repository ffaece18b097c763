"""A booked citizen at the counter: the operator's window, against a real server, says
"Booked 10:30" beside the citizen's language, while called and while served; a walk-in's
ticket says nothing of the kind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.counter.helpers import open_desk
from tests.server.bookings import next_slot, now, take_bookings, write_log
from tests.server.harness import Home, ServerProcess, kiosk, make_home
from wire import events as ev

CODE = "48210937"


@pytest.fixture
def booked(tmp_path: Path) -> Iterator[tuple[ServerProcess, datetime]]:
    """A server whose center books DIN-ID, with a booking made yesterday for a slot now."""
    home: Home = make_home(tmp_path / "center")
    take_bookings(home)
    t = now()
    yesterday = t - timedelta(days=1)
    slot = next_slot(t)
    write_log(
        home,
        [
            ev.DayOpened(day=yesterday.date(), at=yesterday),
            ev.BookingMade(code=CODE, service="DIN-ID", slot_at=slot, at=yesterday, lang="ru"),
            ev.DayClosed(at=yesterday),
        ],
    )
    server = ServerProcess(home).start()
    yield server, slot
    server.stop()


@pytest.mark.parametrize(
    ("lang", "words"), [("az", "Qəbul vaxtı: {}"), ("ru", "Запись на {}"), ("en", "Booked {}")]
)
def test_a_booked_citizen_is_shown_with_the_slot(
    qtbot: QtBot, booked: tuple[ServerProcess, datetime], lang: str, words: str
) -> None:
    server, slot = booked
    k = kiosk(server)
    try:
        answer = k.request("check_in", code=CODE, lang="ru")
        assert answer["type"] == "reply", answer
    finally:
        k.close()
    booked_number = answer["result"]["ticket"]["number"]
    with open_desk(qtbot, server, 12, lang=lang) as desk:
        w, vm = desk.window, desk.vm
        desk.login("op12")
        desk.press("call")
        desk.wait(lambda: vm.current is not None and vm.pending is None)
        assert vm.current is not None
        assert vm.current.number == booked_number
        assert w.number.text() == booked_number
        assert w.booked.isVisible()
        assert w.booked.text() == words.format(f"{slot:%H:%M}")
        desk.press("start")
        desk.wait(lambda: vm.current is not None and vm.current.state == "serving" and vm.pending is None)
        assert w.booked.isVisible()
        assert w.booked.text() == words.format(f"{slot:%H:%M}")
        desk.finish()
        k = kiosk(server)
        try:
            walk_in = k.request("issue", service="DIN-ID", lang="az")["result"]["ticket"]
        finally:
            k.close()
        desk.press("call")
        desk.wait(
            lambda: vm.current is not None and vm.current.number == walk_in["number"] and not vm.pending
        )
        assert not w.booked.isVisible()
