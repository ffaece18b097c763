"""Replaying the event log rebuilds the engine exactly (this is how the server restarts)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from server.queue import (
    CloseDay,
    Event,
    OpenCounter,
    OpenDay,
    QueueEngine,
    QueueError,
    event_from_dict,
    event_to_dict,
)

from .builders import DAY, at, fingerprint, make_hall, replay
from .driver import random_command


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
    replayed = replay(engine.configured_hall, [event_from_dict(event_to_dict(e)) for e in log])
    assert fingerprint(replayed) == fingerprint(engine)


def test_replay_of_a_prefix_matches_the_engine_at_that_point() -> None:
    engine, log = random_days(7, days=1, steps=400)
    half = len(log) // 2
    partial = replay(engine.configured_hall, log[:half])
    for event in log[half:]:
        partial.apply(event)
    assert fingerprint(partial) == fingerprint(engine)
