"""The board line's model: server messages in, the pictures of its boards out. No I/O."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from boards.model import LineModel
from hardware.board import BLANK, Picture
from wire import events as ev
from wire.messages import (
    CenterInfo,
    CounterView,
    EventMessage,
    QueuesNotice,
    ServerMessage,
    Snapshot,
    TicketView,
    Welcome,
)

AT = datetime.fromisoformat("2026-11-22T10:00:00+04:00")
CENTER = CenterInfo(
    code="baku-1", name={"az": "Mərkəz"}, timezone="Asia/Baku", opens=time(9), closes=time(18)
)


def _model() -> tuple[LineModel, list[tuple[int, Picture]]]:
    shown: list[tuple[int, Picture]] = []
    return LineModel({1: 1, 2: 2, 13: 31}, lambda address, picture: shown.append((address, picture))), shown


def _event(kind: type[ev.Event], **fields: Any) -> EventMessage:
    return EventMessage(seq=1, event=kind(at=AT, **fields))


def _ticket(number: str, state: str, recalls: int = 0) -> TicketView:
    return TicketView.model_validate(
        {
            "id": f"20261122-{number}",
            "number": number,
            "service": "DIN-ID",
            "agency": "DIN",
            "state": state,
            "issued_at": AT,
            "recalls": recalls,
        }
    )


def _welcome(snapshot: Snapshot | None) -> ServerMessage:
    return Welcome(
        role="boards",
        device="floor-1",
        seq=1,
        server_time=AT,
        center=CENTER,
        resumed=snapshot is None,
        snapshot=snapshot,
    )


def test_line_model_starts_from_the_snapshot() -> None:
    model, shown = _model()
    model.on_message(
        _welcome(
            Snapshot(
                counters={
                    1: CounterView(number=1, state="open", current=_ticket("A001", "called", recalls=1)),
                    2: CounterView(number=2, state="open", current=None),
                    13: CounterView(number=13, state="open", current=_ticket("B007", "serving")),
                }
            )
        )
    )
    assert shown == [(1, Picture("A001", blink=True, recalls=1)), (2, BLANK), (31, Picture("B007"))]


def test_line_model_follows_a_whole_visit() -> None:
    """Called: blinking; recalled: blinking again; served: steady; finished: blank."""
    model, shown = _model()
    ticket: dict[str, Any] = {"ticket": "20261122-A001", "number": "A001", "counter": 13}
    model.on_message(_event(ev.TicketCalled, service="DIN-ID", **ticket))
    model.on_message(_event(ev.TicketRecalled, recalls=1, **ticket))
    model.on_message(_event(ev.ServiceStarted, **ticket))
    model.on_message(_event(ev.TicketFinished, **ticket))
    assert shown == [
        (31, Picture("A001", blink=True)),
        (31, Picture("A001", blink=True, recalls=1)),
        (31, Picture("A001", recalls=1)),
        (31, BLANK),
    ]


def test_line_model_ignores_counters_of_other_lines_and_other_messages() -> None:
    model, shown = _model()
    model.on_message(_event(ev.TicketCalled, ticket="t", number="A001", service="DIN-ID", counter=7))
    model.on_message(QueuesNotice(services={}))
    model.on_message(_welcome(None))
    assert shown == []


def test_line_model_blanks_when_the_ticket_leaves_the_counter() -> None:
    """Transfer, park, no-show and closing all leave the board blank; a stale event does not."""
    model, shown = _model()
    model.on_message(_event(ev.TicketCalled, ticket="t1", number="A001", service="S", counter=1))
    model.on_message(_event(ev.TicketFinished, ticket="t0", number="A000", counter=1))  # not the current one
    model.on_message(
        _event(ev.TicketTransferred, ticket="t1", number="A001", from_counter=1, to_service="BANK")
    )
    model.on_message(_event(ev.TicketCalled, ticket="t2", number="A002", service="S", counter=2))
    model.on_message(_event(ev.CounterClosed, counter=2))
    model.on_message(_event(ev.TicketCalled, ticket="t3", number="A003", service="S", counter=1))
    model.on_message(_event(ev.DayClosed, unserved=()))
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
