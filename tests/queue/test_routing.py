"""Who a counter calls next, for each option of RoutingPolicy."""

from __future__ import annotations

from collections import deque

from hypothesis import given, settings, strategies as st

from server.queue import (
    CallNext,
    CounterDef,
    FinishService,
    Hall,
    Priority,
    PriorityMode,
    QueueEngine,
    RoutingPolicy,
    Selection,
    Source,
    StartService,
    TicketCalled,
    Transfer,
)
from server.queue.records import TicketRecord
from server.queue.routing import Router, ServiceQueue, service_order

from .builders import SERVICES, at, issue, make_hall, one_counter_hall, open_engine

ELDERLY = Priority.ELDERLY


def calls(engine: QueueEngine, counter: int, n: int, minute: float) -> list[str]:
    """Let ``counter`` call, start and finish ``n`` tickets at ``minute``; return their numbers."""
    numbers = []
    for _ in range(n):
        (event,) = engine.handle(CallNext(counter=counter, at=at(minute)))
        assert isinstance(event, TicketCalled)
        numbers.append(event.number)
        engine.handle(StartService(counter=counter, at=at(minute)))
        engine.handle(FinishService(counter=counter, at=at(minute)))
    return numbers


def test_counter_calls_first_come_first_served_within_a_service() -> None:
    engine = open_engine(counters=(1,))
    for m in range(5):
        issue(engine, "ID", m)
    assert calls(engine, 1, 5, 10) == ["A001", "A002", "A003", "A004", "A005"]


def test_oldest_first_across_services() -> None:
    engine = open_engine(one_counter_hall(RoutingPolicy(selection=Selection.OLDEST_FIRST)), counters=(1,))
    issue(engine, "PASS", 0)
    issue(engine, "ID", 1)
    issue(engine, "PASS", 2)
    assert calls(engine, 1, 3, 10) == ["A001", "A002", "A003"]


def test_same_arrival_time_keeps_issue_order() -> None:
    engine = open_engine(one_counter_hall(RoutingPolicy()), counters=(1,))
    issue(engine, "PASS", 0)
    issue(engine, "ID", 0)
    assert calls(engine, 1, 2, 10) == ["A001", "A002"]


def test_transferred_ticket_queues_from_the_moment_it_joined() -> None:
    """Rule R-5: position after a transfer is the re-join time, not the first arrival."""
    engine = open_engine(counters=(1, 4))
    early = issue(engine, "TAX", 0)
    engine.handle(CallNext(counter=4, at=at(1)))
    issue(engine, "ID", 2)
    engine.handle(Transfer(counter=4, at=at(3), to_service="ID"))
    assert engine.tickets[early].issued_at == at(0)
    assert calls(engine, 1, 2, 10) == ["A001", "C001"]


def test_strict_priority_goes_before_everyone() -> None:
    engine = open_engine(one_counter_hall(RoutingPolicy(priority_mode=PriorityMode.STRICT)), counters=(1,))
    issue(engine, "ID", 0)
    issue(engine, "PASS", 1)
    issue(engine, "PASS", 50, ELDERLY)
    issue(engine, "ID", 60, ELDERLY)
    assert calls(engine, 1, 4, 70) == ["A003", "A004", "A001", "A002"]


def test_head_start_counts_priority_as_arrived_earlier() -> None:
    policy = RoutingPolicy(priority_mode=PriorityMode.HEAD_START, head_start_min=10)
    engine = open_engine(one_counter_hall(policy), counters=(1,))
    issue(engine, "ID", 0)  # A001
    issue(engine, "ID", 5)  # A002
    issue(engine, "ID", 12, ELDERLY)  # A003: counts as 2, after A001, before A002
    issue(engine, "ID", 30, ELDERLY)  # A004: counts as 20
    assert calls(engine, 1, 4, 40) == ["A001", "A003", "A002", "A004"]


def test_priority_mode_none_ignores_rights() -> None:
    engine = open_engine(one_counter_hall(RoutingPolicy(priority_mode=PriorityMode.NONE)), counters=(1,))
    issue(engine, "ID", 0)
    issue(engine, "ID", 1, ELDERLY)
    issue(engine, "PASS", 2)
    assert calls(engine, 1, 3, 10) == ["A001", "A002", "A003"]


def test_fifo_holds_within_the_priority_class_too() -> None:
    engine = open_engine(counters=(1,))
    for m in range(3):
        issue(engine, "ID", m, ELDERLY)
    assert calls(engine, 1, 3, 10) == ["A001", "A002", "A003"]


def test_weighted_multiplies_wait_by_weight() -> None:
    hall = one_counter_hall(RoutingPolicy(selection=Selection.WEIGHTED), {"ID": 1.0, "PASS": 3.0})
    engine = open_engine(hall, counters=(1,))
    issue(engine, "ID", 0)  # waits 20 min at minute 20: score 20
    issue(engine, "PASS", 12)  # waits 8 min: score 24
    issue(engine, "PASS", 17)  # waits 3 min: score 9
    assert calls(engine, 1, 3, 20) == ["A002", "A001", "A003"]


def test_weighted_ignores_a_clock_step_back() -> None:
    """A call stamped before the arrivals must not invert the weights; the oldest goes first."""
    hall = one_counter_hall(RoutingPolicy(selection=Selection.WEIGHTED), {"ID": 1.0, "PASS": 3.0})
    engine = open_engine(hall, counters=(1,))
    issue(engine, "ID", 10)
    issue(engine, "PASS", 11)
    assert calls(engine, 1, 1, 0) == ["A001"]


def test_strict_order_serves_services_in_listed_order() -> None:
    hall = one_counter_hall(RoutingPolicy(selection=Selection.STRICT_ORDER), {"PASS": 1.0, "ID": 1.0})
    engine = open_engine(hall, counters=(1,))
    issue(engine, "ID", 0)
    issue(engine, "PASS", 5)
    issue(engine, "ID", 6)
    issue(engine, "PASS", 7)
    assert calls(engine, 1, 4, 10) == ["A002", "A004", "A001", "A003"]


def test_strict_order_merges_classes_by_arrival_under_no_priority() -> None:
    policy = RoutingPolicy(selection=Selection.STRICT_ORDER, priority_mode=PriorityMode.NONE)
    engine = open_engine(one_counter_hall(policy, {"PASS": 1.0, "ID": 1.0}), counters=(1,))
    issue(engine, "PASS", 0)
    issue(engine, "PASS", 1, ELDERLY)
    assert calls(engine, 1, 2, 10) == ["A001", "A002"]


def test_max_wait_overrides_selection() -> None:
    policy = RoutingPolicy(selection=Selection.STRICT_ORDER, max_wait_min=15)
    engine = open_engine(one_counter_hall(policy, {"PASS": 1.0, "ID": 1.0}), counters=(1,))
    issue(engine, "ID", 0)  # waits 20 min at minute 20: overdue
    issue(engine, "PASS", 10)
    issue(engine, "ID", 11)
    assert calls(engine, 1, 3, 20) == ["A001", "A002", "A003"]


def test_max_wait_overrides_strict_priority() -> None:
    engine = open_engine(one_counter_hall(RoutingPolicy(max_wait_min=15)), counters=(1,))
    issue(engine, "ID", 0)
    issue(engine, "ID", 1)
    issue(engine, "ID", 10, ELDERLY)
    # At minute 20 both A001 and A002 are overdue: the longest-waiting first, then A002, then A003.
    assert calls(engine, 1, 3, 20) == ["A001", "A002", "A003"]


def test_without_overdue_tickets_max_wait_changes_nothing() -> None:
    engine = open_engine(one_counter_hall(RoutingPolicy(max_wait_min=60)), counters=(1,))
    issue(engine, "ID", 0)
    issue(engine, "ID", 10, ELDERLY)
    assert calls(engine, 1, 2, 20) == ["A002", "A001"]


def named_lane_engine(returning_first: bool) -> QueueEngine:
    """A001 waits in ID since minute 0; C001 is sent to counter 1 by name at minute 5."""
    engine = open_engine(make_hall(RoutingPolicy(returning_first=returning_first)), counters=(1, 2, 4))
    issue(engine, "ID", 0)
    issue(engine, "TAX", 1)
    engine.handle(CallNext(counter=4, at=at(2)))
    engine.handle(Transfer(counter=4, at=at(5), to_counter=1))
    issue(engine, "ID", 6)
    return engine


def test_returning_first_puts_the_named_lane_first() -> None:
    assert calls(named_lane_engine(returning_first=True), 1, 3, 10) == ["C001", "A001", "A002"]


def test_without_returning_first_the_named_lane_competes_by_arrival() -> None:
    assert calls(named_lane_engine(returning_first=False), 1, 3, 10) == ["A001", "C001", "A002"]


def test_ticket_sent_to_a_named_counter_is_callable_there_only() -> None:
    engine = named_lane_engine(returning_first=True)
    assert calls(engine, 2, 2, 10) == ["A001", "A002"]
    assert calls(engine, 1, 1, 10) == ["C001"]


def test_each_counter_follows_its_own_policy() -> None:
    counters = {
        1: CounterDef(1, "z", {"ID": 1.0, "PASS": 1.0}, RoutingPolicy(selection=Selection.STRICT_ORDER)),
        2: CounterDef(2, "z", {"ID": 1.0, "PASS": 1.0}, RoutingPolicy(selection=Selection.OLDEST_FIRST)),
    }
    hall = Hall(services={c: SERVICES[c] for c in ("ID", "PASS")}, counters=counters)
    engine = open_engine(hall, counters=(1, 2))
    issue(engine, "PASS", 0)
    issue(engine, "ID", 1)
    assert calls(engine, 2, 1, 5) == ["A001"]
    issue(engine, "PASS", 6)
    assert calls(engine, 1, 1, 7) == ["A002"]


def test_waiting_lists_the_call_order_for_each_priority_mode() -> None:
    for mode, expected in [
        (PriorityMode.STRICT, ["A002", "A001", "A003"]),
        (PriorityMode.HEAD_START, ["A001", "A002", "A003"]),
        (PriorityMode.NONE, ["A001", "A002", "A003"]),
    ]:
        engine = open_engine(
            one_counter_hall(RoutingPolicy(priority_mode=mode, head_start_min=5)), counters=()
        )
        issue(engine, "ID", 0)
        issue(engine, "ID", 20, ELDERLY)
        issue(engine, "ID", 21)
        assert [t.number for t in engine.waiting("ID")] == expected, mode


def test_service_order_of_an_empty_queue_is_empty() -> None:
    assert service_order(RoutingPolicy(), ServiceQueue(), []) == []


# --- the short cut in Router.pick agrees with the rules as written ----------------------

_POLICIES = st.builds(
    RoutingPolicy,
    returning_first=st.booleans(),
    priority_mode=st.sampled_from(PriorityMode),
    head_start_min=st.sampled_from([0.0, 5.0, 30.0]),
    selection=st.sampled_from(Selection),
    max_wait_min=st.none() | st.sampled_from([5.0, 20.0]),
)
_ARRIVALS = st.lists(
    st.tuples(st.sampled_from(["ID", "PASS"]), st.booleans(), st.integers(0, 40), st.booleans()), max_size=12
)


@settings(max_examples=300, deadline=None)
@given(policy=_POLICIES, arrivals=_ARRIVALS, now=st.integers(0, 60))
def test_router_short_cut_matches_the_rules(
    policy: RoutingPolicy, arrivals: list[tuple[str, bool, int, bool]], now: int
) -> None:
    queues = {"ID": ServiceQueue(), "PASS": ServiceQueue()}
    named: deque[TicketRecord] = deque()
    counter = CounterDef(1, "z", {"PASS": 2.0, "ID": 1.0}, policy)
    # Lanes are in joining order, as the engine keeps them.
    for seq, (service, prio, minute, to_named) in enumerate(sorted(arrivals, key=lambda a: a[2])):
        t = TicketRecord(
            id=str(seq),
            number=f"A{seq:03d}",
            service=service,
            agency="DIN",
            lang="az",
            priority=ELDERLY if prio else Priority.NONE,
            source=Source.KIOSK,
            appointment=None,
            at=at(minute),
            seq=seq,
        )
        (named if to_named else queues[service].lane(t)).append(t)
    router = Router(counter, queues, named)
    moment = at(now).timestamp()
    expected = named[0] if named and policy.returning_first else router.pick_general(moment)
    assert router.pick(moment) is expected


def test_named_lane_head_with_priority_competes_in_its_class() -> None:
    """Without returning_first, a named-lane ticket with a priority right goes in the priority class."""
    engine = open_engine(make_hall(RoutingPolicy(returning_first=False)), counters=(1, 4))
    issue(engine, "ID", 0, ELDERLY)
    issue(engine, "TAX", 1, ELDERLY)
    engine.handle(CallNext(counter=4, at=at(2)))
    engine.handle(Transfer(counter=4, at=at(3), to_counter=1))
    issue(engine, "ID", 4)
    assert calls(engine, 1, 3, 10) == ["A001", "C001", "A002"]


def test_named_lane_head_takes_its_service_rank_under_strict_order() -> None:
    policy = RoutingPolicy(returning_first=False, selection=Selection.STRICT_ORDER)
    counters = {
        1: CounterDef(1, "z", {"PASS": 1.0, "ID": 1.0}, policy),
        4: CounterDef(4, "z", {"TAX": 1.0}),
    }
    hall = Hall(services={c: SERVICES[c] for c in ("ID", "PASS", "TAX")}, counters=counters)
    engine = open_engine(hall, counters=(1, 4))
    issue(engine, "TAX", 0)
    engine.handle(CallNext(counter=4, at=at(1)))
    engine.handle(Transfer(counter=4, at=at(2), to_counter=1, to_service="ID"))
    issue(engine, "ID", 3)
    issue(engine, "PASS", 4)
    assert calls(engine, 1, 3, 10) == ["A002", "C001", "A001"]
