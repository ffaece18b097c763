"""Queue engine throughput on the reference hall: ticket life cycles per second, replay rate.

A life cycle is four commands through ``QueueEngine.handle``: issue, call next,
start, finish. Days of 3,000 tickets (the reference workload) follow one another,
with a standing queue of about 30 citizens, so call-next has heads to compare.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

from server.queue import (
    CallNext,
    CloseDay,
    Command,
    CounterDef,
    Event,
    FinishService,
    Hall,
    IssueTicket,
    OpenCounter,
    OpenDay,
    Priority,
    QueueEngine,
    ServiceDef,
    StartService,
)
from server.reference import reference_center

REFERENCE = reference_center()
BAKU = timezone(timedelta(hours=4))
TICKETS_PER_DAY = 3000
BACKLOG = 30
CYCLES = 30_000
REPLAY_EVENTS = 100_000
RUNS = 3
"""Report the best of this many runs, in CPU time as well as wall time: on a shared
machine the wall figure measures the neighbours' load as much as the engine."""


def reference_hall() -> tuple[Hall, dict[str, float]]:
    """Return the reference hall and each service's share of the day's tickets."""
    data = json.loads(REFERENCE.read_text())
    services: dict[str, ServiceDef] = {}
    shares: dict[str, float] = {}
    for agency in data["agencies"]:
        for s in agency["services"]:
            services[s["code"]] = ServiceDef(
                s["code"], agency["code"], agency["prefix"], float(s["mean_service_min"])
            )
            shares[s["code"]] = float(s["share"])
    counters = {
        c["number"]: CounterDef(c["number"], c["zone"], dict.fromkeys(c["services"], 1.0), agency=c["agency"])
        for c in data["counters"]
    }
    return Hall(services=services, counters=counters), shares


def life_cycles(
    hall: Hall,
    shares: dict[str, float],
    cycles: int,
    *,
    make_engine: Callable[[Hall], QueueEngine] = QueueEngine,
) -> tuple[float, float, list[Event]]:
    """Run ``cycles`` life cycles; return the CPU and wall seconds spent in ``handle``, and the log."""
    rng = random.Random(1)
    codes = list(shares)
    weights = list(shares.values())
    serving = {
        code: itertools.cycle([no for no, c in hall.counters.items() if code in c.services]) for code in codes
    }
    # Draw the workload beforehand so that only the engine is timed.
    plan = [
        (code, Priority.ELDERLY if rng.random() < 0.05 else Priority.NONE, next(serving[code]))
        for code in rng.choices(codes, weights, k=cycles)
    ]
    engine = make_engine(hall)
    log: list[Event] = []
    handle = engine.handle
    cpu = wall = 0.0
    day = date(2026, 11, 23)
    for start in range(0, cycles, TICKETS_PER_DAY):
        nine = datetime(day.year, day.month, day.day, 9, tzinfo=BAKU)
        setup: list[Command] = [OpenDay(day=day, at=nine - timedelta(hours=1))]
        setup += [OpenCounter(counter=no, at=nine, operator=f"op{no}") for no in hall.counters]
        setup += [
            IssueTicket(service=code, at=nine, priority=prio)
            for code, prio, _ in plan[start : start + BACKLOG]
        ]
        for command in setup:
            log += handle(command)
        batch = plan[start : start + TICKETS_PER_DAY]
        commands: list[Command] = []
        for i, (code, prio, counter) in enumerate(batch):
            now = nine + timedelta(seconds=8 * i)
            commands += [
                IssueTicket(service=code, at=now, priority=prio),
                CallNext(counter=counter, at=now),
                StartService(counter=counter, at=now),
                FinishService(counter=counter, at=now + timedelta(seconds=5)),
            ]
        began, began_cpu = time.perf_counter(), time.process_time()
        for command in commands:
            log += handle(command)
        cpu += time.process_time() - began_cpu
        wall += time.perf_counter() - began
        log += handle(CloseDay(at=nine + timedelta(hours=10)))
        day += timedelta(days=1)
    return cpu, wall, log


def main() -> None:
    hall, shares = reference_hall()
    print(f"   hall: {len(hall.services)} services, {len(hall.counters)} counters")
    runs = [life_cycles(hall, shares, CYCLES) for _ in range(RUNS)]
    cpu, wall = min(r[0] for r in runs), min(r[1] for r in runs)
    print(
        f"   life cycles (issue, call next, start, finish): {CYCLES / cpu:,.0f}/s CPU, "
        f"{CYCLES / wall:,.0f}/s wall ({CYCLES:,}, best of {RUNS})"
    )
    events = runs[0][2][:REPLAY_EVENTS]
    times = [replay(hall, events) for _ in range(RUNS)]
    cpu, wall = min(t[0] for t in times), min(t[1] for t in times)
    print(
        f"   replay: {len(events) / cpu:,.0f} events/s CPU, {len(events) / wall:,.0f}/s wall "
        f"({len(events):,} events in {wall:.2f} s wall, best of {RUNS})"
    )


def replay(hall: Hall, events: list[Event]) -> tuple[float, float]:
    """Apply ``events`` to a fresh engine; return the CPU and wall seconds it took."""
    engine = QueueEngine(hall)
    apply = engine.apply
    began, began_cpu = time.perf_counter(), time.process_time()
    for event in events:
        apply(event)
    return time.process_time() - began_cpu, time.perf_counter() - began
