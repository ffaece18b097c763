"""Who is next: the queues and the choice a counter makes when it calls next.

The queues
==========

Each service has two lanes, first come first served: citizens with a priority
right, and everyone else (:class:`ServiceQueue`). Each counter also has a lane
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

from .hall import CounterDef, RoutingPolicy
from .records import TicketRecord

Lane = deque[TicketRecord]


class ServiceQueue:
    """The two lanes of one service."""

    __slots__ = ("normal", "prio")

    def __init__(self) -> None:
        self.prio: Lane = deque()
        self.normal: Lane = deque()

    def lane(self, ticket: TicketRecord) -> Lane:
        return self.prio if ticket.prio else self.normal

    def __len__(self) -> int:
        return len(self.prio) + len(self.normal)


_Candidate = tuple[TicketRecord, int, float]
"""(lane head, rank of its service at the counter, the counter's weight for it)."""


class Router:
    """Picks the next ticket for one counter."""

    __slots__ = ("lanes", "named", "pairs", "policy", "rank", "simple")

    def __init__(self, counter: CounterDef, queues: dict[ServiceCode, ServiceQueue], named: Lane) -> None:
        self.policy: RoutingPolicy = counter.policy
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

    def pick(self, now: float) -> TicketRecord | None:
        """Return the ticket this counter would call at ``now`` (a POSIX timestamp), or None."""
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
    first. ``max_wait_min`` is ignored: it depends on the moment of the call.
    """
    out = list(named)
    if policy.priority_mode is PriorityMode.STRICT:
        out += queue.prio
        out += queue.normal
        return out
    head_start = policy.head_start_min * 60.0 if policy.priority_mode is PriorityMode.HEAD_START else 0.0
    out += heapq.merge(
        queue.prio, queue.normal, key=lambda t: (t.queued_ts - head_start if t.prio else t.queued_ts, t.seq)
    )
    return out
