"""Server messages for the display's tests, shaped as server/app.py and server/views.py send them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 12:00 in Baku, a Monday


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def center(display_zones: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A small center: floor-1 has agency DIN (A, counters 1-3) and KOM (K, counter 4);
    floor-2 has EDL (B, counters 11-12)."""
    displays = display_zones or {
        "lobby": ["floor-1", "floor-2"],
        "floor-1": ["floor-1"],
        "floor-2": ["floor-2"],
    }
    return {
        "code": "BAKU1",
        "name": {
            "az": "Bakı 1 nömrəli ASAN xidmət mərkəzi",
            "ru": "Центр ASAN xidmət № 1",
            "en": "Baku ASAN 1",
        },
        "timezone": "Asia/Baku",
        "languages": ["az", "ru", "en"],
        "zones": [
            {"code": "floor-1", "name": {"az": "1-ci mərtəbə"}},
            {"code": "floor-2", "name": {"az": "2"}},
        ],
        "agencies": [
            {
                "code": "DIN",
                "prefix": "A",
                "zone": "floor-1",
                "name": {"az": "Daxili İşlər Nazirliyi", "ru": "МВД"},
            },
            {
                "code": "EDL",
                "prefix": "B",
                "zone": "floor-2",
                "name": {"az": "Ədliyyə Nazirliyi", "ru": "Минюст"},
            },
            {
                "code": "KOM",
                "prefix": "K",
                "zone": "floor-1",
                "name": {"az": "ASAN Kommunal", "ru": "Коммунал"},
            },
        ],
        "services": [
            {"code": "DIN-ID", "agency": "DIN", "prefix": "A"},
            {"code": "DIN-PASS", "agency": "DIN", "prefix": "A"},
            {"code": "EDL-POA", "agency": "EDL", "prefix": "B"},
            {"code": "KOM-GAS", "agency": "KOM", "prefix": "K"},
        ],
        "counters": [
            {"number": n, "zone": "floor-1", "agency": "DIN", "services": ["DIN-ID"]} for n in (1, 2, 3)
        ]
        + [{"number": 4, "zone": "floor-1", "agency": "KOM", "services": ["KOM-GAS"]}]
        + [{"number": n, "zone": "floor-2", "agency": "EDL", "services": ["EDL-POA"]} for n in (11, 12)],
        "displays": [{"code": code, "zones": zones} for code, zones in displays.items()],
    }


def ticket(
    number: str, counter: int, called_at: datetime, state: str = "called", **extra: Any
) -> dict[str, Any]:
    return {
        "id": f"20260302-{number}",
        "number": number,
        "counter": counter,
        "state": state,
        "called_at": called_at.isoformat(),
        "recalls": 0,
        **extra,
    }


def welcome(
    device: str = "lobby",
    *,
    seq: int = 0,
    server_time: datetime = T0,
    tickets: list[dict[str, Any]] | None = None,
    queues: dict[str, Any] | None = None,
    message: dict[str, str] | None = None,
    resumed: bool = False,
) -> dict[str, Any]:
    snapshot = None
    if not resumed:
        snapshot = {
            "day": "2026-03-02",
            "open": True,
            "counters": {},
            "tickets": tickets or [],
            "queues": queues or {},
            "message": message,
        }
    return {
        "type": "welcome",
        "id": None,
        "role": "display",
        "device": device,
        "seq": seq,
        "server_time": server_time.isoformat(),
        "protocol": 1,
        "center": center(),
        "resumed": resumed,
        "snapshot": snapshot,
    }


class Events:
    """Numbered event messages, the way the server sends them."""

    def __init__(self, seq: int = 0) -> None:
        self.seq = seq

    def _event(self, kind: str, at: datetime, **fields: Any) -> dict[str, Any]:
        self.seq += 1
        return {"type": "event", "seq": self.seq, "event": {"type": kind, "at": at.isoformat(), **fields}}

    def called(self, number: str, counter: int, at: datetime) -> dict[str, Any]:
        return self._event(
            "TicketCalled", at, ticket=f"20260302-{number}", number=number, service="DIN-ID", counter=counter
        )

    def recalled(self, number: str, counter: int, at: datetime, recalls: int = 1) -> dict[str, Any]:
        return self._event(
            "TicketRecalled", at, ticket=f"20260302-{number}", number=number, counter=counter, recalls=recalls
        )

    def ticket_event(self, kind: str, number: str, counter: int, at: datetime) -> dict[str, Any]:
        return self._event(kind, at, ticket=f"20260302-{number}", number=number, counter=counter)

    def transferred(self, number: str, counter: int, at: datetime) -> dict[str, Any]:
        return self._event(
            "TicketTransferred",
            at,
            ticket=f"20260302-{number}",
            number=number,
            from_counter=counter,
            to_service="EDL-POA",
        )

    def counter_event(self, kind: str, counter: int, at: datetime) -> dict[str, Any]:
        return self._event(kind, at, counter=counter)

    def day(self, kind: str, at: datetime) -> dict[str, Any]:
        return self._event(kind, at, day="2026-03-02") if kind == "DayOpened" else self._event(kind, at)


def queues(**waiting: int) -> dict[str, Any]:
    """A ``queues`` message: ``queues(DIN_ID=4)`` for service DIN-ID with 4 waiting."""
    return {
        "type": "queues",
        "services": {
            code.replace("_", "-"): {"waiting": n, "open_counters": 1} for code, n in waiting.items()
        },
    }
