"""Centers that take bookings, and logs that hold some, for the bookings' tests."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.store import Commit, EventStore
from tests.server.harness import TIMEOUT, Home, ServerProcess
from wire import events as ev

BAKU = ZoneInfo("Asia/Baku")

APPOINTMENTS = """
[appointments]
before_min = 30
after_min = 10
walk_in_if_refused = true
{token}
[[appointments.services]]
service = "DIN-ID"
hours = "00:00-23:55"
slot_min = 5
per_slot = {per_slot}
"""


def take_bookings(home: Home, *, per_slot: int = 2, token_sha256: str | None = None) -> None:
    """Let ``home``'s center book DIN-ID all day in 5-minute slots of ``per_slot`` places."""
    token = f'token_sha256 = "{token_sha256}"' if token_sha256 else ""
    path = home.path / "center.toml"
    # The file written by ``novbe init`` has an empty [appointments] table: this one replaces it.
    text = re.sub(r"(?m)^\[appointments\]\n(?:[^\[\n].*\n)*", "", path.read_text(encoding="utf-8"))
    path.write_text(text + APPOINTMENTS.format(token=token, per_slot=per_slot), encoding="utf-8")


def write_log(home: Home, events: Sequence[ev.Event]) -> None:
    """Append ``events`` to ``home``'s log, as a server before this one would have."""
    store = EventStore(home.db_url)
    try:
        store.migrate()
        store.append([Commit(events=list(events))])
    finally:
        store.close()


def now() -> datetime:
    return datetime.now(BAKU)


def next_slot(at: datetime, ahead_min: int = 0) -> datetime:
    """The start of the first 5-minute slot at least ``ahead_min`` minutes after ``at``."""
    start = at + timedelta(minutes=ahead_min)
    start = start.replace(second=0, microsecond=0) + timedelta(minutes=5 - start.minute % 5)
    return start


TOKEN = "booking-system-token-for-the-tests"


class BookingClient:
    """A plain HTTP client of the booking API, as a booking system would be."""

    def __init__(self, url: str, token: str | None = TOKEN) -> None:
        self.url = url
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        raw: bytes | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """The status and the answer: JSON decoded, or the bytes of an image."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        sent = {"Content-Type": "application/json", **(headers or {})}
        if (token or self.token) is not None:
            sent["Authorization"] = f"Bearer {token or self.token}"
        request = urllib.request.Request(self.url + path, data=data, headers=sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                status, kind, payload = (
                    response.status,
                    response.headers.get("Content-Type", ""),
                    response.read(),
                )
        except urllib.error.HTTPError as refused:
            status, kind, payload = refused.code, refused.headers.get("Content-Type", ""), refused.read()
        return status, json.loads(payload) if kind.startswith("application/json") else payload


def booking_url(server: ServerProcess) -> str:
    """The booking API's address, from the server's first line."""
    found = re.search(r"bookings on (http://[\d.]+:\d+)", server.banner)
    assert found, server.banner
    return found.group(1)
