"""``novbe report --central``: reports from the central record, for one center or all.

A center's report is made from its log in the central record by the very code that makes
it in the hall (:func:`report.build.build_report` over a :class:`~central.CenterLog`), with
the configuration its shipper sent: the same figures as the hall's own report. The
national report reads each center's log the same way, several centers at a time in worker
processes (each its own connection; reading is most of the work), then pools them
(:func:`report.national.national_report`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date

from report.build import read_period
from report.facts import day_starts
from report.national import CenterFacts
from report.periods import Period
from server.center import Center

from .exceptions import CentralError
from .record import CentralRecord


def center_of(record: CentralRecord, code: str) -> Center:
    """The configuration ``code``'s shipper sent.

    Raises:
        CentralError: The center is unknown, or its configuration was never sent.
    """
    if code not in {c.code for c in record.centers()}:
        raise CentralError(f"no center {code} in the central record")
    center = record.config(code)
    if center is None:
        raise CentralError(f"the central record has no configuration of {code} yet: its shipper sends it")
    return center


def all_day_starts(record: CentralRecord) -> dict[str, list[tuple[int, date]]]:
    """Every center's ``(seq, day)`` of each ``DayOpened``, by code."""
    return {c.code: day_starts(record.log(c.code)) for c in record.centers()}


def read_center(url: str, code: str, period: Period, center: Center | None = None) -> CenterFacts:
    """``code``'s facts of ``period`` and the one before, from the central record at ``url``."""
    with CentralRecord(url, application="novbe-report") as record:
        center = center or center_of(record, code)
        log = record.log(code)
        starts = day_starts(log)
        facts = read_period(log, center, period, starts=starts)
    return CenterFacts(code, center, facts, (starts[0][1], starts[-1][1]) if starts else None)


def read_centers(
    url: str,
    codes: Sequence[str],
    period: Period,
    *,
    workers: int | None = None,
    done: Callable[[str], None] | None = None,
) -> list[CenterFacts]:
    """The facts of every center in ``codes``, read ``workers`` at a time (default: one per
    processor), in ``codes`` order; ``done`` is told of each center read."""
    workers = max(1, min(len(codes), workers or os.cpu_count() or 1))
    if workers == 1:
        out = []
        for code in codes:
            out.append(read_center(url, code, period))
            if done is not None:
                done(code)
        return out
    with ProcessPoolExecutor(workers) as pool:
        futures = [pool.submit(read_center, url, code, period) for code in codes]
        results = []
        for code, future in zip(codes, futures, strict=True):
            results.append(future.result())
            if done is not None:
                done(code)
        return results
