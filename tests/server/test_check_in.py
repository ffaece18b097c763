"""A booked citizen checks in at the kiosk (``check_in``) against a real server, and the
bookings of earlier days and the used codes survive a restart."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.server.bookings import next_slot, now, take_bookings, write_log
from tests.server.harness import Home, ServerProcess, kiosk, make_home, supervisor
from tests.server.test_acceptance import full_doc_answers, same_shape
from wire import events as ev

ON_TIME, EARLY, GONE, CANCELLED, TODAYS = "48210937", "11112222", "33334444", "55556666", "77778888"


def _booked(code: str, slot: datetime, made: datetime) -> ev.BookingMade:
    return ev.BookingMade(code=code, service="DIN-ID", slot_at=slot, at=made, lang="ru", name="Aysel")


SLOTS: dict[str, datetime] = {}
"""Each booking's slot, as the fixture wrote it."""


@pytest.fixture
def booked_home(tmp_path: Path) -> Home:
    """A center that takes bookings, whose log holds yesterday's day and the bookings made then."""
    home = make_home(tmp_path / "center")
    take_bookings(home)
    t = now()
    yesterday = t - timedelta(days=1)
    SLOTS.update({ON_TIME: next_slot(t), EARLY: next_slot(t, 120), GONE: next_slot(t, -60)})
    write_log(
        home,
        [
            ev.DayOpened(day=yesterday.date(), at=yesterday),
            _booked(ON_TIME, SLOTS[ON_TIME], yesterday),
            _booked(EARLY, SLOTS[EARLY], yesterday),
            _booked(GONE, SLOTS[GONE], yesterday),
            _booked(CANCELLED, next_slot(t), yesterday),
            ev.BookingCancelled(code=CANCELLED, at=yesterday),
            ev.DayClosed(at=yesterday),
        ],
    )
    return home


def test_check_in_issues_the_booked_ticket_and_refuses_every_other_case(booked_home: Home) -> None:
    server = ServerProcess(booked_home).start()
    try:
        desk = supervisor(server)
        k = kiosk(server)
        # Typed with a dash and a space: the server reads the digits.
        answer = k.request("check_in", code="4821-0 937", lang="ru")
        assert answer["type"] == "reply", answer
        ticket = answer["result"]["ticket"]
        assert (ticket["service"], ticket["source"], ticket["appointment"]) == (
            "DIN-ID",
            "appointment",
            ON_TIME,
        )
        assert datetime.fromisoformat(ticket["slot_at"]) == SLOTS[ON_TIME]
        assert ticket["lang"] == "ru"
        same_shape(full_doc_answers()["k1-0003"], answer, "check_in k1-0003")
        seen = desk.recv_until(
            lambda m: m.get("type") == "event" and m["event"]["type"] == "BookingCheckedIn"
        )
        assert seen["event"]["code"] == ON_TIME
        assert seen["event"]["ticket"] == ticket["id"]

        used = k.request("check_in", code=ON_TIME, lang="en")
        assert (used["code"], used["details"]["reason"]) == ("check_in_refused", "used"), used
        assert used["details"]["service"] == "DIN-ID"
        assert used["details"]["walk_in"] is True
        assert used["message"] == "Can't check in: this code has been used already"

        early = k.request("check_in", code=EARLY, lang="az")
        assert early["details"]["reason"] == "early", early
        opens = datetime.fromisoformat(early["details"]["opens_at"])
        assert opens == SLOTS[EARLY] - timedelta(minutes=30)
        assert f"{opens:%H:%M}" in early["message"]
        assert early["message"].startswith("Qeydiyyat mümkün deyil: qeydiyyat saat")

        late = k.request("check_in", code=GONE)
        assert late["details"]["reason"] == "late", late
        assert datetime.fromisoformat(late["details"]["closed_at"]) == SLOTS[GONE] + timedelta(minutes=10)

        gone = k.request("check_in", code=CANCELLED, lang="ru")
        assert gone["details"]["reason"] == "cancelled", gone
        assert gone["message"] == "Регистрация по записи невозможна: эта запись отменена"

        unknown = k.request("check_in", code="99990000")
        assert unknown["details"] == {
            "detail": "can't check in: no booking 99990000",
            "reason": "unknown",
            "service": None,
            "walk_in": True,
        }, unknown
        assert k.request("check_in", code="")["code"] == "invalid_message"
        # Only a kiosk checks citizens in.
        assert desk.request("check_in", code=EARLY)["code"] == "forbidden"
    finally:
        server.stop()

    # After a restart: the booking made yesterday is still known and its code still used,
    # the missed one still late, the early one still waits for its window.
    again = ServerProcess(booked_home).start()
    try:
        k = kiosk(again)
        assert k.request("check_in", code=ON_TIME)["details"]["reason"] == "used"
        assert k.request("check_in", code=GONE)["details"]["reason"] == "late"
        assert k.request("check_in", code=EARLY)["details"]["reason"] == "early"
        assert k.request("check_in", code=CANCELLED)["details"]["reason"] == "cancelled"
    finally:
        again.stop()


def test_a_missed_booking_is_recorded_by_the_clock(booked_home: Home) -> None:
    """The booking whose window closed yesterday without a check-in is recorded missed once."""
    from server.store import EventStore

    ServerProcess(booked_home).start().stop()
    ServerProcess(booked_home).start().stop()
    store = EventStore(booked_home.db_url)
    try:
        missed = [e.event for e in store.load() if isinstance(e.event, ev.BookingMissed)]
    finally:
        store.close()
    assert [e.code for e in missed] == [GONE]
