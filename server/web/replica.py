"""The web process's copy of the hall: the day's engine rebuilt from the hub's events, and
what each ticket's page and the public hall page show of it.

Pure: events in, plain values out; no network and no clock of its own (``at`` is passed in).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from wire.events import DayClosed, DayOpened, Event, TicketTransferred
from wire.messages import QueueFigures
from wire.types import CounterNo, Priority, ServiceCode, TicketId, TicketState, WaitRange

from .. import security, views
from ..center import Center
from ..queue import QueueEngine
from ..queue.estimate import Estimate, PoolEstimator

__all__ = ["HallRow", "PageState", "Replica", "Texts", "TicketPage", "Transfer"]

Texts = dict[str, str]
"""A name in each language (``{"az": …, "ru": …, "en": …}``)."""

PageState = str
"""What a ticket's page says, one of ``waiting``, ``called``, ``serving``, ``parked``,
``done``, ``no_show``, ``cancelled``, ``closed`` (the day closed before it was served) and
``day_closed`` (the center closed while it was being served or after it was done: the
service day is over)."""

_STATES: dict[TicketState, PageState] = {
    TicketState.WAITING: "waiting",
    TicketState.CALLED: "called",
    TicketState.SERVING: "serving",
    TicketState.PARKED: "parked",
    TicketState.DONE: "done",
    TicketState.NO_SHOW: "no_show",
    TicketState.TRANSFERRED: "waiting",
    TicketState.CANCELLED: "cancelled",
    TicketState.CLOSED_UNSERVED: "closed",
}


@dataclass(frozen=True, slots=True)
class Transfer:
    """Where a ticket was sent on, and why: the service it waits for now (the reason the
    operator chose), the counter it was named to, and the counter it goes back to."""

    service: Texts
    from_counter: CounterNo
    to_counter: CounterNo | None
    return_to: CounterNo | None


@dataclass(frozen=True, slots=True)
class TicketPage:
    """Everything a ticket's page shows (docs/phone.md): one value per state of the page,
    compared to tell whether an open page must be told."""

    number: str
    lang: str
    state: PageState
    service: Texts
    agency: Texts
    ahead: int = 0
    """While waiting: citizens to be called before this one."""
    wait: WaitRange | None = None
    """While waiting: the wait it may still expect, decided as the kiosk's promise is."""
    counter: CounterNo | None = None
    """Called, being served, parked, done or not come: the counter."""
    place: Texts | None = None
    """Where ``counter`` is: its zone's name (a floor, a wing)."""
    transfer: Transfer | None = None
    """The last transfer of a ticket waiting again after one."""
    day_over: bool = False
    """The center closed for the day: the page changes no more."""
    rating: str | None = None
    """Done: ``"ask"`` while its visit may be rated from the page (Rule V-2: not rated yet,
    the day open), ``"rated"`` once it is (from the page or the counter's terminal); else
    None."""


@dataclass(frozen=True, slots=True)
class HallRow:
    """One service on the public hall page and in ``/api/queues``."""

    agency: str
    service: str
    name: Texts
    figures: QueueFigures


class Replica:
    """The engine of the current service day, kept by applying the hub's events in order,
    and the page token of each of its tickets (``server.security.ticket_token``)."""

    def __init__(self, center: Center) -> None:
        if center.public is None:
            raise ValueError("the center has no [public] section: the citizens' pages need one")
        self.center = center
        cv = float(((center.workload or {}).get("service_time") or {}).get("cv", 0.6))
        self.hall = center.to_hall()
        self._estimator = PoolEstimator(service_cv=cv)
        self.engine = QueueEngine(self.hall, estimator=self._estimator)
        self.seq = 0
        self.tokens = security.TicketTokens(center.public.secret)
        self.transfers: dict[TicketId, TicketTransferred] = {}
        self.day_closed = False
        self._ranks: dict[ServiceCode, dict[TicketId, int]] = {}
        self._estimates: dict[tuple[ServiceCode, Priority], Estimate] = {}
        """The estimate of each service and priority at ``_estimates_at``, for as long as no
        event comes: every page of a service waits on the same one (the pool estimator's
        work, done once for them all)."""
        self._estimates_at: datetime | None = None
        self._zone_names = {z.code: dict(z.name) for z in center.zones}
        self._service_names = {s.code: dict(s.name) for a in center.agencies for s in a.services}
        self._agency_names = {a.code: dict(a.name) for a in center.agencies}

    def reset(self) -> None:
        """Forget everything: the hub is about to send the day again from its opening."""
        self.engine = QueueEngine(self.hall, estimator=self._estimator)
        self.tokens.clear()
        self.transfers.clear()
        self.day_closed = False
        self._ranks.clear()
        self._estimates.clear()
        self.seq = 0

    def apply(self, seq: int, event: Event) -> None:
        """Apply one event of the hub, in order (``seq`` strictly increasing)."""
        self.tokens.apply(event)  # a new day: yesterday's tokens stop working
        if isinstance(event, DayOpened):
            self.transfers.clear()
            self.day_closed = False
        self.engine.apply(event)
        self.seq = seq
        self._ranks.clear()
        self._estimates.clear()
        if isinstance(event, TicketTransferred):
            self.transfers[event.ticket] = event
        elif isinstance(event, DayClosed):
            self.day_closed = True

    # --- tickets --------------------------------------------------------------------------

    def ticket_of(self, token: str) -> TicketId | None:
        """The ticket a page token names, or None (unknown, or of another day)."""
        return self.tokens.ticket_of(token)

    def token_of(self, ticket: TicketId) -> str:
        return self.tokens.token_of(ticket)

    def day(self) -> date | None:
        return self.engine.day

    def _rank(self, service: ServiceCode, ticket: TicketId) -> int:
        ranks = self._ranks.get(service)
        if ranks is None:
            ranks = {t.id: i for i, t in enumerate(self.engine.waiting(service))}
            self._ranks[service] = ranks
        return ranks.get(ticket, 0)

    def page(self, ticket_id: TicketId, at: datetime) -> TicketPage:
        """What the page of ``ticket_id`` (a ticket of the replica's day) shows at ``at``."""
        ticket = self.engine.tickets[ticket_id]
        state = _STATES[ticket.state]
        common = TicketPage(
            number=ticket.number,
            lang=ticket.lang,
            state=state,
            service=self._service_names.get(ticket.service, {"az": ticket.service}),
            agency=self._agency_names.get(ticket.agency, {"az": ticket.agency}),
            day_over=self.day_closed,
        )
        if state == "waiting":
            ahead = self._rank(ticket.service, ticket_id)
            transfer = self.transfers.get(ticket_id)
            return replace(
                common,
                ahead=ahead,
                wait=self._wait(ticket.service, ticket.priority, ahead, at),
                transfer=self._transfer(transfer) if transfer is not None else None,
            )
        if self.day_closed and state in ("called", "serving", "parked", "done"):
            state = "day_closed" if state != "done" else state
        counter = ticket.counter
        if counter is None and ticket.history:
            counter = ticket.history[-1][2]
        return replace(
            common, state=state, counter=counter, place=self._place(counter), rating=self.rating(ticket_id)
        )

    def rating(self, ticket_id: TicketId) -> str | None:
        """Whether the page of a ticket asks for its rating (``"ask"``), says it is rated
        (``"rated"``), or neither (None): see :attr:`TicketPage.rating`."""
        if self.engine.tickets[ticket_id].state is not TicketState.DONE:
            return None
        visit = self.engine.finished_visit(ticket_id)
        if visit is None:
            return None
        if visit.rated_at is not None:
            return "rated"
        return "ask" if self.engine.is_open else None

    def _wait(self, service: ServiceCode, priority: Priority, ahead: int, at: datetime) -> WaitRange:
        """The wait still before a ticket with ``ahead`` citizens before it: the estimate of
        a ticket issued now for the service, scaled to the ticket's place in the line."""
        if at != self._estimates_at:
            self._estimates.clear()
            self._estimates_at = at
        estimate = self._estimates.get((service, priority))
        if estimate is None:
            estimate = self._estimates[service, priority] = self.engine.estimate(service, priority, at)
        share = (ahead + 1) / (estimate.ahead + 1)
        return WaitRange.promise(estimate.low_min * share, estimate.high_min * share)

    def _place(self, counter: CounterNo | None) -> Texts | None:
        if counter is None or counter not in self.hall.counters:
            return None
        return self._zone_names.get(self.center.zone_of_counter(counter))

    def _transfer(self, event: TicketTransferred) -> Transfer:
        return Transfer(
            service=self._service_names.get(event.to_service, {"az": event.to_service}),
            from_counter=event.from_counter,
            to_counter=event.to_counter,
            return_to=event.return_to,
        )

    def services_of(self, events: Iterable[Event]) -> set[ServiceCode] | None:
        """The services whose waiting tickets' pages ``events`` may change, or None for
        all of them (the day opened or closed, a counter changed: every estimate moves)."""
        out: set[ServiceCode] = set()
        for event in events:
            ticket = getattr(event, "ticket", None)
            if ticket is None:
                return None
            known = self.engine.tickets.get(ticket)
            if known is not None:
                out.add(known.service)
            for name in ("service", "to_service"):
                value = getattr(event, name, None)
                if value is not None:
                    out.add(value)
        return out

    # --- the hall -------------------------------------------------------------------------

    def hall_rows(self, at: datetime) -> list[HallRow]:
        """Every service, by agency in the center file's order, with its figures now."""
        figures = views.queue_stats(self.engine, at)
        return [
            HallRow(agency=a.code, service=s.code, name=dict(s.name), figures=figures[s.code])
            for a in self.center.agencies
            for s in a.services
            if s.code in figures
        ]
