"""Rating a visit: from the terminal only the counter's last finished visit, within the
window (Rule V-1); from the phone page the ticket's latest visit while the day is open
(Rule V-2); once in all."""

from __future__ import annotations

import pytest

from server.queue import (
    CallNext,
    CloseDay,
    Event,
    FinishService,
    IssueTicket,
    OpenCounter,
    OpenDay,
    QueueEngine,
    RateVisit,
    RatingReason,
    RatingRefused,
    RatingSource,
    StartService,
    Transfer,
    UnknownCounter,
    UnknownTicket,
    VisitRated,
    event_from_dict,
    event_to_dict,
)

from .builders import DAY, at, fingerprint, issue, make_hall, open_engine, refused, replay


def finished_at_counter_1(minute: float = 5):  # type: ignore[no-untyped-def]
    """Return an engine where counter 1 (op1) finished ticket A001 at ``minute``."""
    engine = open_engine()
    tid = issue(engine, "ID", 0)
    engine.handle(CallNext(counter=1, at=at(1)))
    engine.handle(StartService(counter=1, at=at(2)))
    engine.handle(FinishService(counter=1, at=at(minute)))
    return engine, tid


def test_counter_terminal_rates_the_visit_it_finished_last() -> None:
    engine, tid = finished_at_counter_1()
    reasons = (RatingReason.WAITED_TOO_LONG, RatingReason.RUDE)
    assert engine.handle(RateVisit(counter=1, ticket=tid, score=2, reasons=reasons, at=at(6))) == [
        VisitRated(
            ticket=tid,
            number="A001",
            counter=1,
            service="ID",
            agency="DIN",
            score=2,
            finished_at=at(5),
            at=at(6),
            operator="op1",
            reasons=reasons,
            source=RatingSource.COUNTER,
        )
    ]


def test_rating_is_refused_a_second_time() -> None:
    engine, tid = finished_at_counter_1()
    engine.handle(RateVisit(counter=1, ticket=tid, score=5, at=at(6)))
    error = refused(
        engine, RateVisit(counter=1, ticket=tid, score=1, at=at(7)), RatingRefused, "rated at 09:06:00"
    )
    assert error.details["reason"] == "already_rated"


def test_rating_is_refused_after_the_window() -> None:
    engine, tid = finished_at_counter_1()
    # The window is 5 minutes by default: at 5 min it is still open, a second later closed.
    assert engine.decide(RateVisit(counter=1, ticket=tid, score=4, at=at(10)))
    error = refused(
        engine, RateVisit(counter=1, ticket=tid, score=4, at=at(10 + 1 / 60)), RatingRefused, "within 5 min"
    )
    assert error.details["reason"] == "expired"


def test_rating_window_comes_from_the_hall() -> None:
    engine = open_engine(make_hall(rating_window_min=1.0))
    tid = issue(engine, "ID", 0)
    engine.handle(CallNext(counter=1, at=at(1)))
    engine.handle(StartService(counter=1, at=at(2)))
    engine.handle(FinishService(counter=1, at=at(3)))
    refused(engine, RateVisit(counter=1, ticket=tid, score=4, at=at(4.5)), RatingRefused, "within 1 min")


def test_rating_is_refused_before_the_finish() -> None:
    engine, tid = finished_at_counter_1()
    error = refused(engine, RateVisit(counter=1, ticket=tid, score=4, at=at(4)), RatingRefused)
    assert error.details["reason"] == "expired"


def test_only_the_last_finished_visit_can_be_rated() -> None:
    engine, first = finished_at_counter_1()
    second = issue(engine, "ID", 6)
    engine.handle(CallNext(counter=1, at=at(7)))
    engine.handle(StartService(counter=1, at=at(7)))
    # The second citizen is at the counter but not finished: the first can still rate.
    assert engine.decide(RateVisit(counter=1, ticket=first, score=3, at=at(7)))
    engine.handle(FinishService(counter=1, at=at(8)))
    error = refused(engine, RateVisit(counter=1, ticket=first, score=3, at=at(8)), RatingRefused, "A002")
    assert (error.details["reason"], error.details["ticket"]) == ("not_last", second)


def test_other_counter_cannot_rate_the_visit() -> None:
    engine, tid = finished_at_counter_1()
    error = refused(engine, RateVisit(counter=2, ticket=tid, score=5, at=at(6)), RatingRefused, "no visit")
    assert error.details["reason"] == "no_visit"
    refused(engine, RateVisit(counter=99, ticket=tid, score=5, at=at(6)), UnknownCounter)


@pytest.mark.parametrize("score", [0, 6, -1, 3.5, True])
def test_score_outside_one_to_five_is_refused(score: object) -> None:
    engine, tid = finished_at_counter_1()
    bad = RateVisit(counter=1, ticket=tid, score=score, at=at(6))  # type: ignore[arg-type]
    error = refused(engine, bad, RatingRefused, "1 to 5")
    assert error.details["reason"] == "score"


def test_unknown_reason_is_refused_and_repeated_ones_count_once() -> None:
    engine, tid = finished_at_counter_1()
    bad = RateVisit(counter=1, ticket=tid, score=2, reasons=("slow",), at=at(6))  # type: ignore[arg-type]
    refused(engine, bad, RatingRefused, "waited_too_long, not_resolved")
    (event,) = engine.handle(
        RateVisit(counter=1, ticket=tid, score=2, reasons=("rude", "rude", "other"), at=at(6))  # type: ignore[arg-type]
    )
    assert isinstance(event, VisitRated)
    assert event.reasons == (RatingReason.RUDE, RatingReason.OTHER)


def test_visit_rated_after_the_day_closed_within_the_window() -> None:
    engine, tid = finished_at_counter_1()
    engine.handle(CloseDay(at=at(5.5)))
    assert engine.handle(RateVisit(counter=1, ticket=tid, score=5, at=at(6)))


def test_new_day_forgets_the_last_visits() -> None:
    engine, tid = finished_at_counter_1()
    engine.handle(CloseDay(at=at(5.5)))
    engine.handle(OpenDay(day=DAY.replace(day=24), at=at(6)))
    refused(engine, RateVisit(counter=1, ticket=tid, score=5, at=at(7)), RatingRefused, "no visit")


def test_bank_visit_keeps_its_service_after_the_return() -> None:
    """A citizen sent to pay the fee rates the bank's visit as the bank's, though the
    ticket is back in the first service by then."""
    engine = open_engine()
    tid = issue(engine, "ID", 0)
    engine.handle(CallNext(counter=1, at=at(1)))
    engine.handle(Transfer(counter=1, at=at(2), to_service="BANK", return_to_me=True))
    engine.handle(CallNext(counter=3, at=at(3)))
    engine.handle(StartService(counter=3, at=at(3)))
    engine.handle(FinishService(counter=3, at=at(4)))
    assert engine.tickets[tid].service == "ID"
    (event,) = engine.handle(RateVisit(counter=3, ticket=tid, score=4, at=at(5)))
    assert isinstance(event, VisitRated)
    assert (event.service, event.agency, event.operator) == ("BANK", "BANK", "op3")
    engine.handle(CallNext(counter=1, at=at(5)))
    engine.handle(StartService(counter=1, at=at(5)))
    engine.handle(FinishService(counter=1, at=at(6)))
    (event,) = engine.handle(RateVisit(counter=1, ticket=tid, score=5, at=at(7)))
    assert isinstance(event, VisitRated)
    assert (event.service, event.agency) == ("ID", "DIN")


def test_rating_survives_the_codec_and_a_replay() -> None:
    engine = QueueEngine(make_hall())
    log: list[Event] = []
    for command in (
        OpenDay(day=DAY, at=at(-60)),
        OpenCounter(counter=1, at=at(-60), operator="op1"),
        IssueTicket(service="ID", at=at(0)),
        CallNext(counter=1, at=at(1)),
        StartService(counter=1, at=at(1.5)),
        FinishService(counter=1, at=at(2)),
        RateVisit(
            counter=1, ticket=f"{DAY:%Y%m%d}-A001", score=1, reasons=(RatingReason.NOT_RESOLVED,), at=at(3)
        ),
    ):
        log += engine.handle(command)
    rated = log[-1]
    data = event_to_dict(rated)
    assert (data["reasons"], data["source"], data["operator"]) == (["not_resolved"], "counter", "op1")
    assert event_from_dict(data) == rated
    assert type(event_from_dict(data).reasons[0]) is RatingReason  # type: ignore[union-attr]
    again = replay(engine.hall, [event_from_dict(event_to_dict(e)) for e in log])
    assert fingerprint(again) == fingerprint(engine)
    refused(again, RateVisit(counter=1, ticket=rated.ticket, score=2, at=at(4)), RatingRefused, "rated")  # type: ignore[union-attr]


def phone(tid: str, minute: float, score: int = 4) -> RateVisit:
    return RateVisit(counter=None, ticket=tid, score=score, at=at(minute), source=RatingSource.PHONE)


def test_phone_rates_the_ticket_s_visit_after_its_counter_served_others() -> None:
    engine = QueueEngine(make_hall())
    log: list[Event] = []
    for command in (
        OpenDay(day=DAY, at=at(-60)),
        OpenCounter(counter=1, at=at(-60), operator="op1"),
        IssueTicket(service="ID", at=at(0)),
        IssueTicket(service="ID", at=at(0)),
        CallNext(counter=1, at=at(1)),
        StartService(counter=1, at=at(2)),
        FinishService(counter=1, at=at(5)),
        CallNext(counter=1, at=at(7)),
        StartService(counter=1, at=at(7)),
        FinishService(counter=1, at=at(9)),
    ):
        log += engine.handle(command)
    tid, other = f"{DAY:%Y%m%d}-A001", f"{DAY:%Y%m%d}-A002"
    log += engine.handle(phone(tid, 60, score=3))
    (event,) = log[-1:]
    assert isinstance(event, VisitRated)
    assert (event.counter, event.finished_at, event.operator, event.source) == (
        1,
        at(5),
        "op1",
        RatingSource.PHONE,
    )
    assert engine.finished_visit(tid) is not None
    # The counter's own last visit is another one: its terminal may still rate that.
    log += engine.handle(RateVisit(counter=1, ticket=other, score=5, at=at(10)))
    again = replay(engine.hall, [event_from_dict(event_to_dict(e)) for e in log])
    assert fingerprint(again) == fingerprint(engine)
    assert refused(again, phone(tid, 61), RatingRefused, "rated").details["reason"] == "already_rated"


def test_one_rating_per_visit_whoever_gives_it() -> None:
    engine, tid = finished_at_counter_1()
    engine.handle(phone(tid, 6))
    error = refused(engine, RateVisit(counter=1, ticket=tid, score=1, at=at(7)), RatingRefused, "rated")
    assert error.details["reason"] == "already_rated"
    engine, tid = finished_at_counter_1()
    engine.handle(RateVisit(counter=1, ticket=tid, score=5, at=at(6)))
    error = refused(engine, phone(tid, 7), RatingRefused, "rated")
    assert error.details["reason"] == "already_rated"


def test_phone_rates_only_a_served_visit_of_an_open_day() -> None:
    engine = open_engine()
    tid = issue(engine, "ID", 0)
    assert refused(engine, phone(tid, 1), RatingRefused, "waiting").details["reason"] == "no_visit"
    engine.handle(CallNext(counter=1, at=at(1)))
    assert refused(engine, phone(tid, 2), RatingRefused, "called").details["reason"] == "no_visit"
    refused(engine, phone("20261123-Z999", 2), UnknownTicket, "no such ticket")
    engine, tid = finished_at_counter_1()
    engine.handle(CloseDay(at=at(30)))
    assert refused(engine, phone(tid, 31), RatingRefused, "closed").details["reason"] == "expired"
