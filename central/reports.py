"""``novbe report --central``: reports from the central record, for one center or all.

A center's report is made from its log in the central record by the very code that makes
it in the hall (:mod:`report.facts`, :mod:`report.build`, over a :class:`~central.CenterLog`),
with the configuration its shipper sent: the same figures as the hall's own report.

Reading the events is nearly all the work (a month of 24 busy centers is twelve million of
them), and a complete day's events never change: so each complete day is read once into the
facts a report needs and kept centrally as a digest (:func:`report.facts.pack_facts`), used
again while the day still ends with the same event and was read with the same configuration
and the same reading. Days not digested yet (the current one, a report's first run) are
read from the events. ``novbe central digest`` digests every complete day ahead of the
reports; a report run by a role that may not write digests reads and leaves them.

The national report reads the centers in worker processes (one per processor, each with its
own connection) and pools them (:func:`report.national.national_report`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date

from report.national import CenterPart
from report.periods import Period
from server.center import Center
from server.tally.facts import (
    FACTS_FORMAT,
    Facts,
    concat_days,
    day_starts,
    pack_facts,
    read_facts,
    unpack_facts,
)

from .exceptions import CentralError
from .record import CenterLog, CentralRecord, Digest


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


def config_key(center: Center) -> str:
    """What of the configuration the facts depend on: the time zone and which agency offers
    each service (for a service the day's tickets don't name)."""
    used = {
        "tz": center.hours.timezone,
        "services": {s.code: a.code for a in center.agencies for s in a.services},
    }
    return hashlib.sha256(json.dumps(used, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Read:
    """How a center's days were read: from digests, or from the events."""

    digested: int = 0
    read: int = 0
    kept: int = 0
    """Days read from the events and digested for next time."""


def read_days(
    record: CentralRecord,
    code: str,
    center: Center,
    first: date,
    last: date,
    *,
    starts: list[tuple[int, date]] | None = None,
) -> tuple[Facts, Read]:
    """``code``'s facts of the service days ``first`` to ``last``: from the digest of each
    complete day where it still holds, else from the events (digesting complete days)."""
    log: CenterLog = record.log(code)
    starts = day_starts(log) if starts is None else starts
    key = config_key(center)
    services = {s.code: a.code for a in center.agencies for s in a.services}
    days = [
        (seq, starts[i + 1][0] - 1 if i + 1 < len(starts) else None, day)
        for i, (seq, day) in enumerate(starts)
        if first <= day <= last
    ]
    kept = record.digests(code, [seq for seq, end, _ in days if end is not None])
    hashes = record.hashes(code, [end for _, end, _ in days if end is not None])
    parts: list[Facts] = []
    digested = fresh = stored = 0
    for seq, end, day in days:
        digest = kept.get(seq)
        if (
            digest is not None
            and end is not None
            and (digest.last_seq, digest.last_hash, digest.config_key, digest.format)
            == (end, hashes.get(end), key, FACTS_FORMAT)
        ):
            parts.append(unpack_facts(digest.facts))
            digested += 1
            continue
        facts = read_facts(log, day, day, center.hours.tz, service_agency=services, starts=starts)
        parts.append(facts)
        fresh += 1
        if end is not None and end in hashes:
            made = Digest(seq, end, day, hashes[end], key, FACTS_FORMAT, pack_facts(facts))
            stored += record.keep_digest(code, made)
    return concat_days(parts), Read(digested, fresh, stored)


def read_center(url: str, code: str, period: Period) -> tuple[CenterPart, Read]:
    """``code``'s own report of ``period`` and its columns, from the central record at ``url``."""
    with CentralRecord(url, application="novbe-report") as record:
        center = center_of(record, code)
        starts = day_starts(record.log(code))
        facts, how = read_days(record, code, center, period.previous().first, period.last, starts=starts)
    log_days = (starts[0][1], starts[-1][1]) if starts else None
    return CenterPart.of(code, facts, center, period, log_days), how


def read_centers(
    url: str,
    codes: Sequence[str],
    period: Period,
    *,
    workers: int | None = None,
    done: Callable[[str], None] | None = None,
) -> list[tuple[CenterPart, Read]]:
    """Every center in ``codes``, read ``workers`` at a time (default: one per processor), in
    ``codes`` order; ``done`` is told of each center read."""
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


def digest_center(url: str, code: str) -> Read:
    """Digest every complete day of ``code`` not digested yet (``novbe central digest``)."""
    with CentralRecord(url, application="novbe-digest") as record:
        center = center_of(record, code)
        starts = day_starts(record.log(code))
        if len(starts) < 2:
            return Read()
        complete = starts[:-1]
        _, how = read_days(record, code, center, complete[0][1], complete[-1][1], starts=starts)
    return how
