"""Replaying the event log rebuilds the engine exactly (this is how the server restarts)."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from server.queue import (
    CallNext,
    CloseDay,
    Event,
    FinishService,
    InconsistentEvent,
    IssueTicket,
    OpenCounter,
    OpenDay,
    QueueEngine,
    QueueError,
    ReplayError,
    StartService,
    TicketFinished,
    event_from_dict,
    event_to_dict,
    replay as replay_log,
)

from .builders import DAY, at, fingerprint, make_hall, replay
from .driver import random_command

ROOT = Path(__file__).resolve().parents[2]


def random_days(seed: int, days: int = 2, steps: int = 1500) -> tuple[QueueEngine, list[Event]]:
    rng = random.Random(seed)
    engine = QueueEngine(make_hall(recall_limit=2))
    log: list[Event] = []
    for d in range(days):
        base = d * 24 * 60
        if engine.is_open:
            log += engine.handle(CloseDay(at=at(base - 1)))
        log += engine.handle(OpenDay(day=DAY + timedelta(days=d), at=at(base - 60)))
        for no in engine.hall.counters:
            log += engine.handle(OpenCounter(counter=no, at=at(base - 60)))
        for step in range(steps):
            try:
                log += engine.handle(random_command(rng, engine, base + step * 0.3))
            except QueueError:
                pass
    return engine, log


@pytest.mark.parametrize("seed", range(4))
def test_replayed_log_rebuilds_the_same_state(seed: int) -> None:
    engine, log = random_days(seed)
    assert len(log) > 1000
    # Through the store's codec, as the server does on restart.
    replayed = replay(engine.hall, [event_from_dict(event_to_dict(e)) for e in log])
    assert fingerprint(replayed) == fingerprint(engine)


def test_replay_of_a_prefix_matches_the_engine_at_that_point() -> None:
    engine, log = random_days(7, days=1, steps=400)
    half = len(log) // 2
    partial = replay(engine.hall, log[:half])
    for event in log[half:]:
        partial.apply(event)
    assert fingerprint(partial) == fingerprint(engine)


# --- a broken log: a real check, naming the event -------------------------------------


def _logged(events: list[Event]) -> list[StoredLike]:
    return [StoredLike(seq, event) for seq, event in enumerate(events, start=1)]


@dataclass(frozen=True)
class StoredLike:
    seq: int
    event: Event


def _a_day() -> tuple[QueueEngine, list[Event]]:
    """Counters 1 and 2 open; A001 called at counter 1; A002 waiting."""
    engine = QueueEngine(make_hall())
    log = engine.handle(OpenDay(day=DAY, at=at(-60)))
    log += engine.handle(OpenCounter(counter=1, at=at(-60)))
    log += engine.handle(OpenCounter(counter=2, at=at(-60)))
    log += engine.handle(IssueTicket(service="ID", at=at(1)))
    log += engine.handle(IssueTicket(service="ID", at=at(2)))
    log += engine.handle(CallNext(counter=1, at=at(3)))
    return engine, log


def test_replay_counts_the_events_into_every_engine() -> None:
    engine, log = _a_day()
    live, committed = QueueEngine(engine.hall), QueueEngine(engine.hall)
    assert replay_log(_logged(log), live, committed) == len(log)
    assert fingerprint(live) == fingerprint(committed) == fingerprint(engine)


def _edited(log: list[Event], index: int, **changes: object) -> list[Event]:
    return [*log[:index], dataclasses.replace(log[index], **changes), *log[index + 1 :]]  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("broken", "seq", "problem"),
    [
        # A002 called at counter 1, which holds A001 already (the issue's AssertionError).
        (
            lambda log: [*log, dataclasses.replace(log[-1], ticket=log[4].ticket, number="A002")],
            7,
            "counter 1 holds A001 already",
        ),
        # A call for a ticket that was never issued (the issue's KeyError).
        (
            lambda log: _edited(log, 5, ticket="20261123-A099", number="A099"),
            6,
            "no ticket 20261123-A099 was issued today",
        ),
        (lambda log: _edited(log, 5, counter=99), 6, "the hall has no counter 99"),
        # Swapped: the call comes before the ticket it calls.
        (lambda log: [*log[:3], log[5], log[3], log[4]], 4, "no ticket 20261123-A001 was issued today"),
        (lambda log: [*log, log[0]], 7, "day 2026-11-23 is open already"),
        (
            lambda log: [*log, TicketFinished(ticket=log[4].ticket, number="A002", counter=2, at=at(4))],
            7,
            "counter 2 holds no ticket, not A002",
        ),
        (lambda log: [*log, log[-1]], 7, "counter 1 holds A001 already"),
        (
            lambda log: [*log, _edited(log, 3, service="NOPE", ticket="20261123-A003")[3]],
            7,
            "ticket A001: unknown 'NOPE'",
        ),
    ],
)
def test_replay_names_the_event_that_breaks_the_log(
    broken: Callable[[list[Event]], list[Event]], seq: int, problem: str
) -> None:
    """An event that cannot follow the log raises ReplayError naming its seq, not an assert."""
    engine, log = _a_day()
    with pytest.raises(ReplayError) as caught:
        replay_log(_logged(broken(log)), QueueEngine(engine.hall))
    assert caught.value.seq == seq
    assert problem in str(caught.value)
    assert str(caught.value).startswith(f"event {seq} (")
    assert isinstance(caught.value, InconsistentEvent)


def test_apply_refuses_an_illegal_ticket_move() -> None:
    """A move the state tables forbid raises, naming the ticket and the counter."""
    engine, _ = _a_day()
    started = engine.handle(StartService(counter=1, at=at(4)))
    engine.handle(FinishService(counter=1, at=at(5)))
    with pytest.raises(
        InconsistentEvent, match="ticket A001 at counter 1: ServiceStarted is illegal for a done"
    ):
        engine.apply(started[0])


def test_replay_checks_survive_python_optimize() -> None:
    """The checks are not asserts: ``python -O`` keeps them."""
    code = (
        "from tests.queue.test_replay import _a_day, _logged, replay_log\n"
        "from server.queue import QueueEngine, ReplayError\n"
        "engine, log = _a_day()\n"
        "try:\n"
        "    replay_log(_logged([*log, log[-1]]), QueueEngine(engine.hall))\n"
        "except ReplayError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-O", "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert (
        out.strip() == "event 7 (TicketCalled) cannot follow the log before it: counter 1 holds A001 already"
    )


# --- clone: the live engine rebuilt from the committed one -------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_clone_goes_on_exactly_like_the_original(seed: int) -> None:
    """A clone taken mid-day is the same state and takes the same decisions afterwards."""
    engine, _ = random_days(seed, days=1, steps=600)
    copy = engine.clone()
    assert fingerprint(copy) == fingerprint(engine)
    rng_a, rng_b = random.Random(seed), random.Random(seed)
    for step in range(600, 1200):
        outcomes = []
        for rng, each in ((rng_a, engine), (rng_b, copy)):
            try:
                outcomes.append(each.handle(random_command(rng, each, step * 0.3)))
            except QueueError as exc:
                outcomes.append([type(exc).__name__, str(exc)])
        assert outcomes[0] == outcomes[1]
    assert fingerprint(copy) == fingerprint(engine)


def test_clone_is_independent_of_the_original() -> None:
    """Decisions taken on the original after the copy don't show in the clone."""
    engine, _ = _a_day()
    copy = engine.clone()
    before = fingerprint(copy)
    engine.handle(StartService(counter=1, at=at(4)))
    engine.handle(FinishService(counter=1, at=at(5)))
    engine.handle(CallNext(counter=2, at=at(6)))
    assert fingerprint(copy) == before
    assert copy.hall is engine.hall, "the hall is shared, not copied"
    assert copy.counters[1].current == "20261123-A001"
    assert copy.handle(CallNext(counter=2, at=at(6)))[0].number == "A002"
