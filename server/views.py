"""What clients see of the engine's state: the typed views of ``wire.messages`` and the
per-role snapshots.

Pure functions of a (committed) engine and the center configuration.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from wire.events import TicketIssued
from wire.messages import (
    WAITING_LIMIT,
    AgencyInfo,
    CenterInfo,
    CounterInfo,
    CounterNotice,
    CounterView,
    DeviceHealth,
    DisplayInfo,
    IssuedTicket,
    KioskInfo,
    Names,
    OperatorInfo,
    OutcomeInfo,
    QueueAlert,
    QueueFigures,
    ServiceInfo,
    Snapshot,
    TicketView,
    VisitView,
    WaitingNotice,
    WaitingTicket,
    ZoneInfo,
)
from wire.types import FINAL_STATES, CounterNo, Priority, ServiceCode, TicketState, WaitRange

from .queue.commands import IssueTicket
from .queue.exceptions import QueueError, ServiceUnavailable
from .queue.records import Ticket
from .watch import breach_in_min, stranded

if TYPE_CHECKING:
    from .center import Center
    from .queue import QueueEngine


def ticket_view(ticket: Ticket) -> TicketView:
    """One ticket as clients see it (docs/protocol.md, "ticket")."""
    return TicketView(
        id=ticket.id,
        number=ticket.number,
        service=ticket.service,
        agency=ticket.agency,
        state=ticket.state,
        counter=ticket.counter,
        lang=ticket.lang,
        priority=ticket.priority,
        source=ticket.source,
        issued_at=ticket.issued_at,
        queued_at=ticket.queued_at,
        called_at=ticket.called_at,
        started_at=ticket.started_at,
        recalls=ticket.recalls,
        target_counter=ticket.target_counter,
        return_to=ticket.return_to,
        appointment=ticket.appointment,
        slot_at=ticket.slot_at,
    )


def issued_ticket(engine: QueueEngine, issued: TicketIssued, url: str | None = None) -> IssuedTicket:
    """The ticket an ``issue`` request created, with the wait it promises and the address of
    its page (``url``, :meth:`server.center.Center.ticket_url`)."""
    view = ticket_view(engine.tickets[issued.ticket])
    return IssuedTicket(
        **dict(view),
        ahead=issued.ahead,
        wait=promised_wait(issued),
        zone=engine.hall.services[issued.service].zone,
        url=url,
    )


def promised_wait(issued: TicketIssued) -> WaitRange:
    """The wait a ticket promises, from the estimate its issue recorded: the one place the
    server turns an estimate into the minutes a citizen reads (the ticket and the figures)."""
    return WaitRange.promise(issued.wait_low_min, issued.wait_high_min)


def counter_view(engine: QueueEngine, number: CounterNo) -> CounterView:
    status = engine.counters[number]
    current = engine.tickets[status.current] if status.current else None
    return CounterView(
        number=number,
        state=status.state,
        operator=status.operator,
        current=ticket_view(current) if current is not None else None,
        served=status.served,
        service_seconds=round(status.service_seconds, 1),
        no_shows=status.no_shows,
        since=status.since,
        services=tuple(engine.hall.counters[number].services),
    )


def operator_info(center: Center, login: str | None) -> OperatorInfo | None:
    """An operator's login and name (the login again for one center.toml no longer lists)."""
    if login is None:
        return None
    try:
        name = center.operator(login).full_name
    except KeyError:
        name = login
    return OperatorInfo(login=login, name=name)


def counter_notice(engine: QueueEngine, center: Center, number: CounterNo) -> CounterNotice:
    """What the rating terminal of counter ``number`` shows: the counter, who works there,
    and the visit it finished last, with the citizen's language and until when it may be
    rated."""
    view = counter_view(engine, number)
    visit = engine.last_visit(number)
    shown: VisitView | None = None
    if visit is not None:
        ticket = engine.tickets[visit.ticket]
        shown = VisitView(
            ticket=visit.ticket,
            number=visit.number,
            service=visit.service,
            lang=ticket.lang,
            operator=operator_info(center, visit.operator),
            finished_at=visit.finished_at,
            rate_until=visit.finished_at + timedelta(minutes=engine.hall.rating_window_min),
            rated_at=visit.rated_at,
        )
    return CounterNotice(counter=view, operator=operator_info(center, view.operator), visit=shown)


def center_info(center: Center) -> CenterInfo:
    """The static part of every welcome: names, services, counters, zones."""
    return CenterInfo(
        code=center.code,
        name=dict(center.name),
        timezone=center.hours.timezone,
        languages=tuple(center.languages),
        opens=center.hours.open,
        closes=center.hours.close,
        days=tuple(center.hours.days),
        wait_standard_min=center.rules.wait_standard_min,
        zones=tuple(ZoneInfo(code=z.code, name=dict(z.name)) for z in center.zones),
        agencies=tuple(
            AgencyInfo(code=a.code, name=dict(a.name), prefix=a.prefix, zone=a.zone) for a in center.agencies
        ),
        services=tuple(
            ServiceInfo(
                code=s.code,
                agency=a.code,
                name=dict(s.name),
                prefix=s.prefix or a.prefix,
                mean_service_min=s.mean_service_min,
                share=s.share,
            )
            for a in center.agencies
            for s in a.services
        ),
        counters=tuple(
            CounterInfo(
                number=c.number,
                zone=c.zone,
                agency=center.agency_of_counter(c.number),
                services=tuple(c.services),
            )
            for c in center.counters
        ),
        displays=tuple(DisplayInfo(code=d.code, zones=tuple(d.zones)) for d in center.displays),
        kiosks=tuple(KioskInfo(code=k.code, zone=k.zone) for k in center.kiosks),
        outcomes=tuple(OutcomeInfo(code=o.code, name=dict(o.name)) for o in center.outcomes),
    )


def offer(
    engine: QueueEngine, service: str, at: datetime
) -> tuple[WaitRange | None, Literal["closed", "full"] | None]:
    """What a kiosk asking for a ticket for ``service`` at ``at`` would get: the wait the
    ticket would promise, or None and why not (``closed`` or ``full``).

    Asked of the engine's own issuing rules, through the very decision that issues (for a
    ticket without a priority right), so the figure a kiosk shows and the ticket it prints
    next cannot disagree unless something happened between them.
    """
    try:
        (issued, *_) = engine.decide(IssueTicket(service=service, at=at))
    except ServiceUnavailable as exc:
        return None, "full" if exc.details.get("reason") == "full" else "closed"
    except QueueError:
        return None, "closed"
    assert isinstance(issued, TicketIssued), f"an issue decided {issued!r}"
    return promised_wait(issued), None


def queue_stats(engine: QueueEngine, at: datetime) -> dict[str, QueueFigures]:
    """Per service: how many wait, the oldest wait, open counters, and whether a kiosk
    may issue a ticket for it now (with the reason when not, and the promise when so);
    for the supervisors, when a wait is expected to pass the standard and who is stranded
    (``server.watch``)."""
    out: dict[str, QueueFigures] = {}
    stats = engine.queue_stats()
    for code in engine.hall.services:
        stat = stats.get(code)
        waiting = stat.waiting if stat is not None else 0
        oldest = stat.oldest_issued_at if stat is not None else None
        wait, reason = offer(engine, code, at)
        queue = engine.waiting(code) if waiting else []
        out[code] = QueueFigures(
            waiting=waiting,
            oldest_wait_min=round((at - oldest).total_seconds() / 60, 1) if oldest else 0.0,
            open_counters=engine.staffed(code),
            available=wait is not None,
            reason=reason,
            wait=wait,
            breach_in_min=breach_in_min(engine, code, queue, at) if queue else None,
            stranded=stranded(engine, code, queue),
        )
    return out


def snapshot(
    engine: QueueEngine,
    *,
    role: str,
    counters: frozenset[CounterNo] | None,
    counter: CounterNo | None,
    at: datetime,
    message: Names | None = None,
    devices: dict[str, DeviceHealth] | None = None,
    queue_alerts: tuple[QueueAlert, ...] = (),
) -> Snapshot:
    """The state a client starts from, limited to what its role may see.

    Args:
        counters: the counters a display shows (its zones) or a board line drives; None means all.
        counter: the counter a counter app acts as, or a rating terminal stands at.
        message: the displays' scrolling line.
        devices: every device's last health report (supervisors only).
        queue_alerts: the queues that need the supervisors now (supervisors only).
    """
    day, is_open, queues = engine.day, engine.is_open, queue_stats(engine, at)
    if role == "kiosk":
        return Snapshot(day=day, open=is_open, queues=queues, message=message)
    visible: list[CounterNo]
    if role in ("counter", "rating") and counter is not None:
        visible = [counter]
    elif counters is not None:
        visible = sorted(counters)
    else:
        visible = sorted(engine.counters)
    tickets: list[TicketView] = []
    if role == "supervisor":
        tickets = [ticket_view(t) for t in engine.tickets.values() if t.state not in FINAL_STATES]
    elif role in ("display", "boards", "rating"):
        shown = {TicketState.CALLED, TicketState.SERVING}
        called = [t for t in engine.tickets.values() if t.state in shown and t.counter in visible]
        called.sort(key=lambda t: t.called_at or t.issued_at)
        tickets = [ticket_view(t) for t in called]
    elif role == "counter":
        held = (TicketState.PARKED, TicketState.CALLED, TicketState.SERVING)
        tickets = [
            ticket_view(t) for t in engine.tickets.values() if t.counter == counter and t.state in held
        ]
    return Snapshot(
        day=day,
        open=is_open,
        queues=queues,
        message=message,
        counters={n: counter_view(engine, n) for n in visible},
        tickets=tuple(tickets),
        devices=devices if role == "supervisor" and devices else {},
        queue_alerts=queue_alerts if role == "supervisor" else (),
    )


def waiting_lists(engine: QueueEngine, counters: Iterable[CounterNo]) -> dict[CounterNo, WaitingNotice]:
    """Who waits for each of ``counters``: the ``waiting`` notice of each counter app.

    A counter's list is the waiting tickets of its services that it may call (not those
    sent by name to another counter), its own lane first, then priority rights, then by
    the time they joined the queue. Each service's queue is read once for all counters.
    """
    queues: dict[ServiceCode, list[Ticket]] = {}
    out: dict[CounterNo, WaitingNotice] = {}
    for number in counters:
        mine: list[Ticket] = []
        for service in engine.hall.counters[number].services:
            if service not in queues:
                queues[service] = engine.waiting(service)
            mine.extend(t for t in queues[service] if t.target_counter in (None, number))
        # A stable sort: ties keep the order of their service's queue.
        mine.sort(key=lambda t: (t.target_counter != number, t.priority is Priority.NONE, t.queued_at))
        out[number] = WaitingNotice(
            tickets=tuple(
                WaitingTicket(
                    id=t.id,
                    number=t.number,
                    service=t.service,
                    priority=t.priority,
                    lang=t.lang,
                    queued_at=t.queued_at,
                    mine=t.target_counter == number,
                )
                for t in mine[:WAITING_LIMIT]
            ),
            more=max(0, len(mine) - WAITING_LIMIT),
        )
    return out
