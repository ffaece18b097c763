"""The outcome of a visit: named at the finish, kept on the event, checked against the hall's."""

from __future__ import annotations

from server.queue import (
    CallNext,
    FinishService,
    StartService,
    TicketFinished,
    UnknownOutcome,
    event_from_dict,
    event_to_dict,
)

from .builders import at, issue, make_hall, open_engine, refused

OUTCOMES = ("served", "documents_missing", "redirected", "other")


def _serving(outcomes: tuple[str, ...] = OUTCOMES):  # type: ignore[no-untyped-def]
    engine = open_engine(make_hall(outcomes=outcomes))
    issue(engine, "ID", 0)
    engine.handle(CallNext(counter=1, at=at(1)))
    engine.handle(StartService(counter=1, at=at(2)))
    return engine


def test_finish_keeps_the_outcome_named() -> None:
    engine = _serving()
    (finished,) = engine.handle(FinishService(counter=1, at=at(9), outcome="documents_missing"))
    assert isinstance(finished, TicketFinished)
    assert finished.outcome == "documents_missing"
    assert event_from_dict(event_to_dict(finished)) == finished


def test_finish_without_an_outcome_records_none() -> None:
    (finished,) = _serving().handle(FinishService(counter=1, at=at(9)))
    assert isinstance(finished, TicketFinished)
    assert finished.outcome is None


def test_an_outcome_the_hall_does_not_list_is_refused_and_nothing_changes() -> None:
    error = refused(_serving(), FinishService(counter=1, at=at(9), outcome="lunch"), UnknownOutcome)
    assert error.details == {"outcome": "lunch"}
    assert "served, documents_missing" in error.message
    refused(_serving(()), FinishService(counter=1, at=at(9), outcome="served"), UnknownOutcome)


def test_an_event_logged_before_outcomes_reads_as_none() -> None:
    old = {"type": "TicketFinished", "ticket": "20261122-A001", "number": "A001", "counter": 1}
    event = event_from_dict({**old, "at": at(9).isoformat()})
    assert isinstance(event, TicketFinished)
    assert event.outcome is None
