"""Routing policies side by side on the same days (``novbe simulate --compare``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from server.center import Center

from .day import Behaviour, DayResult
from .policies import POLICIES
from .report import OVERALL, summarize
from .run import center_setup, run_days
from .workload import Surge


@dataclass(frozen=True, slots=True)
class PolicyRow:
    policy: str
    mean_wait: float
    p90_wait: float
    within_15: float
    longest_wait: float
    worst_agency: str
    worst_agency_mean: float
    """The agency with the longest mean wait under this policy, and that wait."""
    worst_service: str
    worst_service_mean: float
    worst_service_longest: float
    """The service with the longest mean wait, that wait and its longest one. Citizens never
    served count with the time they waited until the day closed (a lower bound), so that a
    service starved inside its agency shows."""
    priority_mean: float
    """Mean first wait of citizens with a priority right."""
    unserved: float
    """Per day."""


def compare(
    center: Center,
    days: int,
    seed: int,
    *,
    policies: Sequence[str] = tuple(POLICIES),
    behaviour: Behaviour | None = None,
    surges: Sequence[Surge] = (),
    progress: Callable[[int], None] | None = None,
) -> list[PolicyRow]:
    """Simulate the same ``days`` (same seed, so the same citizens) under each policy."""
    rows: list[PolicyRow] = []
    for name in policies:
        setup = center_setup(center, policy=name, behaviour=behaviour, surges=surges)
        results = run_days(setup, days, seed, progress=progress)
        stats = summarize(results)
        overall = next(s for s in stats if s.name == OVERALL)
        worst = max((s for s in stats if s.name != OVERALL), key=lambda s: s.mean_wait or 0.0)
        prio = [t.wait for d in results for t in d.tickets if t.priority and t.wait is not None]
        service, service_mean, service_longest = worst_service(results)
        rows.append(
            PolicyRow(
                policy=name,
                mean_wait=overall.mean_wait or 0.0,
                p90_wait=overall.p90_wait or 0.0,
                within_15=overall.within_15,
                longest_wait=overall.longest_wait or 0.0,
                worst_agency=worst.name,
                worst_agency_mean=worst.mean_wait or 0.0,
                worst_service=service,
                worst_service_mean=service_mean,
                worst_service_longest=service_longest,
                priority_mean=sum(prio) / len(prio) if prio else 0.0,
                unserved=overall.unserved / days,
            )
        )
    return rows


def worst_service(days: Sequence[DayResult]) -> tuple[str, float, float]:
    """Return the service with the longest mean wait, that mean and its longest wait.

    A citizen never called counts with the time from joining the queue to the day's close.
    """
    waits: dict[str, list[float]] = {}
    for day in days:
        for v in day.visits:
            wait = v.wait if v.wait is not None else day.ended_min - v.queued_min
            waits.setdefault(v.service, []).append(wait)
    if not waits:
        return "-", 0.0, 0.0
    code = max(sorted(waits), key=lambda c: sum(waits[c]) / len(waits[c]))
    return code, sum(waits[code]) / len(waits[code]), max(waits[code])


def markdown(rows: Sequence[PolicyRow]) -> str:
    """The comparison as a Markdown table (docs/routing.md)."""
    lines = [
        "| policy | mean wait | p90 | within 15 min | longest | worst agency (mean) "
        "| worst service (mean / longest) | priority rights' mean | unserved/day |",
        "|---|---:|---:|---:|---:|---|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.policy} | {r.mean_wait:.2f} | {r.p90_wait:.1f} | {100 * r.within_15:.1f}% "
            f"| {r.longest_wait:.0f} | {r.worst_agency} ({r.worst_agency_mean:.1f}) "
            f"| {r.worst_service} ({r.worst_service_mean:.1f} / {r.worst_service_longest:.0f}) "
            f"| {r.priority_mean:.2f} | {r.unserved:.1f} |"
        )
    return "\n".join(lines)
