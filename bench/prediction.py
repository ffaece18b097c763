"""The wait printed on the ticket, over every case of docs/prediction.md (several minutes).

Runs each case of ``server.simulate.matrix.CASES`` for its full days (two processes) and
prints the table of docs/prediction.md, then the goals any row misses. ``NOVBE_MATRIX_SEED``
changes the seed (1 by default).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time

from server.simulate.matrix import CASES, GAIN_CASES, GOAL_GAIN, CaseRow, markdown, measure_case

SEED = int(os.environ.get("NOVBE_MATRIX_SEED", "1"))


def _run(index: int) -> tuple[int, list[CaseRow], float]:
    case = CASES[index]
    began = time.process_time()
    rows = measure_case(case, case.tickets(case.days, SEED))
    return index, rows, time.process_time() - began


def main() -> None:
    results: list[tuple[int, list[CaseRow], float]] = []
    with multiprocessing.Pool(2) as pool:
        for index, case_rows, cpu in pool.imap_unordered(_run, range(len(CASES))):
            # Each case as it ends, so a long run shows its progress.
            print(
                f"   {CASES[index].name}: RASE {case_rows[0].rase:.3f} ({cpu:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
            results.append((index, case_rows, cpu))
    results.sort()
    rows = [row for _, case_rows, _ in results for row in case_rows]
    print(f"   {len(CASES)} cases, seed {SEED}, {sum(cpu for *_, cpu in results):.0f} s of CPU\n")
    print(markdown(rows))
    print()
    for row in rows:
        problems = row.problems()
        if row.case in GAIN_CASES and row.focus == "all" and row.gain < GOAL_GAIN:
            problems.append(f"gain {100 * row.gain:.0f}% < {100 * GOAL_GAIN:.0f}%")
        if problems:
            print(f"   misses: {row.case} ({row.focus}): {'; '.join(problems)}")
