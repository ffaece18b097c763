"""The booking API over real HTTP against a real ``novbe server --booking-port`` on loopback:
each endpoint, every refusal with its status, concurrent requests for the last place of a slot,
bookings kept across a restart, and a failing store answered 503 with nothing kept."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import serve

from server import security
from server.booking.api import BookingApi
from server.center import load_center
from server.hub import Hub
from server.store import EventStore, StoreError
from tests.server.bookings import (
    BAKU,
    TOKEN,
    BookingClient,
    booking_url,
    next_slot,
    now,
    take_bookings,
)
from tests.server.harness import Home, ServerProcess, WsClient, kiosk, make_home, supervisor


def _tomorrow(hour: int, minute: int = 0) -> datetime:
    day = now().date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BAKU)


@pytest.fixture(scope="module")
def booked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, BookingClient]]:
    """A center that books DIN-ID in 5-minute slots of one place, with its booking API."""
    home = make_home(tmp_path_factory.mktemp("booked") / "center")
    take_bookings(home, per_slot=1, token_sha256=security.hash_token(TOKEN))
    server = ServerProcess(home, extra_args=["--booking-port", "0"]).start()
    try:
        yield server, BookingClient(booking_url(server))
    finally:
        server.stop()


def test_a_booking_is_made_read_listed_moved_and_cancelled(
    booked: tuple[ServerProcess, BookingClient],
) -> None:
    server, api = booked
    desk = supervisor(server)
    web = WsClient(server.url)
    assert web.hello(role="web", device="1", token=server.home.token("web", "1"))["type"] == "welcome"
    slot = _tomorrow(10, 0)
    status, made = api.call(
        "POST",
        "/bookings",
        {
            "service": "DIN-ID",
            "slot_at": slot.isoformat(),
            "name": "Aysel Məmmədova",
            "phone": "+994501234567",
        },
    )
    assert status == 201, made
    code = made["code"]
    assert len(code) == 8
    assert code.isdigit()
    assert (made["service"], made["state"], made["lang"], made["name"]) == (
        "DIN-ID",
        "booked",
        "az",
        "Aysel Məmmədova",
    )
    assert datetime.fromisoformat(made["slot_at"]) == slot
    assert made["qr"] == {"text": code, "svg": f"/bookings/{code}/qr.svg", "png": f"/bookings/{code}/qr.png"}
    assert made["qr_svg"].startswith("<svg")
    seen = desk.recv_until(lambda m: m.get("type") == "event" and m["event"]["type"] == "BookingMade")
    assert seen["event"]["code"] == code
    assert seen["event"]["phone"] == "+994501234567"
    # Not to the web process: the next event it gets is the ticket issued after the booking.
    issued = kiosk(server).request("issue", service="DIN-PASS")["result"]["ticket"]
    first = web.recv_until(lambda m: m.get("type") == "event" and m["seq"] >= seen["seq"])
    assert (first["event"]["type"], first["event"]["ticket"]) == ("TicketIssued", issued["id"])

    status, one = api.call("GET", f"/bookings/{code[:4]}-{code[4:]}")
    assert (status, one["code"], one["state"]) == (200, code, "booked")
    status, png = api.call("GET", f"/bookings/{code}/qr.png")
    assert status == 200
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    status, svg = api.call("GET", f"/bookings/{code}/qr.svg")
    assert status == 200
    assert svg.startswith(b"<svg")

    status, listed = api.call("GET", f"/bookings?day={slot.date()}&service=DIN-ID")
    assert status == 200
    assert [b["code"] for b in listed["bookings"]] == [code]
    status, free = api.call("GET", f"/slots?day={slot.date()}&service=DIN-ID")
    starts = {datetime.fromisoformat(s["start"]) for s in free["slots"]}
    assert slot not in starts
    assert slot + timedelta(minutes=5) in starts
    assert free["slots"][0] | {"start": None} == {
        "service": "DIN-ID",
        "start": None,
        "minutes": 5,
        "capacity": 1,
        "booked": 0,
        "free": 1,
    }

    later = slot + timedelta(minutes=30)
    status, moved = api.call("PATCH", f"/bookings/{code}", {"slot_at": later.strftime("%Y-%m-%dT%H:%M")})
    assert (status, datetime.fromisoformat(moved["slot_at"])) == (200, later), moved
    status, cancelled = api.call("DELETE", f"/bookings/{code}")
    assert (status, cancelled["state"]) == (200, "cancelled")
    assert cancelled["changed_at"] is not None
    status, again = api.call("PATCH", f"/bookings/{code}", {"slot_at": slot.isoformat()})
    assert (status, again["error"], again["details"]["state"]) == (409, "booking_closed", "cancelled")
    # A cancelled booking's place is free again.
    status, taken = api.call(
        "POST", "/bookings", {"service": "DIN-ID", "slot_at": later.isoformat(), "lang": "ru"}
    )
    assert status == 201, taken


def test_a_booking_of_the_api_checks_in_at_the_kiosk(booked: tuple[ServerProcess, BookingClient]) -> None:
    server, api = booked
    slot = next_slot(now(), 5)
    if slot.time() > _tomorrow(23, 50).time():
        pytest.skip("the day's last slot starts at 23:50")
    status, made = api.call(
        "POST", "/bookings", {"service": "DIN-ID", "slot_at": slot.isoformat(), "lang": "en"}
    )
    assert status == 201, made
    answer = kiosk(server).request("check_in", code=made["code"], lang="en")
    assert answer["type"] == "reply", answer
    ticket = answer["result"]["ticket"]
    status, checked = api.call("GET", f"/bookings/{made['code']}")
    assert (checked["state"], checked["ticket"]) == ("checked_in", ticket["id"])
    status, refused = api.call("DELETE", f"/bookings/{made['code']}")
    assert (status, refused["error"]) == (409, "booking_closed")


@pytest.mark.parametrize(
    ("request_", "status", "error"),
    [
        (("POST", "/bookings", {"service": "NOPE", "slot_at": "2030-01-07T10:00"}), 422, "unknown_service"),
        (
            ("POST", "/bookings", {"service": "DIN-PASS", "slot_at": "2030-01-07T10:00"}),
            422,
            "unknown_service",
        ),
        (("POST", "/bookings", {"service": "DIN-ID", "slot_at": "2020-01-07T10:00"}), 422, "not_a_slot"),
        (("POST", "/bookings", {"service": "DIN-ID", "slot_at": "2030-01-07T10:02"}), 422, "not_a_slot"),
        (("POST", "/bookings", {"service": "DIN-ID", "slot_at": "2030-01-07T23:55"}), 422, "not_a_slot"),
        (("POST", "/bookings", {"service": "DIN-ID"}), 422, "invalid_request"),
        (("POST", "/bookings", {"service": "DIN-ID", "slot_at": "tomorrow"}), 422, "invalid_request"),
        (
            ("POST", "/bookings", {"service": "DIN-ID", "slot_at": "2030-01-07T10:00", "x": 1}),
            422,
            "invalid_request",
        ),
        (("POST", "/bookings", b'{"service": "DIN-ID", '), 400, "bad_json"),
        (("POST", "/bookings", b"[1, 2]"), 400, "bad_json"),
        (("POST", "/bookings", b"\xff\xfe"), 400, "bad_json"),
        (("POST", "/bookings", b"{" + b" " * 20_000 + b"}"), 413, "too_large"),
        (("GET", "/bookings/12345678", None), 404, "unknown_booking"),
        (("DELETE", "/bookings/12345678", None), 404, "unknown_booking"),
        (("GET", "/bookings?day=07.01.2030", None), 422, "invalid_request"),
        (("GET", "/slots?service=NOPE", None), 422, "unknown_service"),
        (("GET", "/tickets", None), 404, "not_found"),
        (("PUT", "/bookings", b"{}"), 405, "method_not_allowed"),
    ],
)
def test_bad_input_is_answered_clearly(
    booked: tuple[ServerProcess, BookingClient], request_: tuple[str, str, Any], status: int, error: str
) -> None:
    _, api = booked
    method, path, body = request_
    got, answer = (
        api.call(method, path, raw=body) if isinstance(body, bytes) else api.call(method, path, body)
    )
    assert (got, answer["error"]) == (status, error), answer
    assert answer["message"]


def test_a_full_slot_is_409(booked: tuple[ServerProcess, BookingClient]) -> None:
    _, api = booked
    body = {"service": "DIN-ID", "slot_at": _tomorrow(11, 0).isoformat()}
    assert api.call("POST", "/bookings", body)[0] == 201
    status, full = api.call("POST", "/bookings", body)
    assert (status, full["error"]) == (409, "slot_full"), full
    assert full["details"]["service"] == "DIN-ID"


@pytest.mark.parametrize("token", [None, "", "wrong-token", TOKEN + "x"])
def test_a_wrong_or_missing_token_is_401(
    booked: tuple[ServerProcess, BookingClient], token: str | None
) -> None:
    _, api = booked
    client = BookingClient(api.url, token=None)
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    for method, path in (("GET", "/bookings"), ("POST", "/bookings"), ("GET", "/nowhere")):
        status, answer = client.call(method, path, {"service": "DIN-ID"}, headers=headers)
        assert (status, answer["error"]) == (401, "not_authenticated"), (method, path)
    status, answer = client.call("GET", "/bookings", headers={"Authorization": f"Basic {TOKEN}"})
    assert status == 401


def test_concurrent_requests_for_the_last_place_exactly_one_wins(
    booked: tuple[ServerProcess, BookingClient],
) -> None:
    _, api = booked
    slot = _tomorrow(12, 0)
    n = 24
    start = threading.Barrier(n)
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def book(i: int) -> None:
        client = BookingClient(api.url)
        start.wait()
        answer = client.call(
            "POST", "/bookings", {"service": "DIN-ID", "slot_at": slot.isoformat(), "name": f"c{i}"}
        )
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=book, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * (n - 1), statuses
    assert {a["error"] for s, a in answers if s == 409} == {"slot_full"}
    _status, listed = api.call("GET", f"/bookings?day={slot.date()}")
    assert [b["slot_at"] for b in listed["bookings"]].count(slot.isoformat()) == 1


def test_bookings_and_used_codes_survive_a_restart(tmp_path: Path) -> None:
    home = make_home(tmp_path / "center")
    take_bookings(home, per_slot=1, token_sha256=security.hash_token(TOKEN))
    server = ServerProcess(home, extra_args=["--booking-port", "0"]).start()
    try:
        api = BookingClient(booking_url(server))
        slot = _tomorrow(9, 0)
        status, made = api.call("POST", "/bookings", {"service": "DIN-ID", "slot_at": slot.isoformat()})
        assert status == 201
    finally:
        server.stop()
    again = ServerProcess(home, extra_args=["--booking-port", "0"]).start()
    try:
        api = BookingClient(booking_url(again))
        status, one = api.call("GET", f"/bookings/{made['code']}")
        assert (status, one["state"]) == (200, "booked")
        status, full = api.call("POST", "/bookings", {"service": "DIN-ID", "slot_at": slot.isoformat()})
        assert (status, full["error"]) == (409, "slot_full")
        assert kiosk(again).request("check_in", code=made["code"])["details"]["reason"] == "early"
    finally:
        again.stop()


def test_the_server_refuses_a_booking_port_without_a_token(tmp_path: Path) -> None:
    home = make_home(tmp_path / "center")
    take_bookings(home)
    with pytest.raises(
        RuntimeError, match=r"--booking-port needs the booking API's token.*novbe appointments token"
    ):
        ServerProcess(home, extra_args=["--booking-port", "0"]).start()


# --- a failing store, in the server's own process ---------------------------------------------


@pytest.fixture
async def in_process(tmp_path: Path) -> AsyncIterator[tuple[Hub, BookingClient]]:
    home: Home = make_home(tmp_path / "center")
    take_bookings(home, per_slot=1, token_sha256=security.hash_token(TOKEN))
    store = EventStore(home.db_url)
    store.migrate()
    hub = Hub(load_center(home.path / "center.toml"), store)
    hub.load()
    await hub.start()
    api = BookingApi(hub, security.hash_token(TOKEN))
    port = await api.start("127.0.0.1", 0)
    async with serve(hub.handler, "127.0.0.1", 0):
        yield hub, BookingClient(f"http://127.0.0.1:{port}")
    await api.stop()
    await hub.stop()
    store.close()


async def test_a_failing_store_answers_503_and_keeps_nothing(
    in_process: tuple[Hub, BookingClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    hub, api = in_process
    body = {"service": "DIN-ID", "slot_at": _tomorrow(10, 0).isoformat()}

    def down(*args: object, **kwargs: object) -> None:
        raise StoreError("injected: the database is down")

    monkeypatch.setattr(hub.store, "append", down)
    status, answer = await asyncio.to_thread(api.call, "POST", "/bookings", body)
    assert (status, answer["error"]) == (503, "store_unavailable"), answer
    monkeypatch.undo()
    # Nothing was kept: the place is still free once the store is back.
    for _ in range(100):
        status, answer = await asyncio.to_thread(api.call, "POST", "/bookings", body)
        if status != 503:
            break
        await asyncio.sleep(0.05)
    assert status == 201, answer
    assert [b.code for b in hub.committed.book.bookings()] == [answer["code"]]
    assert [b.code for b in hub.live.book.bookings()] == [answer["code"]]
    assert [type(e.event).__name__ for e in hub.store.load()].count("BookingMade") == 1


async def test_an_old_idempotency_key_is_answered_from_the_log(
    in_process: tuple[Hub, BookingClient],
) -> None:
    """Answers no longer in memory (more keys than it keeps) are read back from the log."""
    import asyncio

    hub, api = in_process
    hub.replies.per_device = 1
    keys = [f"key-{i}" for i in range(3)]
    made = []
    for i, key in enumerate(keys):
        body = {"service": "DIN-ID", "slot_at": _tomorrow(10, 5 * i).isoformat()}
        sent = {"Idempotency-Key": key}
        answer = await asyncio.to_thread(api.call, "POST", "/bookings", body, headers=sent)
        assert answer[0] == 201, answer
        made.append((body, answer))
    assert len(hub.replies) == 1
    for key, (body, answer) in zip(keys, made, strict=True):
        again = await asyncio.to_thread(api.call, "POST", "/bookings", body, headers={"Idempotency-Key": key})
        assert again == answer
    assert len(hub.committed.book.bookings()) == 3


async def test_a_failed_write_is_not_kept_for_its_idempotency_key(
    in_process: tuple[Hub, BookingClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 503 kept nothing: the retry with the same key is decided anew and books."""
    import asyncio

    hub, api = in_process
    body = {"service": "DIN-ID", "slot_at": _tomorrow(11, 0).isoformat()}
    sent = {"Idempotency-Key": "retry-after-503"}

    def down(*args: object, **kwargs: object) -> None:
        raise StoreError("injected: the database is down")

    monkeypatch.setattr(hub.store, "append", down)
    status, answer = await asyncio.to_thread(api.call, "POST", "/bookings", body, headers=sent)
    assert (status, answer["error"]) == (503, "store_unavailable"), answer
    monkeypatch.undo()
    for _ in range(100):
        status, answer = await asyncio.to_thread(api.call, "POST", "/bookings", body, headers=sent)
        if status != 503:
            break
        await asyncio.sleep(0.05)
    assert status == 201, answer
    assert await asyncio.to_thread(api.call, "POST", "/bookings", body, headers=sent) == (status, answer)
    assert [b.code for b in hub.committed.book.bookings()] == [answer["code"]]
    # Kept in the log with the booking: the token's identity, the key, the answer.
    stored = hub.store.find_reply("booking:" + security.hash_token(TOKEN)[:16], "retry-after-503")
    assert stored is not None
    assert (stored["status"], stored["body"], len(stored["request"])) == (201, answer, 64)
