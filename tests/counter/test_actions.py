"""The counter's actions: one list (``CounterActionType``), the requests built from it, and
the table of what each state allows (``wire.states.COUNTER_ACTIONS``), checked against a
real queue engine."""

from __future__ import annotations

import typing
from collections.abc import Callable

from server import queue as q
from tests.queue.builders import DAY, at, make_hall, replay
from wire import protocol as p
from wire.events import Event
from wire.messages import RESULTS, CounterResult
from wire.states import COUNTER_ACTIONS, counter_allows

Action = p.CounterActionType
ME = 1
"""The counter under test; 2 serves the same services, 3 is the bank (BANK), both open."""


def test_every_counter_request_is_one_of_the_actions() -> None:
    """The request schemas, the counter role's rights and the replies all come from the one list."""
    counter_requests = (p.Login, p.Logout, p.CounterAction, p.CallTicket, p.Transfer)
    kinds = {
        kind for model in counter_requests for kind in typing.get_args(model.model_fields["type"].annotation)
    }
    assert kinds == set(Action)
    assert p.ROLE_REQUESTS[p.Role.COUNTER] == {*Action, "report_health", "sync"}
    assert all(RESULTS[action] is CounterResult for action in Action)
    message = p.parse_client_message('{"type": "call_next", "id": "1"}')
    assert isinstance(message, p.CounterAction)
    assert message.type is Action.CALL_NEXT


def _command(engine: q.QueueEngine, action: p.CounterActionType, minute: float) -> q.Command:
    """What the hub makes of ``action`` sent by counter ME: a parked ticket is called back by
    name (else a waiting one), and a transfer goes to the bank, which is open."""
    when = at(minute)
    if action is Action.CALL_TICKET:
        parked = [
            t.id for t in engine.tickets.values() if t.state is q.TicketState.PARKED and t.counter == ME
        ]
        waiting = [t.id for t in engine.waiting("ID")]
        return q.CallTicket(counter=ME, ticket=(parked or waiting)[0], at=when)
    if action is Action.TRANSFER:
        return q.Transfer(counter=ME, to_service="BANK", at=when)
    if action is Action.LOGIN:
        return q.OpenCounter(counter=ME, operator=f"op{ME}", at=when)
    simple: dict[p.CounterActionType, Callable[..., q.Command]] = {
        Action.LOGOUT: q.CloseCounter,
        Action.CALL_NEXT: q.CallNext,
        Action.RECALL: q.Recall,
        Action.START: q.StartService,
        Action.FINISH: q.FinishService,
        Action.NO_SHOW: q.MarkNoShow,
        Action.PARK: q.Park,
        Action.PAUSE: q.PauseCounter,
        Action.RESUME: q.ResumeCounter,
    }
    return simple[action](counter=ME, at=when)


def _takes(engine: q.QueueEngine, action: p.CounterActionType, minute: float) -> list[Event]:
    """The events the engine would emit for ``action``; none if it refuses it or it changes nothing."""
    try:
        return engine.decide(_command(engine, action, minute))
    except q.QueueError:
        return []


def _situation(engine: q.QueueEngine) -> tuple[q.CounterState, q.TicketState | None]:
    status = engine.counters[ME]
    held = engine.tickets[status.current].state if status.current is not None else None
    return status.state, held


def _opening(hall: q.Hall) -> list[Event]:
    """The day open, counters 2 and 3 open, thirty citizens waiting for ID; counter ME closed."""
    engine = q.QueueEngine(hall)
    commands: list[q.Command] = [
        q.OpenDay(day=DAY, at=at(-60)),
        q.OpenCounter(counter=2, operator="op2", at=at(-60)),
        q.OpenCounter(counter=3, operator="op3", at=at(-60)),
    ]
    commands += [q.IssueTicket(service="ID", at=at(minute - 40)) for minute in range(30)]
    return [event for command in commands for event in engine.handle(command)]


def test_the_counter_table_agrees_with_the_engine_in_every_state() -> None:
    """From a closed counter, every sequence of its actions (five deep): in each state reached,
    an action the table allows is one the engine takes, and one it refuses the table refuses;
    and the states reached are exactly the table's."""
    hall = make_hall()
    seen: set[tuple[object, ...]] = set()
    reached: set[tuple[q.CounterState, q.TicketState | None]] = set()
    frontier = [_opening(hall)]
    for depth in range(1, 7):
        following = []
        for history in frontier:
            engine = replay(hall, history)
            situation = _situation(engine)
            reached.add(situation)
            status = engine.counters[ME]
            parked = [
                t for t in engine.tickets.values() if t.state is q.TicketState.PARKED and t.counter == ME
            ]
            recalls = engine.tickets[status.current].recalls if status.current is not None else 0
            key = (*situation, len(parked), recalls)
            if key in seen:
                continue
            seen.add(key)
            for action in Action:
                events = _takes(engine, action, depth)
                if action is not Action.LOGIN:
                    assert counter_allows(*situation, action) == bool(events), (
                        f"{action} at a {situation[0]} counter holding {situation[1]}: "
                        f"the table says {counter_allows(*situation, action)}, the engine {events}"
                    )
                if events:
                    following.append(history + events)
        frontier = following
    assert reached == set(COUNTER_ACTIONS)
    assert len(seen) > len(COUNTER_ACTIONS)  # the same states again with recalls and parked tickets
