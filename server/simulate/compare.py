"""Routing policies side by side on the same days (``novbe simulate --compare``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from server.center import Center

from .day import Behaviour
from .policies import POLICIES
from .report import OVERALL, summarize
from .run import center_setup, run_days


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
    progress: Callable[[int], None] | None = None,
) -> list[PolicyRow]:
    """Simulate the same ``days`` (same seed, so the same citizens) under each policy."""
    rows: list[PolicyRow] = []
    for name in policies:
        results = run_days(
            center_setup(center, policy=name, behaviour=behaviour), days, seed, progress=progress
        )
        stats = summarize(results)
        overall = next(s for s in stats if s.agency == OVERALL)
        worst = max((s for s in stats if s.agency != OVERALL), key=lambda s: s.mean_wait)
        prio = [t.wait for d in results for t in d.tickets if t.priority and t.wait is not None]
        rows.append(
            PolicyRow(
                policy=name,
                mean_wait=overall.mean_wait,
                p90_wait=overall.p90_wait,
                within_15=overall.within_15,
                longest_wait=overall.longest_wait,
                worst_agency=worst.agency,
                worst_agency_mean=worst.mean_wait,
                priority_mean=sum(prio) / len(prio) if prio else 0.0,
                unserved=overall.unserved / days,
            )
        )
    return rows


def markdown(rows: Sequence[PolicyRow]) -> str:
    """The comparison as a Markdown table (docs/routing.md)."""
    lines = [
        "| policy | mean wait | p90 | within 15 min | longest | worst agency (mean) "
        "| priority rights' mean | unserved/day |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.policy} | {r.mean_wait:.2f} | {r.p90_wait:.1f} | {100 * r.within_15:.1f}% "
            f"| {r.longest_wait:.0f} | {r.worst_agency} ({r.worst_agency_mean:.1f}) "
            f"| {r.priority_mean:.2f} | {r.unserved:.1f} |"
        )
    return "\n".join(lines)
