"""The board line's model: server messages in, the pictures of its boards out. No I/O."""

from __future__ import annotations

from typing import Any

from boards.model import LineModel
from hardware.board import BLANK, Picture


def _model() -> tuple[LineModel, list[tuple[int, Picture]]]:
    shown: list[tuple[int, Picture]] = []
    return LineModel({1: 1, 2: 2, 13: 31}, lambda address, picture: shown.append((address, picture))), shown


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": "event", "seq": 1, "event": {"type": kind, "at": "2026-11-22T10:00:00+04:00", **fields}}


def _ticket(number: str, state: str, recalls: int = 0) -> dict[str, Any]:
    return {"id": f"20261122-{number}", "number": number, "state": state, "recalls": recalls}


def test_line_model_starts_from_the_snapshot() -> None:
    model, shown = _model()
    model.apply(
        {
            "type": "welcome",
            "resumed": False,
            "snapshot": {
                "counters": {
                    "1": {"number": 1, "current": _ticket("A001", "called", recalls=1)},
                    "2": {"number": 2, "current": None},
                    "13": {"number": 13, "current": _ticket("B007", "serving")},
                }
            },
        }
    )
    assert shown == [(1, Picture("A001", blink=True, recalls=1)), (2, BLANK), (31, Picture("B007"))]


def test_line_model_follows_a_whole_visit() -> None:
    """Called: blinking; recalled: blinking again; served: steady; finished: blank."""
    model, shown = _model()
    ticket = {"ticket": "20261122-A001", "number": "A001", "counter": 13}
    model.apply(_event("TicketCalled", service="DIN-ID", **ticket))
    model.apply(_event("TicketRecalled", recalls=1, **ticket))
    model.apply(_event("ServiceStarted", **ticket))
    model.apply(_event("TicketFinished", **ticket))
    assert shown == [
        (31, Picture("A001", blink=True)),
        (31, Picture("A001", blink=True, recalls=1)),
        (31, Picture("A001", recalls=1)),
        (31, BLANK),
    ]


def test_line_model_ignores_counters_of_other_lines_and_other_messages() -> None:
    model, shown = _model()
    model.apply(_event("TicketCalled", ticket="t", number="A001", service="DIN-ID", counter=7))
    model.apply({"type": "queues", "services": {}})
    model.apply({"type": "welcome", "resumed": True, "snapshot": None})
    assert shown == []


def test_line_model_blanks_when_the_ticket_leaves_the_counter() -> None:
    """Transfer, park, no-show and closing all leave the board blank; a stale event does not."""
    model, shown = _model()
    model.apply(_event("TicketCalled", ticket="t1", number="A001", service="S", counter=1))
    model.apply(_event("TicketFinished", ticket="t0", number="A000", counter=1))  # not the current one
    model.apply(_event("TicketTransferred", ticket="t1", number="A001", from_counter=1, to_service="BANK"))
    model.apply(_event("TicketCalled", ticket="t2", number="A002", service="S", counter=2))
    model.apply(_event("CounterClosed", counter=2))
    model.apply(_event("TicketCalled", ticket="t3", number="A003", service="S", counter=1))
    model.apply(_event("DayClosed", unserved=[]))
    assert shown == [
        (1, Picture("A001", blink=True)),
        (1, BLANK),
        (2, Picture("A002", blink=True)),
        (2, BLANK),
        (1, Picture("A003", blink=True)),
        (1, BLANK),
        (2, BLANK),
        (31, BLANK),
    ]
