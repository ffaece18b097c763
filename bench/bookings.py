"""Bookings benchmark: the hall server's start-up with a month of log and its bookings (read by
their type, with and without the index of migration 0004), and the booking API's rate.

``python -m bench bookings``. Prints the figures recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server import security
from server.booking.api import BookingApi
from server.center import load_center
from server.center.provision import init_center
from server.hub import Hub
from server.reference import reference_center
from server.store import Commit, EventStore
from wire import events as ev

BAKU = ZoneInfo("Asia/Baku")
DAYS = 30
TICKETS_PER_DAY = 2_000
BOOKINGS_PER_DAY = 400
API_REQUESTS = 500
TOKEN = "bench-token"


def _month(store: EventStore, first: datetime) -> int:
    """A month of a busy hall: each day's tickets (four events each) and the bookings made that
    day for a day two weeks later, some moved, cancelled, checked in or missed."""
    count = 0
    code = 10_000_000
    for d in range(DAYS):
        day = first + timedelta(days=d)
        events: list[ev.Event] = [ev.DayOpened(day=day.date(), at=day)]
        for k in range(TICKETS_PER_DAY):
            at = day + timedelta(seconds=15 * k)
            ticket, number = f"{day:%Y%m%d}-A{k:04d}", f"A{k:04d}"
            events += [
                ev.TicketIssued(ticket=ticket, number=number, service="DIN-ID", agency="DIN", at=at),
                ev.TicketCalled(ticket=ticket, number=number, service="DIN-ID", counter=1 + k % 18, at=at),
                ev.ServiceStarted(ticket=ticket, number=number, counter=1 + k % 18, at=at),
                ev.TicketFinished(ticket=ticket, number=number, counter=1 + k % 18, at=at),
            ]
        for b in range(BOOKINGS_PER_DAY):
            code += 1
            slot = day + timedelta(days=14, minutes=15 * (b % 16))
            events.append(ev.BookingMade(code=str(code), service="DIN-ID", slot_at=slot, at=day))
            if b % 10 == 0:
                events.append(ev.BookingMoved(code=str(code), from_slot=slot, slot_at=slot, at=day))
            if b % 10 == 1:
                events.append(ev.BookingCancelled(code=str(code), at=day))
        events.append(ev.DayClosed(at=day + timedelta(hours=10)))
        for start in range(0, len(events), 5_000):
            store.append([Commit(events[start : start + 5_000])])
        count += len(events)
    return count


def _start_up(home: Path, url: str) -> tuple[float, int, int]:
    store = EventStore(url)
    try:
        hub = Hub(load_center(home / "center.toml"), store)
        started = time.perf_counter()
        replayed = hub.load()
        seconds = time.perf_counter() - started
        return seconds, replayed, len(hub.committed.book)
    finally:
        store.close()


def _bookings_part(home: Path, url: str) -> float:
    """Seconds to read the bookings' events before the last day's opening and apply them, as
    ``Hub.load`` does."""
    from server.hub.hub import BOOKING_TYPES
    from server.queue import QueueEngine

    store = EventStore(url)
    try:
        engine = QueueEngine(load_center(home / "center.toml").to_hall())
        start = store.last_seq_of("DayOpened") or 1
        started = time.perf_counter()
        for _seq, _kind, payload in store.payloads(0, start - 1, types=BOOKING_TYPES):
            engine.apply(ev.event_from_dict(json.loads(payload)))
        return time.perf_counter() - started
    finally:
        store.close()


async def _api_rate(home: Path, url: str) -> tuple[float, float]:
    """(bookings/s, reads/s) over HTTP on loopback, one request at a time."""
    store = EventStore(url)
    hub = Hub(load_center(home / "center.toml"), store)
    hub.load()
    await hub.start()
    api = BookingApi(hub, security.hash_token(TOKEN))
    port = await api.start("127.0.0.1", 0)
    base = f"http://127.0.0.1:{port}"
    day = datetime.now(BAKU).date() + timedelta(days=3)

    def post(i: int) -> None:
        slot = datetime(day.year, day.month, day.day, tzinfo=BAKU) + timedelta(minutes=5 * (i % 280))
        body = json.dumps({"service": "DIN-ID", "slot_at": slot.isoformat()}).encode()
        request = urllib.request.Request(
            base + "/bookings",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    def get() -> None:
        request = urllib.request.Request(
            f"{base}/slots?day={day}&service=DIN-ID", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    try:
        started = time.perf_counter()
        for i in range(API_REQUESTS):
            await asyncio.to_thread(post, i)
        writes = API_REQUESTS / (time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(API_REQUESTS):
            await asyncio.to_thread(get)
        reads = API_REQUESTS / (time.perf_counter() - started)
    finally:
        await api.stop()
        await hub.stop()
        store.close()
    return writes, reads


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        init_center(home, reference=reference_center(), demo=True, always_open=True)
        path = home / "center.toml"
        text = re.sub(r"(?m)^\[appointments\]\n(?:[^\[\n].*\n)*", "", path.read_text(encoding="utf-8"))
        text += '\n[appointments]\n\n[[appointments.services]]\nservice = "DIN-ID"\nhours = "00:00-23:55"\n'
        path.write_text(text + "slot_min = 5\nper_slot = 40\n", encoding="utf-8")
        url = f"sqlite:///{home / 'novbe.db'}"
        store = EventStore(url)
        store.migrate()
        first = datetime.now(BAKU).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=DAYS)
        started = time.perf_counter()
        events = _month(store, first)
        store.close()
        print(f"   log: {events:,} events over {DAYS} days, written in {time.perf_counter() - started:.1f} s")
        seconds, replayed, known = min(_start_up(home, url) for _ in range(3))
        print(
            f"   start-up (Hub.load), best of 3, events.type indexed: {seconds * 1000:.0f} ms, "
            f"{replayed:,} events replayed, {known:,} bookings known"
        )
        part = min(_bookings_part(home, url) for _ in range(3))
        print(f"   of which the bookings of earlier days: {part * 1000:.0f} ms")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP INDEX ix_events_type"))
        engine.dispose()
        seconds, replayed, known = min(_start_up(home, url) for _ in range(3))
        print(f"   start-up (Hub.load), best of 3, no index on events.type: {seconds * 1000:.0f} ms")
        part = min(_bookings_part(home, url) for _ in range(3))
        print(f"   of which the bookings of earlier days: {part * 1000:.0f} ms")
        writes, reads = asyncio.run(_api_rate(home, url))
        print(
            f"   booking API on loopback, one request at a time: {writes:.0f} bookings/s, "
            f"{reads:.0f} free-slot reads/s"
        )
