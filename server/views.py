"""What clients see of the engine's state: JSON-able views and per-role snapshots.

Pure functions of a (committed) engine and the center configuration.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from .queue.commands import IssueTicket
from .queue.exceptions import QueueError, ServiceUnavailable
from .queue.types import FINAL_STATES, CounterNo, Priority, TicketState

if TYPE_CHECKING:
    from .center import Center
    from .queue import QueueEngine


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def ticket_view(ticket: Any) -> dict[str, Any]:
    """One ticket as clients see it (docs/protocol.md, "ticket")."""
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service": ticket.service,
        "agency": ticket.agency,
        "state": str(ticket.state),
        "counter": ticket.counter,
        "lang": ticket.lang,
        "priority": str(ticket.priority),
        "source": str(ticket.source),
        "issued_at": _iso(ticket.issued_at),
        "queued_at": _iso(ticket.queued_at),
        "called_at": _iso(ticket.called_at),
        "started_at": _iso(ticket.started_at),
        "recalls": ticket.recalls,
        "target_counter": ticket.target_counter,
        "return_to": ticket.return_to,
    }


def counter_view(engine: QueueEngine, number: CounterNo) -> dict[str, Any]:
    status = engine.counters[number]
    current = engine.tickets[status.current] if status.current else None
    return {
        "number": number,
        "state": str(status.state),
        "operator": status.operator,
        "current": ticket_view(current) if current is not None else None,
        "served": status.served,
        "service_seconds": round(status.service_seconds, 1),
        "no_shows": status.no_shows,
    }


def center_info(center: Center) -> dict[str, Any]:
    """The static part of every snapshot: names, services, counters, zones."""
    return {
        "code": center.code,
        "name": dict(center.name),
        "timezone": center.hours.timezone,
        "languages": list(center.languages),
        "opens": center.hours.open.strftime("%H:%M"),
        "closes": center.hours.close.strftime("%H:%M"),
        "zones": [{"code": z.code, "name": dict(z.name)} for z in center.zones],
        "agencies": [
            {"code": a.code, "name": dict(a.name), "prefix": a.prefix, "zone": a.zone}
            for a in center.agencies
        ],
        "services": [
            {
                "code": s.code,
                "agency": a.code,
                "name": dict(s.name),
                "prefix": s.prefix or a.prefix,
                "mean_service_min": s.mean_service_min,
            }
            for a in center.agencies
            for s in a.services
        ],
        "counters": [
            {
                "number": c.number,
                "zone": c.zone,
                "agency": center.agency_of_counter(c.number),
                "services": list(c.services),
            }
            for c in center.counters
        ],
        "displays": [{"code": d.code, "zones": list(d.zones)} for d in center.displays],
        "kiosks": [{"code": k.code, "zone": k.zone} for k in center.kiosks],
    }


def availability(engine: QueueEngine, service: str, at: datetime) -> tuple[bool, str | None]:
    """Whether a kiosk may issue a ticket for ``service`` now, and if not why
    (``closed`` or ``full``), asked of the engine's own issuing rules."""
    try:
        engine.decide(IssueTicket(service=service, at=at))
    except ServiceUnavailable as exc:
        return False, str(exc.details.get("reason", "closed"))
    except QueueError:
        return False, "closed"
    return True, None


def queue_stats(engine: QueueEngine, at: datetime) -> dict[str, dict[str, Any]]:
    """Per service: how many wait, the oldest wait, open counters, and whether a kiosk
    may issue a ticket for it now (with the reason when not)."""
    out: dict[str, dict[str, Any]] = {}
    stats = engine.queue_stats()
    for code in engine.hall.services:
        stat = stats.get(code)
        waiting = stat.waiting if stat is not None else 0
        oldest = stat.oldest_issued_at if stat is not None else None
        available, reason = availability(engine, code, at)
        est = engine.estimate(code, Priority.NONE, at) if available else None
        out[code] = {
            "waiting": waiting,
            "oldest_wait_min": round((at - oldest).total_seconds() / 60, 1) if oldest else 0.0,
            "open_counters": engine.staffed(code),
            "available": available,
            "reason": reason,
            "wait_low_min": round(est.low_min) if est else None,
            "wait_high_min": round(est.high_min) if est else None,
        }
    return out


def snapshot(
    engine: QueueEngine,
    *,
    role: str,
    counters: frozenset[CounterNo] | None,
    counter: CounterNo | None,
    at: datetime,
) -> dict[str, Any]:
    """The state a client starts from, limited to what its role may see.

    Args:
        counters: the counters a display shows (its zones) or a board line drives; None means all.
        counter: the counter a counter app acts as.
    """
    snap: dict[str, Any] = {"day": engine.day.isoformat() if engine.day else None, "open": engine.is_open}
    if role == "kiosk":
        snap["queues"] = queue_stats(engine, at)
        return snap
    visible: list[CounterNo]
    if role == "counter" and counter is not None:
        visible = [counter]
    elif counters is not None:
        visible = sorted(counters)
    else:
        visible = sorted(engine.counters)
    snap["counters"] = {str(n): counter_view(engine, n) for n in visible}
    snap["queues"] = queue_stats(engine, at)
    if role == "supervisor":
        snap["tickets"] = [ticket_view(t) for t in engine.tickets.values() if t.state not in FINAL_STATES]
    elif role in ("display", "boards"):
        shown = {TicketState.CALLED, TicketState.SERVING}
        snap["tickets"] = sorted(
            (ticket_view(t) for t in engine.tickets.values() if t.state in shown and t.counter in visible),
            key=lambda v: v["called_at"] or "",
        )
    elif role == "counter":
        snap["tickets"] = [
            ticket_view(t)
            for t in engine.tickets.values()
            if t.counter == counter
            and t.state in (TicketState.PARKED, TicketState.CALLED, TicketState.SERVING)
        ]
    return snap
