"""From a request to the engine command it asks for: one table, keyed by the message's
class, in the engine's own style (``QueueEngine`` keys its deciders by the command's class).

Requests that change no queue (``sync``, ``report_health``, ``figures``) are not here: the
hub answers them itself. ``counter`` is the counter the asking device is at: a counter app's
own, or the one a rating terminal stands beside. A supervisor's command carries ``by``, the
supervisor's login, which its events record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from wire import protocol as p
from wire.types import CounterActionType, CounterNo, Priority, RatingSource, Source

from ..queue import commands as c
from ..queue.book import normal_code


def _desk(counter: CounterNo | None) -> CounterNo:
    assert counter is not None, "a counter request from a connection without a counter"
    return counter


class _CounterCommand(Protocol):
    def __call__(self, *, counter: CounterNo, at: datetime) -> c.Command: ...


class _SupervisorCounterCommand(Protocol):
    def __call__(self, *, counter: CounterNo, at: datetime, by: str | None) -> c.Command: ...


COUNTER_ACTIONS: dict[CounterActionType, _CounterCommand] = {
    CounterActionType.CALL_NEXT: c.CallNext,
    CounterActionType.RECALL: c.Recall,
    CounterActionType.START: c.StartService,
    CounterActionType.NO_SHOW: c.MarkNoShow,
    CounterActionType.PARK: c.Park,
    CounterActionType.PAUSE: c.PauseCounter,
    CounterActionType.RESUME: c.ResumeCounter,
}
"""The counter's one-key actions, each the engine command of the same name."""

SUPERVISOR_COUNTER: dict[str, _SupervisorCounterCommand] = {
    "open_counter": c.OpenCounter,
    "close_counter": c.CloseCounter,
    "pause_counter": c.PauseCounter,
    "resume_counter": c.ResumeCounter,
}


def _issue(msg: p.Issue, at: datetime, counter: CounterNo | None, by: str | None) -> c.Command:
    return c.IssueTicket(
        service=msg.service,
        lang=msg.lang,
        priority=Priority(msg.priority),
        source=Source.APPOINTMENT if msg.appointment else Source.KIOSK,
        appointment=msg.appointment,
        at=at,
    )


def _check_in(msg: p.CheckIn, at: datetime, counter: CounterNo | None, by: str | None) -> c.Command:
    return c.CheckIn(code=normal_code(msg.code), at=at, lang=msg.lang)


def _login(msg: p.Login, at: datetime, counter: CounterNo | None, by: str | None) -> c.Command:
    # The password was checked before (auth.Auth.operator); the engine says whether the
    # counter is free for this operator (CounterTaken, OperatorElsewhere).
    return c.OpenCounter(counter=_desk(counter), operator=msg.login, at=at)


def _logout(msg: p.Logout, at: datetime, counter: CounterNo | None, by: str | None) -> c.Command:
    return c.CloseCounter(counter=_desk(counter), at=at)


def _counter_action(
    msg: p.CounterAction, at: datetime, counter: CounterNo | None, by: str | None
) -> c.Command:
    return COUNTER_ACTIONS[CounterActionType(msg.type)](counter=_desk(counter), at=at)


def _finish(msg: p.Finish, at: datetime, counter: CounterNo | None, by: str | None) -> c.Command:
    return c.FinishService(counter=_desk(counter), outcome=msg.outcome, at=at)


def _call_ticket(msg: p.CallTicket, at: datetime, counter: CounterNo | None, by: str | None) -> c.Command:
    return c.CallTicket(counter=_desk(counter), ticket=msg.ticket, at=at)


def _transfer(msg: p.Transfer, at: datetime, counter: CounterNo | None, by: str | None) -> c.Command:
    return c.Transfer(
        counter=_desk(counter),
        to_service=msg.to_service,
        to_counter=msg.to_counter,
        return_to_me=msg.return_to_me,
        at=at,
    )


def _supervisor_counter(
    msg: p.SupervisorCounter, at: datetime, counter: CounterNo | None, by: str | None
) -> c.Command:
    return SUPERVISOR_COUNTER[msg.type](counter=msg.counter, at=at, by=by)


def _day(msg: p.DayAction, at: datetime, counter: CounterNo | None, by: str | None) -> c.Command:
    if msg.type == "open_day":
        return c.OpenDay(day=at.date(), at=at, by=by)
    return c.CloseDay(at=at, by=by)


def _cancel(msg: p.Cancel, at: datetime, counter: CounterNo | None, by: str | None) -> c.Command:
    return c.CancelTicket(ticket=msg.ticket, at=at, by=by)


def _set_counter_services(
    msg: p.SetCounterServices, at: datetime, counter: CounterNo | None, by: str | None
) -> c.Command:
    return c.SetCounterServices(counter=msg.counter, services=tuple(msg.services), at=at, by=by)


def _move_ticket(msg: p.MoveTicket, at: datetime, counter: CounterNo | None, by: str | None) -> c.Command:
    return c.MoveTicket(ticket=msg.ticket, to_service=msg.to_service, at=at, by=by)


def _set_message(msg: p.SetMessage, at: datetime, counter: CounterNo | None, by: str | None) -> c.Command:
    return c.SetHallMessage(text={str(k): v for k, v in msg.text.items()} if msg.text else None, at=at, by=by)


def _rate(msg: p.Rate, at: datetime, counter: CounterNo | None, by: str | None) -> c.Command:
    # From the terminal beside the counter; the phone page's role will say RatingSource.PHONE.
    return c.RateVisit(
        counter=_desk(counter),
        ticket=msg.ticket,
        score=msg.score,
        reasons=msg.reasons,
        source=RatingSource.COUNTER,
        at=at,
    )


Build = Callable[[Any, datetime, CounterNo | None, str | None], c.Command]
"""``(request, at, the asking device's counter, the supervisor's login) -> command``."""

COMMANDS: dict[type[p.ClientRequest], Build] = {
    p.Issue: _issue,
    p.CheckIn: _check_in,
    p.Login: _login,
    p.Logout: _logout,
    p.CounterAction: _counter_action,
    p.Finish: _finish,
    p.CallTicket: _call_ticket,
    p.Transfer: _transfer,
    p.SupervisorCounter: _supervisor_counter,
    p.DayAction: _day,
    p.Cancel: _cancel,
    p.SetCounterServices: _set_counter_services,
    p.MoveTicket: _move_ticket,
    p.SetMessage: _set_message,
    p.Rate: _rate,
}
"""Request class -> the function building its engine command."""


def command(
    msg: p.ClientRequest, at: datetime, counter: CounterNo | None = None, by: str | None = None
) -> c.Command | None:
    """The engine command ``msg`` asks for at ``at``, from the device at ``counter`` (the
    counter app, or the rating terminal, of that counter; None for the other roles) or the
    supervisor ``by``, or None for a request the engine has no part in."""
    build = COMMANDS.get(type(msg))
    return build(msg, at, counter, by) if build is not None else None
