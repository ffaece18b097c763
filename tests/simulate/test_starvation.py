"""The default routing starves nobody: overloading one agency leaves the others' waits bounded."""

from __future__ import annotations

import pytest

from server.center import Center
from server.simulate.day import Behaviour
from server.simulate.report import summarize
from server.simulate.run import center_setup, run_days

pytestmark = pytest.mark.slow


def din_counters(center: Center) -> list[int]:
    return sorted(c.number for c in center.counters if c.agency == "DIN")


def test_overloaded_agency_does_not_starve_the_others(reference: Center) -> None:
    closed = frozenset(din_counters(reference)[:7])  # 11 of 18 left for 16.4 Erlangs at the peak
    setup = center_setup(reference, behaviour=Behaviour(closed_counters=closed))
    stats = {s.name: s for s in summarize(run_days(setup, 2, 5))}
    normal = {s.name: s for s in summarize(run_days(center_setup(reference), 2, 5))}
    assert stats["DIN"].longest_wait > 60, "the test needs an overloaded agency"
    assert stats["DIN"].mean_wait > 20
    for agency, s in stats.items():
        if agency in ("DIN", "ALL"):
            continue
        # Same citizens as on a normal day: the others' waits stay what they were (BANK
        # serves DIN's fee payers too, at other moments), far from DIN's.
        assert s.longest_wait < 45, (agency, s)
        assert s.longest_wait <= normal[agency].longest_wait + 10, (agency, s, normal[agency])
        assert s.mean_wait <= 1.25 * normal[agency].mean_wait + 0.5, (agency, s, normal[agency])


def test_closing_one_counter_of_a_small_agency_multiplies_its_wait(reference: Center) -> None:
    """The effect the supervisor must see (domain notes): MED has two counters."""
    med = [c.number for c in reference.counters if c.agency == "MED"]
    base = {s.name: s for s in summarize(run_days(center_setup(reference), 2, 9))}
    one = center_setup(reference, behaviour=Behaviour(closed_counters=frozenset(med[:1])))
    short = {s.name: s for s in summarize(run_days(one, 2, 9))}
    assert short["MED"].mean_wait > 3 * base["MED"].mean_wait
    assert short["KOM"].mean_wait == pytest.approx(base["KOM"].mean_wait, rel=0.25)
