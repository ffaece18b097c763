"""Random commands over the test hall, for the replay and property tests."""

from __future__ import annotations

import random

from server.queue import (
    LANGS,
    CallNext,
    CallTicket,
    CancelTicket,
    CloseCounter,
    CloseDay,
    Command,
    FinishService,
    IssueTicket,
    MarkNoShow,
    MoveTicket,
    OpenCounter,
    Park,
    PauseCounter,
    Priority,
    QueueEngine,
    RateVisit,
    RatingReason,
    Recall,
    ResumeCounter,
    SetCounterServices,
    StartService,
    Transfer,
)

from .builders import at


def random_command(rng: random.Random, engine: QueueEngine, minute: float, close_day: float = 0.0) -> Command:
    """Return a plausible command (often legal, sometimes not) for the engine's current state."""
    hall = engine.hall
    counter = rng.choice(list(hall.counters))
    ticket = rng.choice(list(engine.tickets)) if engine.tickets and rng.random() < 0.9 else "20261123-Z999"
    when = at(minute)
    kind = rng.choices(
        [
            "issue",
            "call",
            "start",
            "finish",
            "recall",
            "noshow",
            "park",
            "callid",
            "transfer",
            "cancel",
            "open",
            "pause",
            "resume",
            "close",
            "closeday",
            "rate",
            "move",
            "services",
        ],
        weights=[30, 25, 20, 20, 4, 2, 2, 4, 4, 2, 4, 1, 1, 1, close_day, 6, 2, 1],
    )[0]
    if kind == "issue":
        return IssueTicket(
            service=rng.choice(list(hall.services)),
            at=when,
            lang=rng.choice(LANGS),
            priority=Priority.ELDERLY if rng.random() < 0.2 else Priority.NONE,
        )
    if kind == "call":
        return CallNext(counter=counter, at=when)
    if kind == "start":
        return StartService(counter=counter, at=when)
    if kind == "finish":
        return FinishService(counter=counter, at=when)
    if kind == "recall":
        return Recall(counter=counter, at=when)
    if kind == "noshow":
        return MarkNoShow(counter=counter, at=when)
    if kind == "park":
        return Park(counter=counter, at=when)
    if kind == "callid":
        return CallTicket(counter=counter, ticket=ticket, at=when)
    if kind == "transfer":
        return Transfer(
            counter=counter,
            at=when,
            to_service=rng.choice([None, *hall.services]),
            to_counter=rng.choice([None, None, *hall.counters]),
            return_to_me=rng.random() < 0.5,
        )
    if kind == "cancel":
        return CancelTicket(ticket=ticket, at=when)
    if kind == "open":
        return OpenCounter(counter=counter, at=when, operator=rng.choice([None, "leyla", "rashad"]))
    if kind == "pause":
        return PauseCounter(counter=counter, at=when)
    if kind == "resume":
        return ResumeCounter(counter=counter, at=when)
    if kind == "close":
        return CloseCounter(counter=counter, at=when)
    if kind == "rate":
        # Mostly the counter's last finished ticket, so that ratings are often legal.
        last = engine._last_visit.get(counter)
        return RateVisit(
            counter=counter,
            ticket=last.ticket if last is not None and rng.random() < 0.8 else ticket,
            score=rng.randint(0, 5),
            reasons=tuple(rng.sample(list(RatingReason), rng.randint(0, 2))),
            at=when,
        )
    if kind == "move":
        return MoveTicket(ticket=ticket, to_service=rng.choice(list(hall.services)), at=when, by="boss")
    if kind == "services":
        chosen = rng.sample(list(hall.services), rng.randint(1, 3))
        return SetCounterServices(counter=counter, services=tuple(chosen), at=when, by="boss")
    return CloseDay(at=when)
