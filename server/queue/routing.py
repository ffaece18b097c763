"""Who is next: the queues and the choice a counter makes when it calls next.

The queues
==========

Each service has two lanes, first come first served: citizens with a priority
right, and everyone else (:class:`ServiceQueue`); and a third, the appointment
lane, of checked-in booked citizens in the order of their slots. Each counter also has a lane
of its own for tickets transferred to it by name, returning citizens included;
only that counter calls from it. A ticket is in at most one lane, and lanes are
ordered by the moment the ticket joined (``queued_at``, then ``seq``).

The choice (``hall.RoutingPolicy``)
===================================

Only lane *heads* are compared, so a call costs O(number of the counter's
services) whatever the queue lengths, and within one lane the order is always
first come, first served.

1. If ``returning_first``, the head of the counter's own lane, if any. Otherwise
   that head competes with the others below, as a ticket of its service.
2. If ``max_wait_min`` is set, a head that has waited longer than that goes
   first, whatever its priority class or service (the longest-waiting of them).
   This rule sits above the priority rights because its purpose is to bound the
   wait of everyone, and strict priority is what could starve the rest.
3. Priority rights: ``STRICT`` considers the priority heads only, while there
   are any; ``HEAD_START`` moves a priority head's arrival ``head_start_min``
   earlier; ``NONE`` compares both lanes by arrival alone (which merges them
   back into one first-come-first-served queue per service).
4. ``selection`` among the remaining heads: ``OLDEST_FIRST`` the earliest
   (head-start-adjusted) ``queued_at``; ``WEIGHTED`` the largest wait x the
   counter's weight for the service; ``STRICT_ORDER`` the first of the
   counter's services, in the order configured, that has a candidate.

The appointment lane (``Hall.bookings``)
=======================================

Booked citizens are not compared with the others by arrival. The head of the
appointment lanes (the earliest slot among the counter's services) is called
before the walk-in the rules above pick when

* the counter is reserved for booked citizens at this time of day
  (``CounterDef.reserved``): early check-ins too; or
* its slot has come, unless a walk-in head at this counter has waited
  ``hold_max_min`` or longer and the counter's last ``in_a_row`` calls were all
  booked citizens. That is the bound: once a walk-in has waited
  ``hold_max_min``, bookings take at most ``in_a_row`` of every ``in_a_row + 1``
  calls of each counter serving it.

Otherwise it is called only by a counter that has no walk-in to call. Returning
citizens (rule 1) still come first.

Waits count from ``queued_at``, not ``issued_at``: a transferred citizen
already had a counter's attention, and ranking them by their first arrival
would put them ahead of citizens who have been waiting in the new service all
along. Returning citizens are covered by rule 1 instead.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable

from wire.types import PriorityMode, Selection, ServiceCode

from .hall import Bookings, CounterDef, RoutingPolicy
from .records import TicketRecord

Lane = deque[TicketRecord]


class ServiceQueue:
    """The lanes of one service: priority rights, everyone else, and booked citizens."""

    __slots__ = ("booked", "normal", "prio")

    def __init__(self) -> None:
        self.prio: Lane = deque()
        self.normal: Lane = deque()
        self.booked: Lane = deque()
        """Checked-in booked citizens by ``slot_key``, not by arrival."""

    def lane(self, ticket: TicketRecord) -> Lane:
        if ticket.slot_key is not None:
            return self.booked
        return self.prio if ticket.prio else self.normal

    def add(self, ticket: TicketRecord) -> None:
        """Put ``ticket`` at its place: the end of its lane, or by its slot in the appointment lane."""
        key = ticket.slot_key
        if key is None:
            (self.prio if ticket.prio else self.normal).append(ticket)
            return
        booked = self.booked
        # Check-ins come roughly in slot order: look for the place from the back.
        i = len(booked)
        while i and slot_key(booked[i - 1]) > key:
            i -= 1
        booked.insert(i, ticket)

    def __len__(self) -> int:
        return len(self.prio) + len(self.normal) + len(self.booked)


_Candidate = tuple[TicketRecord, int, float]
"""(lane head, rank of its service at the counter, the counter's weight for it)."""


class Router:
    """Picks the next ticket for one counter."""

    __slots__ = (
        "booked",
        "counter",
        "hold_s",
        "in_a_row",
        "lanes",
        "named",
        "pairs",
        "policy",
        "rank",
        "simple",
    )

    def __init__(
        self,
        counter: CounterDef,
        queues: dict[ServiceCode, ServiceQueue],
        named: Lane,
        bookings: Bookings | None = None,
    ) -> None:
        bookings = bookings or Bookings()
        self.counter = counter
        self.policy: RoutingPolicy = counter.policy
        self.booked = [queues[service].booked for service in counter.services]
        self.hold_s = bookings.hold_max_min * 60.0
        self.in_a_row = bookings.in_a_row
        self.lanes = [
            (rank, weight, queues[service].prio, queues[service].normal)
            for rank, (service, weight) in enumerate(counter.services.items())
        ]
        self.rank = {
            service: (rank, weight) for rank, (service, weight) in enumerate(counter.services.items())
        }
        self.named = named
        self.pairs = [(prio, normal) for _, _, prio, normal in self.lanes]
        self.simple = policy_is_simple(self.policy)
        """Oldest-first without head start (the default): :meth:`pick` takes a short cut."""

    def pick(self, now: float, minute: float = 0.0, booked_run: int = 0) -> TicketRecord | None:
        """Return the ticket this counter would call at ``now`` (a POSIX timestamp), or None.

        ``minute`` is the same moment as minutes since the hall's midnight (for reserved
        periods); ``booked_run`` how many of the counter's last calls were booked citizens.
        """
        booked: TicketRecord | None = None
        slot = (0.0, 0)
        for lane in self.booked:
            if lane and (booked is None or slot_key(lane[0]) < slot):
                booked = lane[0]
                slot = slot_key(booked)
        walk_in = self.pick_walk_in(now)
        if booked is None:
            return walk_in
        if walk_in is not None and walk_in.target_counter is not None and self.policy.returning_first:
            return walk_in
        if walk_in is None or self.counter.reserved_at(minute):
            return booked
        if slot[0] > now:
            return walk_in
        if booked_run >= self.in_a_row and self.longest_walk_in(now) >= self.hold_s:
            return walk_in
        return booked

    def longest_walk_in(self, now: float) -> float:
        """The longest wait, in seconds, among the walk-in lanes' heads at this counter."""
        oldest = now
        for prio, normal in self.pairs:
            if prio and prio[0].queued_ts < oldest:
                oldest = prio[0].queued_ts
            if normal and normal[0].queued_ts < oldest:
                oldest = normal[0].queued_ts
        if self.named and self.named[0].queued_ts < oldest:
            oldest = self.named[0].queued_ts
        return now - oldest

    def pick_walk_in(self, now: float) -> TicketRecord | None:
        """The rules 1-4 above, the appointment lane left out."""
        policy = self.policy
        named = self.named
        if named and policy.returning_first:
            return named[0]
        if not self.simple:
            return self.pick_general(now)
        # One pass over the heads: the oldest with a priority right, the oldest overall.
        # If any head is overdue (max_wait_min), the oldest overall is, and it is the one rule 2 picks.
        best_prio: TicketRecord | None = None
        oldest: TicketRecord | None = None
        for prio, normal in self.pairs:
            if prio:
                t = prio[0]
                if best_prio is None or t.key < best_prio.key:
                    best_prio = t
            if normal:
                t = normal[0]
                if oldest is None or t.key < oldest.key:
                    oldest = t
        if named:
            t = named[0]
            if t.prio:
                if best_prio is None or t.key < best_prio.key:
                    best_prio = t
            elif oldest is None or t.key < oldest.key:
                oldest = t
        if best_prio is not None and (oldest is None or best_prio.key < oldest.key):
            oldest = best_prio
        if oldest is None:
            return None
        if policy.max_wait_min is not None and oldest.queued_ts < now - policy.max_wait_min * 60.0:
            return oldest
        if best_prio is not None and policy.priority_mode is PriorityMode.STRICT:
            return best_prio
        return oldest

    def pick_general(self, now: float) -> TicketRecord | None:
        """:meth:`pick` by the rules as written, for any policy (named lane not yet taken)."""
        policy = self.policy
        named = self.named
        cands: list[_Candidate] = []
        for rank, weight, prio, normal in self.lanes:
            if prio:
                cands.append((prio[0], rank, weight))
            if normal:
                cands.append((normal[0], rank, weight))
        if named:
            head = named[0]
            rank, weight = self.rank[head.service]
            cands.append((head, rank, weight))
        if len(cands) <= 1:
            return cands[0][0] if cands else None

        if policy.max_wait_min is not None:
            limit = now - policy.max_wait_min * 60.0
            overdue = [c for c in cands if c[0].queued_ts < limit]
            if overdue:
                return min(overdue, key=_by_arrival)[0]

        head_start = 0.0
        if policy.priority_mode is PriorityMode.STRICT:
            cands = [c for c in cands if c[0].prio] or cands
        elif policy.priority_mode is PriorityMode.HEAD_START:
            head_start = policy.head_start_min * 60.0
        return min(cands, key=_selection_key(policy.selection, head_start, now))[0]


def slot_key(t: TicketRecord) -> tuple[float, int]:
    """The place of ``t`` in its appointment lane (it must be in one)."""
    key = t.slot_key
    assert key is not None, f"{t.number} is not booked"
    return key


def _by_arrival(c: _Candidate) -> tuple[float, int]:
    return c[0].key


def policy_is_simple(policy: RoutingPolicy) -> bool:
    """Return whether ``Router.pick``'s short cut applies to ``policy``."""
    return policy.selection is Selection.OLDEST_FIRST and policy.priority_mode is not PriorityMode.HEAD_START


def _selection_key(
    selection: Selection, head_start: float, now: float
) -> Callable[[_Candidate], tuple[float, ...]]:
    def eff(t: TicketRecord) -> float:
        return t.queued_ts - head_start if t.prio else t.queued_ts

    if selection is Selection.OLDEST_FIRST:
        return lambda c: (eff(c[0]), c[0].seq)
    if selection is Selection.WEIGHTED:
        # Highest wait x weight first; min() of the negation. A clock step back
        # must not turn a wait negative and invert the weights.
        return lambda c: (-max(0.0, now - eff(c[0])) * c[2], eff(c[0]), c[0].seq)
    return lambda c: (c[1], eff(c[0]), c[0].seq)


def service_order(
    policy: RoutingPolicy, queue: ServiceQueue, named: Iterable[TicketRecord]
) -> list[TicketRecord]:
    """Return one service's waiting tickets in the order a counter with ``policy`` would call them.

    Tickets waiting for a named counter (``named``, already in lane order) come
    first, then the appointment lane by slot. ``max_wait_min``, slots still to come and
    the walk-ins' bound are ignored: they depend on the moment of the call.
    """
    out = list(named)
    out += queue.booked
    if policy.priority_mode is PriorityMode.STRICT:
        out += queue.prio
        out += queue.normal
        return out
    head_start = policy.head_start_min * 60.0 if policy.priority_mode is PriorityMode.HEAD_START else 0.0
    out += heapq.merge(
        queue.prio, queue.normal, key=lambda t: (t.queued_ts - head_start if t.prio else t.queued_ts, t.seq)
    )
    return out
