"""The pool estimator: the wait printed on a ticket, from the engine's state and what it learned.

These pin the method's pieces on small halls where the answer is known; the simulator
measures the whole (tests/simulate/test_prediction.py, docs/prediction.md).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from server.queue import (
    CallNext,
    CloseCounter,
    CloseDay,
    CounterDef,
    Event,
    FinishService,
    Hall,
    IssueTicket,
    OpenCounter,
    OpenDay,
    PauseCounter,
    Priority,
    QueueEngine,
    ResumeCounter,
    ServiceDef,
    StartService,
    Transfer,
)
from server.queue.estimate import Duration, PoolEstimator, _BoundPool, _call_time, _in_hand_after

from .builders import DAY, at

A = ServiceDef("A", "AG", "A", 8.0)
B = ServiceDef("B", "BG", "B", 10.0)


def hall(*serving: tuple[str, ...]) -> Hall:
    """Counter i + 1 serves the services ``serving[i]``."""
    counters = {
        i + 1: CounterDef(i + 1, "hall", dict.fromkeys(codes, 1.0)) for i, codes in enumerate(serving)
    }
    return Hall(services={"A": A, "B": B}, counters=counters)


def engine(h: Hall, cv: float = 1.0, **params: float) -> QueueEngine:
    e = QueueEngine(h, estimator=PoolEstimator(service_cv=cv, **params))
    e.handle(OpenDay(day=DAY, at=at(-60)))
    for no in h.counters:
        e.handle(OpenCounter(counter=no, at=at(-60), operator=f"op{no}"))
    return e


def serve(e: QueueEngine, counter: int, service: str, minute: float) -> None:
    """A citizen of ``service`` comes and ``counter`` calls them at once."""
    e.handle(IssueTicket(service=service, at=at(minute)))
    e.handle(CallNext(counter=counter, at=at(minute)))
    e.handle(StartService(counter=counter, at=at(minute)))


def wait_in_line(e: QueueEngine, service: str, count: int, minute: float) -> None:
    for _ in range(count):
        e.handle(IssueTicket(service=service, at=at(minute)))


def bound(e: QueueEngine) -> _BoundPool:
    estimator = e._estimator
    assert isinstance(estimator, _BoundPool)
    return estimator


# --- the call time --------------------------------------------------------------------------


@pytest.mark.parametrize(("counters", "ahead"), [(1, 0), (3, 4), (10, 25), (50, 3)])
def test_exponential_services_give_the_queue_length_predictor(counters: int, ahead: int) -> None:
    """M/M/c, every counter busy: (ahead + 1) m / c, whatever the counters' ages (the
    configuration taken as it is: nothing to learn from)."""
    e = engine(hall(*[("A",)] * counters), cv=1.0, mean_weight=1e9, spread_weight=1e9)
    for no in range(1, counters + 1):
        serve(e, no, "A", minute=-(counters + 1 - no) * 3.7)
    wait_in_line(e, "A", ahead, minute=1.0)
    est = e.estimate("A", Priority.NONE, at(2.0))
    assert est.ahead == ahead
    assert est.est_min == pytest.approx((ahead + 1) * 8.0 / counters, rel=1e-4)
    assert est.low_min < est.est_min < est.high_min


def test_call_time_of_exponential_counters_is_exact() -> None:
    """The solver alone: c counters free after Exp(m), n tickets ahead of work m each."""
    m, c, n = 6.0, 7, 11
    parts = [((1.0, 0.0, m),)] * c
    t = _call_time(parts, n * m, _in_hand_after(m, m), guess=1.0, scale=m)
    assert t == pytest.approx((n + 1) * m / c, rel=1e-6)


def test_call_time_of_sharp_counters_is_their_order_statistic() -> None:
    """Nearly fixed services: the counters free at 1, 2, 3 minutes; one ticket ahead: the second."""
    m = 10.0
    parts = [((1.0, float(k), 1e-6),) for k in (3, 1, 2)]
    t = _call_time(parts, m, _in_hand_after(m, m / 2 + 1e-3), guess=0.5, scale=m)
    assert t == pytest.approx(2.0, abs=0.01)


def test_a_single_counter_adds_the_rest_of_its_service() -> None:
    """One counter, cv 0.6: the rest of the current service (a fixed part d then an
    exponential e, d + e = m) plus the work ahead."""
    e = engine(hall(("A",)), cv=0.6, spread_weight=1e9)
    serve(e, 1, "A", minute=0.0)
    wait_in_line(e, "A", 2, minute=1.0)
    d = bound(e).holding("A")
    assert (d.d, d.near) == pytest.approx((8.0 * 0.4, 8.0 * 0.6))
    est = e.estimate("A", Priority.NONE, at(2.0))
    assert est.est_min == pytest.approx(d.rest(2.0) + 2 * 8.0, rel=0.03)
    assert d.rest(2.0) == pytest.approx(8.0 * 0.4 - 2.0 + 8.0 * 0.6)


def test_the_rest_of_a_variable_service_grows_with_its_age() -> None:
    """cv 1.5: a service that has lasted long is likely a long one (the issue's bug took the
    rest as the mean whatever the age, and so under-estimated by (c - 1)(cv^2 - 1) m / 2c)."""
    d = Duration(8.0)
    d.fit(20.0, 50.0, 1.0 + 1.5**2)
    assert d.rest(0.0) == pytest.approx(8.0)
    assert d.rest(4.0) > 8.0
    assert d.rest(40.0) > d.rest(4.0)
    assert d.rest(1000.0) == pytest.approx(d.far)
    exponential = Duration(8.0)
    exponential.fit(20.0, 50.0, 2.0)
    assert exponential.rest(0.0) == exponential.rest(30.0) == pytest.approx(8.0)


@pytest.mark.parametrize(("cv", "longer"), [(1.0, 1.0), (0.6, 0.85), (1.5, 1.1)])
def test_counters_that_have_served_long_are_free_later_when_services_vary_much(
    cv: float, longer: float
) -> None:
    """Ten counters busy, ten citizens waiting: the same queue with every service 12 minutes
    old against just begun. Exponential (cv 1): no difference. cv 0.6: the old ones end
    sooner. cv 1.5: later, by more than the 10 % the former residual term missed."""

    def wait(age: float) -> float:
        e = engine(hall(*[("A",)] * 10), cv=cv, spread_weight=1e9)
        for no in range(1, 11):
            serve(e, no, "A", minute=20.0 - age)
        wait_in_line(e, "A", 10, minute=20.0)
        return e.estimate("A", Priority.NONE, at(20.0)).est_min

    aged, fresh = wait(12.0), wait(0.0)
    if longer == 1.0:
        assert aged == pytest.approx(fresh, rel=0.01)
    elif longer > 1.0:
        assert aged > longer * fresh
    else:
        assert aged < longer * fresh


def test_an_idle_counter_means_no_wait() -> None:
    e = engine(hall(("A",), ("A",)))
    serve(e, 1, "A", minute=0.0)
    est = e.estimate("A", Priority.NONE, at(1.0))
    assert (est.est_min, est.low_min, est.high_min) == (0.0, 0.0, 0.0)


# --- breaks and closed counters -----------------------------------------------------------------


def test_a_paused_counter_counts_when_its_break_ends() -> None:
    """The only counter went on a 30-minute break 10 minutes ago; one citizen waits: about
    20 minutes of break, then that citizen's service."""
    e = engine(hall(("A",)), cv=1.0)
    e.handle(PauseCounter(counter=1, at=at(0.0)))
    wait_in_line(e, "A", 1, minute=5.0)
    est = e.estimate("A", Priority.NONE, at(10.0))
    assert est.est_min == pytest.approx(20.0 + 8.0, abs=1.5)
    assert est.low_min > 15.0


def test_the_rest_of_a_break_is_as_uncertain_as_breaks_are() -> None:
    """Nobody ahead, the only counter 10 minutes into its 30-minute break: the ticket is called
    the moment it is back, 20 minutes from now on average; the range is the spread of the
    break's length alone, wide for breaks of cv 0.1 (3 minutes), narrow for breaks kept
    exactly."""

    def away(break_cv: float) -> tuple[float, float, float]:
        e = engine(hall(("A",)), cv=1.0, break_cv=break_cv, error=0.0)
        e.handle(PauseCounter(counter=1, at=at(0.0)))
        est = e.estimate("A", Priority.NONE, at(10.0))
        return est.low_min, est.est_min, est.high_min

    low, est, high = away(0.1)
    assert est == pytest.approx(20.0, abs=0.01)
    assert 6.0 < high - low < 9.0
    low, est, high = away(0.0)
    assert est == pytest.approx(20.0, abs=0.01)
    assert high - low < 1.0


def test_citizens_a_paused_counter_sent_on_an_errand_are_called_first_when_it_is_back() -> None:
    """Counter 1 sent a citizen to pay the fee (counter 2) and went on a break: the next A
    ticket waits for the break, then for that citizen's rest of the errand."""
    h = hall(("A",), ("B",))

    def wait(errand: bool) -> float:
        e = engine(h, cv=1.0, mean_weight=1e9, spread_weight=1e9)
        serve(e, 1, "A", minute=0.0)
        if errand:
            e.handle(Transfer(counter=1, at=at(2.0), to_service="B", return_to_me=True))
        else:
            e.handle(FinishService(counter=1, at=at(2.0)))
        e.handle(PauseCounter(counter=1, at=at(2.0)))
        return e.estimate("A", Priority.NONE, at(3.0)).est_min

    # The rest of the errand: half of A's 8 minutes before anything is learned.
    assert wait(True) - wait(False) == pytest.approx(4.0, abs=0.5)


def test_a_paused_counter_sends_nobody_so_nobody_learned_coming_back_goes_ahead() -> None:
    """Over the last hour counter 1 sent a citizen to pay the fee every 10 minutes, each
    coming back at once: while it works, a new ticket expects more of them ahead; while it is
    on a break, with nobody out on an errand, none."""
    h = hall(("A",), ("B",))

    def wait(returns: bool, paused: bool) -> float:
        e = engine(h, cv=1.0, mean_weight=1e9, spread_weight=1e9)
        if returns:
            for k in range(6):
                start = -58.0 + 10 * k
                serve(e, 1, "A", minute=start)
                e.handle(Transfer(counter=1, at=at(start + 1.0), to_service="B", return_to_me=True))
                e.handle(CallNext(counter=2, at=at(start + 1.0)))
                e.handle(StartService(counter=2, at=at(start + 1.0)))
                e.handle(FinishService(counter=2, at=at(start + 2.0)))  # back to counter 1
                e.handle(CallNext(counter=1, at=at(start + 2.0)))
                e.handle(StartService(counter=1, at=at(start + 2.0)))
                e.handle(FinishService(counter=1, at=at(start + 3.0)))
        if paused:
            e.handle(PauseCounter(counter=1, at=at(0.0)))
        else:
            serve(e, 1, "A", minute=0.0)
        wait_in_line(e, "A", 3, minute=1.0)
        return e.estimate("A", Priority.NONE, at(2.0)).est_min

    assert wait(True, paused=False) > 1.05 * wait(False, paused=False)
    assert wait(True, paused=True) == pytest.approx(wait(False, paused=True), rel=1e-6)


def test_a_closed_counter_does_not_count() -> None:
    """Two counters, one closed: the same as one counter."""
    two = engine(hall(("A",), ("A",)))
    one = engine(hall(("A",)))
    two.handle(CloseCounter(counter=2, at=at(0.0)))
    for e in (one, two):
        serve(e, 1, "A", minute=0.0)
        wait_in_line(e, "A", 3, minute=1.0)
    assert two.estimate("A", Priority.NONE, at(2.0)) == one.estimate("A", Priority.NONE, at(2.0))


# --- who goes first ---------------------------------------------------------------------------


def test_a_priority_right_waits_only_behind_other_rights() -> None:
    e = engine(hall(("A",)))
    serve(e, 1, "A", minute=0.0)
    wait_in_line(e, "A", 5, minute=1.0)
    e.handle(IssueTicket(service="A", at=at(1.0), priority=Priority.ELDERLY))
    normal = e.estimate("A", Priority.NONE, at(2.0))
    right = e.estimate("A", Priority.DISABLED, at(2.0))
    assert (normal.ahead, right.ahead) == (6, 1)
    assert right.est_min == pytest.approx(2 * 8.0, rel=0.01)
    assert normal.est_min > 6 * 8.0


def test_citizens_with_rights_arriving_meanwhile_lengthen_the_wait_of_the_others() -> None:
    """Over the last hour a citizen with a right came every 10 minutes (0.8 of a counter's
    work per minute over 10 counters): the others are told longer, they aren't."""
    calm = engine(hall(*[("A",)] * 10), mean_weight=1e9)
    busy = engine(hall(*[("A",)] * 10), mean_weight=1e9)
    for k in range(6):
        busy.handle(IssueTicket(service="A", at=at(-55.0 + 10 * k), priority=Priority.ELDERLY))
        busy.handle(CallNext(counter=10, at=at(-55.0 + 10 * k)))
        busy.handle(StartService(counter=10, at=at(-55.0 + 10 * k)))
        busy.handle(FinishService(counter=10, at=at(-54.0 + 10 * k)))
    for e in (calm, busy):
        for no in range(1, 11):
            serve(e, no, "A", minute=0.0)
        wait_in_line(e, "A", 20, minute=1.0)
    assert (
        busy.estimate("A", Priority.NONE, at(2.0)).est_min
        > 1.02 * calm.estimate("A", Priority.NONE, at(2.0)).est_min
    )


def test_citizens_sent_back_by_name_keep_only_their_counter_busy() -> None:
    """Counter 1 has a citizen back from the bank waiting for it: it is free for the others
    only after them, so the new ticket is for counter 2, nearly as if counter 1 were closed."""
    h = hall(("A",), ("A",), ("B",))
    e = engine(h, cv=0.6)
    serve(e, 1, "A", minute=0.0)
    e.handle(Transfer(counter=1, at=at(1.0), to_service="B", return_to_me=True))
    e.handle(CallNext(counter=3, at=at(1.0)))
    e.handle(StartService(counter=3, at=at(1.0)))
    serve(e, 1, "A", minute=1.5)
    serve(e, 2, "A", minute=1.5)
    e.handle(FinishService(counter=3, at=at(2.0)))  # back to counter 1, called first there
    with_return = e.estimate("A", Priority.NONE, at(2.5))
    assert with_return.ahead == 1

    def alone(closed: tuple[int, ...]) -> float:
        other = engine(h, cv=0.6)
        for no in closed:
            other.handle(CloseCounter(counter=no, at=at(0.0)))
        for no in (1, 2):
            if no not in closed:
                serve(other, no, "A", minute=1.5)
        return other.estimate("A", Priority.NONE, at(2.5)).est_min

    both, only_two = alone(()), alone((1,))
    assert both < with_return.est_min < only_two


def test_a_service_only_some_counters_serve_delays_those_counters_only() -> None:
    """Counter 1 serves A, counter 2 serves A and B; five B citizens wait (first come, first
    served at counter 2): an A ticket waits for counter 1, not for the B citizens' work."""
    e = engine(hall(("A",), ("A", "B")), cv=0.6)
    serve(e, 1, "A", minute=0.0)
    serve(e, 2, "A", minute=0.0)
    wait_in_line(e, "B", 5, minute=1.0)
    est = e.estimate("A", Priority.NONE, at(2.0))
    d = bound(e).holding("A")
    # Pooled, the B citizens' 50 minutes would be shared by both counters.
    assert est.est_min <= d.rest(2.0) * 1.15
    assert est.ahead == 5  # they are called first at counter 2


def test_citizens_of_a_service_only_some_counters_serve_keep_those_counters_busy() -> None:
    """Counter 2 also serves B, and five B citizens came before the A ticket: counter 2 will
    be busy with them, so two A citizens ahead are for counter 1 alone, nearly as if
    counter 2 were closed."""

    def wait(b_first: int, closed: bool = False) -> float:
        e = engine(hall(("A",), ("A", "B")), cv=0.6)
        serve(e, 1, "A", minute=0.0)
        if closed:
            e.handle(CloseCounter(counter=2, at=at(0.0)))
        else:
            serve(e, 2, "A", minute=0.0)
        wait_in_line(e, "B", b_first, minute=0.5)
        wait_in_line(e, "A", 2, minute=1.0)
        return e.estimate("A", Priority.NONE, at(2.0)).est_min

    free, busy, alone = wait(0), wait(5), wait(0, closed=True)
    assert busy > 1.4 * free
    assert busy == pytest.approx(alone, rel=0.15)


SHARED = hall(("A", "B"), ("A", "B"), ("B",), ("B",))
"""Counters 1 and 2 serve A and B; counters 3 and 4 serve B only."""


def shared_pool(b_calls_at: tuple[int, ...]) -> QueueEngine:
    """:data:`SHARED` after twenty B citizens were called (none if empty), in turn, at the counters
    ``b_calls_at`` (5 minutes each); then counters 1 to 4 are busy and eight B citizens wait."""
    e = engine(SHARED)
    minute = -55.0
    for _ in range(20 // len(b_calls_at) if b_calls_at else 0):
        for no in b_calls_at:
            serve(e, no, "B", minute=minute)
        minute += 5.0
        for no in b_calls_at:
            e.handle(FinishService(counter=no, at=at(minute)))
    for no, code in ((1, "A"), (2, "A"), (3, "B"), (4, "B")):
        serve(e, no, code, minute=0.0)
    wait_in_line(e, "B", 8, minute=1.0)
    return e


def test_the_citizens_of_a_shared_service_count_with_the_share_these_counters_call() -> None:
    """Eight B citizens wait; counters 1 and 2 (A's) are half of B's counters, so an A ticket
    counts four of them ahead (the configured share), not eight; a day on which B's citizens
    were all called at counters 3 and 4 lowers that share, one on which 1 and 2 called them
    all raises it."""
    e = shared_pool(b_calls_at=())
    assert e.estimate("A", Priority.NONE, at(2.0)).ahead == 4
    elsewhere = shared_pool(b_calls_at=(3, 4)).estimate("A", Priority.NONE, at(2.0))
    here = shared_pool(b_calls_at=(1, 2)).estimate("A", Priority.NONE, at(2.0))
    # The share after 20 calls with the prior counting as 20: (20 x 0.5 + hits) / 40.
    assert (elsewhere.ahead, here.ahead) == (2, 6)
    assert elsewhere.est_min < 0.7 * here.est_min


# --- learning from the day ---------------------------------------------------------------------


def finish_many(e: QueueEngine, count: int, minutes: float, start: float = 0.0) -> float:
    """Counter 1 serves ``count`` citizens of A, each ``minutes`` long; return the end."""
    t = start
    for _ in range(count):
        serve(e, 1, "A", minute=t)
        t += minutes
        e.handle(FinishService(counter=1, at=at(t)))
    return t


def test_service_times_are_learned_with_the_configuration_as_prior() -> None:
    e = engine(hall(("A",)), cv=1.0, mean_weight=20.0)
    finish_many(e, 20, 4.0)
    d = bound(e).holding("A")
    assert d.mean == pytest.approx((20 * 8.0 + 20 * 4.0) / 40)
    finish_many(e, 120, 4.0, start=80.0)
    assert d.mean == pytest.approx((20 * 8.0 + 140 * 4.0) / 160)
    assert d.m2 / d.mean**2 - 1.0 < 0.5  # every one exactly 4 minutes: the spread shrinks


def test_a_new_day_forgets_the_last() -> None:
    e = engine(hall(("A",)))
    end = finish_many(e, 50, 4.0)
    e.handle(CloseDay(at=at(end + 1)))
    e.handle(OpenDay(day=DAY + timedelta(days=1), at=at(24 * 60)))
    assert bound(e).holding("A").mean == pytest.approx(8.0)


def test_services_still_running_count_so_the_long_ones_are_not_missing() -> None:
    """Ten counters: five short services finished, ten long ones still going (40 minutes so
    far): the mean is not the five short ones'."""
    e = engine(hall(*[("A",)] * 11), cv=1.0, mean_weight=1.0)
    for no in range(1, 11):
        serve(e, no, "A", minute=0.0)
    finish_many_at = 0.0
    for _ in range(5):
        serve(e, 11, "A", minute=finish_many_at)
        finish_many_at += 1.0
        e.handle(FinishService(counter=11, at=at(finish_many_at)))
    serve(e, 11, "A", minute=40.0)  # a call refits at 40 minutes
    d = bound(e).holding("A")
    assert d.mean > 20.0


def test_breaks_are_learned() -> None:
    e = engine(hall(("A",), ("A",)))
    for no, start in ((1, 0.0), (2, 20.0)):
        e.handle(PauseCounter(counter=no, at=at(start)))
        e.handle(ResumeCounter(counter=no, at=at(start + 15.0)))
    assert bound(e).breaks().mean == pytest.approx((5 * 30.0 + 2 * 15.0) / 7)


def test_a_replayed_engine_learns_and_estimates_alike() -> None:
    """The server restarts by replaying the day's log: the estimates must not change."""
    h = hall(("A",), ("A", "B"), ("B",))
    live = engine(h, cv=0.6)
    log: list[Event] = []
    original = live.handle

    def handle(command: object) -> list[Event]:
        events = original(command)  # type: ignore[arg-type]
        log.extend(events)
        return events

    live.handle = handle  # type: ignore[method-assign]
    t = 0.0
    for k in range(60):
        counter = 1 + k % 3
        service = "A" if counter == 1 else "B"
        serve(live, counter, service, minute=t)
        t += 1.0 + (k % 7) * 0.9
        if k % 5 == 0:
            live.handle(IssueTicket(service="A", at=at(t), priority=Priority.ELDERLY))
        live.handle(FinishService(counter=counter, at=at(t)))
    wait_in_line(live, "A", 4, minute=t)
    serve(live, 1, "A", minute=t)
    setup = QueueEngine(h, estimator=PoolEstimator(service_cv=0.6))
    for event in _opening(h) + log:
        setup.apply(event)
    later = at(t + 2.5)
    for service in ("A", "B"):
        for right in (Priority.NONE, Priority.ELDERLY):
            assert setup.estimate(service, right, later) == live.estimate(service, right, later)


def _opening(h: Hall) -> list[Event]:
    """The events ``engine()`` applied before the log was recorded."""
    e = QueueEngine(h)
    events = e.handle(OpenDay(day=DAY, at=at(-60)))
    for no in h.counters:
        events += e.handle(OpenCounter(counter=no, at=at(-60), operator=f"op{no}"))
    return events


def test_the_range_is_a_gamma_spread_around_the_estimate() -> None:
    """One ticket ahead of ten exponential counters: the call is gamma with shape 2; the range
    leaves 13 % below and 7 % above."""
    e = engine(hall(*[("A",)] * 10), cv=1.0, dispersion=1.0, error=0.0)
    for no in range(1, 11):
        serve(e, no, "A", minute=0.0)
    wait_in_line(e, "A", 1, minute=1.0)
    est = e.estimate("A", Priority.NONE, at(2.0))
    rate = 10 / 8.0

    def gamma2_cdf(x: float) -> float:
        return 1.0 - math.exp(-rate * x) * (1.0 + rate * x)

    assert gamma2_cdf(est.low_min) == pytest.approx(0.13, abs=0.01)
    assert gamma2_cdf(est.high_min) == pytest.approx(0.93, abs=0.01)


def test_the_estimate_before_the_opening_shares_the_queue_among_the_counters() -> None:
    h = hall(("A",), ("A",))
    e = QueueEngine(h, estimator=PoolEstimator(service_cv=1.0))
    e.handle(OpenDay(day=DAY, at=at(-60)))
    wait_in_line(e, "A", 3, minute=-30)
    assert e.estimate("A", Priority.NONE, at(-20)).est_min == pytest.approx((3 * 8.0 + 8.0) / 2)


def test_unbound_use_falls_back_to_the_queue_length() -> None:
    class View:
        hall = hall(("A",))

        def ahead_of(self, service: str, priority: Priority) -> int:
            return 2

        def staffed(self, service: str) -> int:
            return 1

    est = PoolEstimator()(View(), "A", Priority.NONE, datetime(2026, 11, 23, 10))
    assert est.est_min == pytest.approx(24.0)
