"""Simulator speed on the reference center: one whole day (about 3,000 visits) per seed.

Also the cost of the pool estimator on the engine's hot path: life cycles per second
with ``PoolEstimator`` bound, as ``bench engine`` measures them with the default.
"""

from __future__ import annotations

import statistics
import time

import bench.engine as engine_bench
from server.queue import QueueEngine
from server.queue.estimate import PoolEstimator
from server.reference import reference_center
from server.simulate.run import center_setup, read_center, run_days

REFERENCE = reference_center()
SEEDS = range(1, 8)


def main() -> None:
    setup = center_setup(read_center(REFERENCE))
    times: list[float] = []
    cpu: list[float] = []
    tickets: list[int] = []
    commands: list[int] = []
    for seed in SEEDS:
        began, began_cpu = time.perf_counter(), time.process_time()
        (day,) = run_days(setup, 1, seed)
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        tickets.append(len(day.tickets))
        commands.append(day.commands)
    p50 = statistics.median(times)
    print(
        f"   reference day: p50 {p50:.3f} s wall, {statistics.median(cpu):.3f} s CPU "
        f"(wall min {min(times):.3f}, max {max(times):.3f}) over "
        f"{len(times)} seeds; {statistics.median(tickets):.0f} tickets + fee trips, "
        f"{statistics.median(commands):.0f} engine commands a day"
    )
    print(
        f"   {statistics.median(tickets) / p50:,.0f} tickets/s, "
        f"{statistics.median(commands) / p50:,.0f} commands/s"
    )
    hall, shares = engine_bench.reference_hall()
    # The first figure life_cycles returns is the seconds spent in handle (CPU).
    elapsed = engine_bench.life_cycles(
        hall, shares, engine_bench.CYCLES, make_engine=lambda h: QueueEngine(h, estimator=PoolEstimator())
    )[0]
    print(f"   engine life cycles with the pool estimator: {engine_bench.CYCLES / elapsed:,.0f}/s")
