"""The ticket and counter state machines: the one place where states change.

Rules
=====

Rule 1: every change of a ticket's or a counter's state is listed in this file.
Rule 2: this file doesn't know who sent a command (kiosk, counter, supervisor):
        the tables are keyed by the *event* that records the change, because
        events are what the engine applies, live and when it replays its log.
Rule 3: the engine checks a change against these tables before it emits the
        event (an illegal command raises and changes nothing) and checks it
        again when it applies the event: an event the tables don't allow raises
        :class:`IllegalTransition` (a broken log, or our bug; never a client's).
Rule 4: what a counter may ask for in each state (:data:`COUNTER_ACTIONS`, the
        one table here that knows who asks) is derived from the tables above,
        so that the counter app offers exactly what the engine would take.

Theory of operation
===================

A ticket is born WAITING (``TicketIssued``) in the queue of its service, in the
lane of its priority class (citizens with a priority right, everyone else).

A counter calls it (``CallNext`` picks it; ``CallTicket`` names it): it becomes
CALLED and the counter *holds* it. A counter holds at most one ticket, and a
ticket is held by at most one counter: calling requires an empty counter, and
only a WAITING or PARKED ticket can be called.

A CALLED ticket can be:

* recalled (the chime again; it stays CALLED and ``recalls`` counts up). A recall
  when ``recalls`` already equals ``hall.recall_limit`` is not announced: the
  engine marks the ticket NO_SHOW by itself and emits ``TicketNoShow`` instead of
  ``TicketRecalled`` (Rule R-3: nobody holds a counter forever);
* marked NO_SHOW by the operator;
* started: SERVING;
* parked (the citizen went to fetch a document): PARKED;
* transferred: a citizen who shows up at the wrong counter can be sent on
  without being "served" here. This is the only way from CALLED back to WAITING:
  there is no "put back in line", which would let an operator reorder the queue.

A SERVING ticket is finished (DONE), parked, or transferred.

A transfer records TRANSFERRED in the ticket's history and leaves it WAITING
again, with the same id and number, in the target service (and, if a counter is
named, in that counter's own lane, callable by that counter only). The original
arrival ``issued_at`` is kept for the statistics; ``queued_at`` is reset, because
the position in the new queue is the moment the citizen joined it (Rule R-5:
a transferred citizen doesn't jump ahead of people already waiting there).

A transfer goes only where someone will call the citizen (Rule R-6): to a
service at least one of whose counters is open or paused, or to a named counter
that is not closed. Otherwise the engine refuses it (``NoOpenCounter``) and the
operator chooses again.

A transfer with ``return_to_me`` sets ``return_to``. When the other service
finishes the ticket, the engine emits ``TicketFinished`` and then a
``TicketTransferred`` back to the original service and counter: the ticket goes
DONE -> WAITING in that counter's lane; if that counter has closed meanwhile,
in the queue of the original service instead (Rule R-7). That is the only way out of a final
state, and only the engine itself emits it (``DONE`` lists ``TicketTransferred``
below for this reason; no command can reach a DONE ticket).

A PARKED ticket is called back (``CallTicket``) by the counter that parked it.

``CloseDay`` ends every ticket that is not final as CLOSED_UNSERVED, serving ones
included: the close of the day is the hard stop, and all counters close with it.

A finished visit can be rated (``RateVisit`` -> ``VisitRated``): by the terminal of the
counter that finished it, only while it is that counter's last finished visit, once, and
within ``hall.rating_window_min`` (Rule V-1, in ``engine._rate``). A rating changes no
state in these tables.

Counters are CLOSED, OPEN or PAUSED. ``OpenCounter`` opens or re-opens one from
any state (at a paused one it also resumes); naming no operator keeps the one
logged in. Naming one is that operator's login (Rule C-1): refused while another
operator works at the counter or this one works at another, and nothing to record
when they are logged in there already. Pausing, resuming and closing need the
states listed below, and pausing and closing also need an empty counter (the
engine checks these, not the table). ``OpenDay`` and ``CloseDay`` leave every
counter CLOSED.

A command that asks for what already is (opening an open counter for the same
operator, closing a closed one) is no error and emits no event: a request that
changes nothing writes nothing to the log.
"""

from __future__ import annotations

from .events import (
    CounterClosed,
    CounterOpened,
    CounterPaused,
    CounterResumed,
    DayClosed,
    Event,
    ServiceStarted,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketNoShow,
    TicketParked,
    TicketRecalled,
    TicketTransferred,
)
from .types import CounterActionType, CounterState, TicketState

WAITING = TicketState.WAITING
CALLED = TicketState.CALLED
SERVING = TicketState.SERVING
PARKED = TicketState.PARKED
DONE = TicketState.DONE
NO_SHOW = TicketState.NO_SHOW
TRANSFERRED = TicketState.TRANSFERRED
CANCELLED = TicketState.CANCELLED
CLOSED_UNSERVED = TicketState.CLOSED_UNSERVED

TRANSITIONS: dict[TicketState, dict[type[Event], TicketState]] = {
    WAITING: {
        TicketCalled: CALLED,
        TicketCancelled: CANCELLED,
        DayClosed: CLOSED_UNSERVED,
    },
    CALLED: {
        TicketRecalled: CALLED,
        ServiceStarted: SERVING,
        TicketNoShow: NO_SHOW,
        TicketParked: PARKED,
        TicketTransferred: WAITING,
        DayClosed: CLOSED_UNSERVED,
    },
    SERVING: {
        TicketFinished: DONE,
        TicketTransferred: WAITING,
        TicketParked: PARKED,
        DayClosed: CLOSED_UNSERVED,
    },
    PARKED: {
        TicketCalled: CALLED,
        DayClosed: CLOSED_UNSERVED,
    },
    # The return leg of a ``return_to_me`` transfer; emitted by the engine only.
    DONE: {TicketTransferred: WAITING},
    NO_SHOW: {},
    TRANSFERRED: {},
    CANCELLED: {},
    CLOSED_UNSERVED: {},
}
"""Ticket state -> event type -> the state after that event."""

COUNTER_TRANSITIONS: dict[CounterState, dict[type[Event], CounterState]] = {
    CounterState.CLOSED: {CounterOpened: CounterState.OPEN},
    CounterState.OPEN: {
        CounterOpened: CounterState.OPEN,
        CounterPaused: CounterState.PAUSED,
        CounterClosed: CounterState.CLOSED,
    },
    CounterState.PAUSED: {
        CounterOpened: CounterState.OPEN,
        CounterResumed: CounterState.OPEN,
        CounterClosed: CounterState.CLOSED,
    },
}
"""Counter state -> event type -> the state after it (``OpenDay``/``CloseDay`` aside)."""

HOLDING = frozenset({CALLED, SERVING})
"""States in which a counter holds the ticket."""


def allows(state: TicketState, event: type[Event]) -> bool:
    """Return whether a ticket in ``state`` may take ``event``."""
    return event in TRANSITIONS[state]


class IllegalTransition(ValueError):
    """An event the tables don't allow in the state it is applied to.

    Raised when events are applied, never for a command (the engine refuses those
    before it emits anything): the events contradict each other, so the log they
    come from is broken. A real check, not an ``assert``, so that ``python -O``
    keeps it.
    """


def next_state(state: TicketState, event: type[Event]) -> TicketState:
    """Return the state after ``event``.

    Raises:
        IllegalTransition: The tables don't allow ``event`` for a ``state`` ticket.
    """
    new = TRANSITIONS[state].get(event)
    if new is None:
        raise IllegalTransition(f"{event.__name__} is illegal for a {state.value} ticket")
    return new


def states_allowing(event: type[Event]) -> list[TicketState]:
    """Return the states from which ``event`` is legal (for error messages)."""
    return [s for s, moves in TRANSITIONS.items() if event in moves and s is not DONE]


# --- what a counter may ask for ------------------------------------------------------

HELD_TICKET_ACTIONS: dict[CounterActionType, type[Event]] = {
    CounterActionType.RECALL: TicketRecalled,
    CounterActionType.START: ServiceStarted,
    CounterActionType.FINISH: TicketFinished,
    CounterActionType.NO_SHOW: TicketNoShow,
    CounterActionType.PARK: TicketParked,
    CounterActionType.TRANSFER: TicketTransferred,
}
"""The actions on the ticket the counter holds, by the event each causes (a recall past the
limit ends the call as a no-show instead: still a recall the engine takes). ``allows``
decides from the ticket's state."""

COUNTER_STATE_ACTIONS: dict[CounterActionType, type[Event]] = {
    CounterActionType.PAUSE: CounterPaused,
    CounterActionType.RESUME: CounterResumed,
    CounterActionType.LOGOUT: CounterClosed,
}
"""The actions on the counter itself, by the event each causes; ``COUNTER_TRANSITIONS``
decides from the counter's state."""

CALL_ACTIONS = frozenset({CounterActionType.CALL_NEXT, CounterActionType.CALL_TICKET})
"""The actions that call a ticket (``TicketCalled``): a waiting one, or one the counter parked."""

NEED_EMPTY = frozenset({*CALL_ACTIONS, CounterActionType.PAUSE, CounterActionType.LOGOUT})
"""Calling, pausing and closing need a counter that holds no ticket (the engine checks it)."""


def _allowed(counter: CounterState, ticket: TicketState | None) -> frozenset[CounterActionType]:
    actions: set[CounterActionType] = set()
    if ticket is not None:
        actions |= {a for a, event in HELD_TICKET_ACTIONS.items() if allows(ticket, event)}
    actions |= {a for a, event in COUNTER_STATE_ACTIONS.items() if event in COUNTER_TRANSITIONS[counter]}
    if counter is CounterState.OPEN:
        actions |= CALL_ACTIONS  # only an open counter calls (the engine's "ready counter")
    if ticket is not None:
        actions -= NEED_EMPTY
    return frozenset(actions)


COUNTER_ACTIONS: dict[tuple[CounterState, TicketState | None], frozenset[CounterActionType]] = {
    **{(counter, None): _allowed(counter, None) for counter in CounterState},
    **{(CounterState.OPEN, held): _allowed(CounterState.OPEN, held) for held in sorted(HOLDING)},
}
"""(The counter's state, the state of the ticket it holds or None) -> what its operator may
ask for. These are all the pairs there are: a counter holds a ticket only while it is open
(calling needs an open counter; pausing and closing an empty one), and only a CALLED or
SERVING one. ``login`` is not here: any state takes it, and who may log in where is the
hub's to decide. Calling a parked ticket also needs one to be parked there, which the
counter app knows from its list."""


def counter_allows(counter: CounterState, ticket: TicketState | None, action: CounterActionType) -> bool:
    """Return whether a counter in ``counter`` state, holding a ticket in ``ticket`` state
    (None: no ticket), may ask for ``action`` (any but ``login``)."""
    return action in COUNTER_ACTIONS.get((counter, ticket), frozenset())
