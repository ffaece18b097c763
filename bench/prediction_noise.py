"""How much the test runs of docs/prediction.md's cases wander from seed to seed (minutes).

tests/simulate/test_prediction.py runs each case for its ``test_days`` with seed 1 and
compares with the documented full run. This runs the same short runs with seeds 1 to
``NOVBE_NOISE_SEEDS`` (8) and prints the standard deviation of each figure: the tests
allow three of them (docs/prediction.md, "How the tests guard the figures").
"""

from __future__ import annotations

import multiprocessing
import os
import statistics

from server.simulate.matrix import CASES, CaseRow, measure_case, noise_table

SEEDS = int(os.environ.get("NOVBE_NOISE_SEEDS", "8"))


def _run(job: tuple[int, int]) -> tuple[int, int, list[CaseRow]]:
    index, seed = job
    case = CASES[index]
    return index, seed, measure_case(case, case.tickets(case.test_days, seed))


def main() -> None:
    jobs = [(i, seed) for i in range(len(CASES)) for seed in range(1, SEEDS + 1)]
    with multiprocessing.Pool(2) as pool:
        results = sorted(pool.imap_unordered(_run, jobs))
    runs: dict[tuple[str, str], list[CaseRow]] = {}
    for _, _, rows in results:
        for row in rows:
            runs.setdefault((row.case, row.focus), []).append(row)
    print(f"   test runs of {len(CASES)} cases, seeds 1-{SEEDS}: standard deviations\n")
    print(noise_table(runs, statistics.stdev))
