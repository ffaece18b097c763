"""Booking requests with an ``Idempotency-Key``, over real HTTP against a real ``novbe server
--booking-port`` on loopback: a retry after a lost answer, a retry after a restart, a key reused
with another body, and concurrent copies of one request make exactly one booking."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server import security
from tests.server.bookings import BAKU, TOKEN, BookingClient, booking_url, now, take_bookings
from tests.server.harness import ServerProcess, make_home

START = ("--booking-port", "0")


def _tomorrow(hour: int, minute: int = 0) -> datetime:
    day = now().date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BAKU)


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def _codes_at(api: BookingClient, slot: datetime) -> list[str]:
    status, listed = api.call("GET", f"/bookings?day={slot.date()}&service=DIN-ID")
    assert status == 200, listed
    return [b["code"] for b in listed["bookings"] if datetime.fromisoformat(b["slot_at"]) == slot]


@pytest.fixture(scope="module")
def booked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BookingClient]:
    """A center that books DIN-ID in 5-minute slots of two places, with its booking API."""
    home = make_home(tmp_path_factory.mktemp("once") / "center")
    take_bookings(home, per_slot=2, token_sha256=security.hash_token(TOKEN))
    server = ServerProcess(home, extra_args=list(START)).start()
    try:
        yield BookingClient(booking_url(server))
    finally:
        server.stop()


def test_a_retry_after_the_answer_was_lost_makes_one_booking(booked: BookingClient) -> None:
    api, key, slot = booked, _key(), _tomorrow(9, 0)
    body = {"service": "DIN-ID", "slot_at": slot.isoformat(), "name": "Rəşad Əliyev"}
    first = api.call("POST", "/bookings", body, headers=key)
    assert first[0] == 201, first
    # The same request again (the booking system never saw the first answer): the same answer.
    again = api.call("POST", "/bookings", body, headers=key)
    assert again == first
    # The body compared as JSON: another order of its keys is the same request.
    reordered = {"name": "Rəşad Əliyev", "slot_at": slot.isoformat(), "service": "DIN-ID"}
    assert api.call("POST", "/bookings", reordered, headers=key) == first
    assert _codes_at(api, slot) == [first[1]["code"]]
    # Without a key, the same body is a new booking, as before.
    status, other = api.call("POST", "/bookings", body)
    assert status == 201, other
    assert sorted(_codes_at(api, slot)) == sorted([first[1]["code"], other["code"]])


def test_a_move_and_a_cancel_sent_twice_are_answered_alike(booked: BookingClient) -> None:
    api, slot = booked, _tomorrow(9, 30)
    status, made = api.call("POST", "/bookings", {"service": "DIN-ID", "slot_at": slot.isoformat()})
    assert status == 201, made
    code, later = made["code"], slot + timedelta(minutes=5)
    move, cancel = _key(), _key()
    moved = api.call("PATCH", f"/bookings/{code}", {"slot_at": later.isoformat()}, headers=move)
    assert moved[0] == 200, moved
    cancelled = api.call("DELETE", f"/bookings/{code}", headers=cancel)
    assert (cancelled[0], cancelled[1]["state"]) == (200, "cancelled")
    # Each retry gets its first answer; without the keys they would be refused (closed).
    assert api.call("PATCH", f"/bookings/{code}", {"slot_at": later.isoformat()}, headers=move) == moved
    assert api.call("DELETE", f"/bookings/{code}", headers=cancel) == cancelled
    status, refused = api.call("DELETE", f"/bookings/{code}")
    assert (status, refused["error"]) == (409, "booking_closed")


def test_a_key_reused_with_another_request_is_refused_422(booked: BookingClient) -> None:
    api, key, slot = booked, _key(), _tomorrow(10, 0)
    body = {"service": "DIN-ID", "slot_at": slot.isoformat()}
    status, made = api.call("POST", "/bookings", body, headers=key)
    assert status == 201, made
    other_slot = slot + timedelta(minutes=5)
    for method, path, other in (
        ("POST", "/bookings", body | {"slot_at": other_slot.isoformat()}),
        ("POST", "/bookings", body | {"lang": "ru"}),
        ("PATCH", f"/bookings/{made['code']}", {"slot_at": other_slot.isoformat()}),
        ("DELETE", f"/bookings/{made['code']}", None),
    ):
        status, refused = api.call(method, path, other, headers=key)
        assert (status, refused["error"]) == (422, "idempotency_key_reused"), (method, refused)
        assert key["Idempotency-Key"] in refused["message"]
        assert refused["details"] == {"key": key["Idempotency-Key"]}
    # Nothing of them happened.
    assert _codes_at(api, slot) == [made["code"]]
    assert _codes_at(api, other_slot) == []
    status, one = api.call("GET", f"/bookings/{made['code']}")
    assert (status, one["state"], one["lang"]) == (200, "booked", "az")


def test_a_refusal_is_kept_for_its_key(booked: BookingClient) -> None:
    api, slot = booked, _tomorrow(10, 30)
    body = {"service": "DIN-ID", "slot_at": slot.isoformat()}
    taken = [api.call("POST", "/bookings", body)[1]["code"] for _ in range(2)]
    key = _key()
    full = api.call("POST", "/bookings", body, headers=key)
    assert (full[0], full[1]["error"]) == (409, "slot_full"), full
    assert api.call("DELETE", f"/bookings/{taken[0]}")[0] == 200
    # A place is free now, but this request was answered: its retry gets the same refusal.
    assert api.call("POST", "/bookings", body, headers=key) == full
    assert sorted(_codes_at(api, slot)) == sorted(taken)


@pytest.mark.parametrize("key", ["", " ", "a b", "x" * 101, "ключ"])
def test_a_bad_key_is_refused_422(booked: BookingClient, key: str) -> None:
    slot = _tomorrow(11, 0)
    body = {"service": "DIN-ID", "slot_at": slot.isoformat()}
    headers = {"Idempotency-Key": key.encode().decode("latin-1")}
    status, refused = booked.call("POST", "/bookings", body, headers=headers)
    assert (status, refused["error"]) == (422, "invalid_request"), refused
    assert "Idempotency-Key" in refused["message"]
    assert _codes_at(booked, slot) == []


def test_concurrent_copies_of_one_request_make_one_booking(booked: BookingClient) -> None:
    slot, key, n = _tomorrow(12, 0), _key(), 16
    body = {"service": "DIN-ID", "slot_at": slot.isoformat(), "phone": "+994501112233"}
    start = threading.Barrier(n)
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def send() -> None:
        client = BookingClient(booked.url)
        start.wait()
        answer = client.call("POST", "/bookings", body, headers=key)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=send) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == n
    assert {status for status, _ in answers} == {201}, answers
    assert len({answer["code"] for _, answer in answers}) == 1
    assert _codes_at(booked, slot) == [answers[0][1]["code"]]


def test_a_retry_after_a_restart_gets_the_first_answer(tmp_path: Path) -> None:
    home = make_home(tmp_path / "center")
    take_bookings(home, per_slot=1, token_sha256=security.hash_token(TOKEN))
    slot = _tomorrow(9, 0)
    body = {"service": "DIN-ID", "slot_at": slot.isoformat(), "lang": "en"}
    made_key, full_key, other_slot = _key(), _key(), slot + timedelta(minutes=5)
    server = ServerProcess(home, extra_args=list(START)).start()
    try:
        api = BookingClient(booking_url(server))
        made = api.call("POST", "/bookings", body, headers=made_key)
        assert made[0] == 201, made
        full = api.call("POST", "/bookings", body, headers=full_key)
        assert (full[0], full[1]["error"]) == (409, "slot_full")
    finally:
        server.stop()
    again = ServerProcess(home, extra_args=list(START)).start()
    try:
        api = BookingClient(booking_url(again))
        assert api.call("POST", "/bookings", body, headers=made_key) == made
        assert api.call("POST", "/bookings", body, headers=full_key) == full
        status, refused = api.call(
            "POST", "/bookings", body | {"slot_at": other_slot.isoformat()}, headers=made_key
        )
        assert (status, refused["error"]) == (422, "idempotency_key_reused")
        assert _codes_at(api, slot) == [made[1]["code"]]
        assert _codes_at(api, other_slot) == []
    finally:
        again.stop()
