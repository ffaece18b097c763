"""The hub's parts that need no socket: who sees which event, and which engine command
each request asks for."""

from __future__ import annotations

import typing
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection

from server.hub import audience, dispatch
from server.hub.clients import Client, Clients
from server.queue import commands as c
from wire import events as ev, protocol as p
from wire.protocol import CounterActionType, Role
from wire.types import Priority, Source

AT = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=4)))
HALL = (1, 2, 3, 4, 5)


def client(role: Role, name: str, **fields: Any) -> Client:
    no_socket = typing.cast(ServerConnection, None)  # fan-out is not called here
    return Client(ws=no_socket, role=role, identity=f"{role}:{name}", **fields)


CLIENTS = [
    client(Role.KIOSK, "kiosk-1"),
    client(Role.COUNTER, "1", counter=1),
    client(Role.COUNTER, "5", counter=5),
    client(Role.DISPLAY, "lobby"),
    client(Role.DISPLAY, "floor-1", counters=frozenset({1, 2})),
    client(Role.BOARDS, "line-1", counters=frozenset({5})),
    client(Role.SUPERVISOR, "boss"),
    client(Role.RATING, "1", terminal_of=1),
]

EVENTS: list[ev.Event] = [
    ev.DayOpened(day=date(2026, 11, 23), at=AT),
    ev.DayClosed(at=AT),
    ev.TicketIssued(ticket="20261123-A001", number="A001", service="ID", agency="DIN", at=AT),
    ev.TicketCancelled(ticket="20261123-A001", number="A001", at=AT),
    ev.TicketCalled(ticket="20261123-A001", number="A001", service="ID", counter=1, at=AT),
    ev.TicketCalled(ticket="20261123-A001", number="A001", service="ID", counter=5, at=AT),
    ev.TicketTransferred(
        ticket="20261123-A001", number="A001", from_counter=1, to_service="ID", to_counter=5, at=AT
    ),
    ev.TicketTransferred(ticket="20261123-A001", number="A001", from_counter=2, to_service="ID", at=AT),
    ev.CounterOpened(counter=5, at=AT, operator="op5"),
    ev.VisitRated(
        ticket="20261123-A001",
        number="A001",
        counter=1,
        service="ID",
        agency="DIN",
        score=4,
        finished_at=AT,
        at=AT,
        operator="op1",
    ),
]


def registry() -> Clients:
    clients = Clients(HALL)
    for each in CLIENTS:
        clients.add(each)
    return clients


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_the_audience_of_an_event_is_who_may_see_it(event: ev.Event) -> None:
    """The fan-out's indexes and the resume's rule agree, for every role."""
    clients = registry()
    assert audience.of_event(clients, event) == {x for x in CLIENTS if audience.may_see(x, event)}


def test_who_sees_what() -> None:
    clients = registry()
    kiosk, desk1, desk5, lobby, floor1, line1, boss, terminal1 = CLIENTS
    called_at_1, transfer_1_to_5, rated_at_1 = EVENTS[4], EVENTS[6], EVENTS[9]
    assert audience.of_event(clients, EVENTS[0]) == set(CLIENTS)
    assert audience.of_event(clients, EVENTS[2]) == {boss}  # a ticket issued: no counter yet
    assert audience.of_event(clients, EVENTS[8]) == {desk5, lobby, line1, boss}
    assert kiosk not in audience.of_event(clients, EVENTS[8])
    assert audience.of_event(clients, called_at_1) == {desk1, lobby, floor1, terminal1, boss}
    assert audience.of_event(clients, transfer_1_to_5) == {
        desk1,
        desk5,
        lobby,
        floor1,
        line1,
        terminal1,
        boss,
    }
    # A citizen's rating: never on the hall's screens.
    assert audience.of_event(clients, rated_at_1) == {desk1, terminal1, boss}
    clients.discard(floor1)
    assert audience.of_event(clients, called_at_1) == {desk1, lobby, terminal1, boss}
    assert audience.of_hall_message(clients) == {lobby, boss}
    assert audience.of_device_health(clients) == {boss}


def test_every_one_key_action_of_the_protocol_is_an_engine_command() -> None:
    literal = typing.get_args(p.CounterAction.model_fields["type"].annotation)
    assert set(literal) == set(dispatch.COUNTER_ACTIONS)
    assert set(dispatch.COUNTER_ACTIONS) < set(CounterActionType)


@pytest.mark.parametrize("action", list(dispatch.COUNTER_ACTIONS))
def test_a_counter_action_is_the_engine_command_for_that_counter(action: CounterActionType) -> None:
    msg = p.CounterAction(type=action, id="r")
    command = dispatch.command(msg, AT, 7)
    assert command == dispatch.COUNTER_ACTIONS[action](counter=7, at=AT)


def test_every_request_is_a_command_or_answered_by_the_hub() -> None:
    """Only sync, report_health and figures go to no engine command."""
    requests = set(typing.get_args(p.ClientRequest))
    assert requests - set(dispatch.COMMANDS) == {p.Sync, p.ReportHealth, p.Figures}
    assert dispatch.command(p.Sync(type="sync", id="s"), AT) is None


DESK = 7
BOSS = None

REQUESTS: list[tuple[str, int | None, c.Command]] = [
    (
        '{"type": "issue", "id": "k", "service": "ID", "lang": "ru", "priority": "elderly"}',
        BOSS,
        c.IssueTicket(service="ID", lang="ru", priority=Priority.ELDERLY, at=AT),
    ),
    (
        '{"type": "issue", "id": "k", "service": "ID", "appointment": "B-17"}',
        BOSS,
        c.IssueTicket(service="ID", source=Source.APPOINTMENT, appointment="B-17", at=AT),
    ),
    (
        '{"type": "login", "id": "l", "login": "op7", "password": "x"}',
        DESK,
        c.OpenCounter(counter=7, operator="op7", at=AT),
    ),
    ('{"type": "logout", "id": "l"}', DESK, c.CloseCounter(counter=7, at=AT)),
    (
        '{"type": "call_ticket", "id": "t", "ticket": "20261123-A001"}',
        DESK,
        c.CallTicket(counter=7, ticket="20261123-A001", at=AT),
    ),
    (
        '{"type": "transfer", "id": "t", "to_service": "BANK", "return_to_me": true}',
        DESK,
        c.Transfer(counter=7, to_service="BANK", return_to_me=True, at=AT),
    ),
    ('{"type": "transfer", "id": "t", "to_counter": 3}', DESK, c.Transfer(counter=7, to_counter=3, at=AT)),
    ('{"type": "open_counter", "id": "s", "counter": 3}', BOSS, c.OpenCounter(counter=3, at=AT)),
    ('{"type": "close_counter", "id": "s", "counter": 3}', BOSS, c.CloseCounter(counter=3, at=AT)),
    ('{"type": "pause_counter", "id": "s", "counter": 3}', BOSS, c.PauseCounter(counter=3, at=AT)),
    ('{"type": "resume_counter", "id": "s", "counter": 3}', BOSS, c.ResumeCounter(counter=3, at=AT)),
    ('{"type": "open_day", "id": "s"}', BOSS, c.OpenDay(day=AT.date(), at=AT)),
    ('{"type": "close_day", "id": "s"}', BOSS, c.CloseDay(at=AT)),
    (
        '{"type": "cancel", "id": "s", "ticket": "20261123-A001"}',
        BOSS,
        c.CancelTicket(ticket="20261123-A001", at=AT),
    ),
]


@pytest.mark.parametrize(("text", "who", "expected"), REQUESTS, ids=[r[0][9:30] for r in REQUESTS])
def test_a_request_is_the_engine_command_it_asks_for(text: str, who: int | None, expected: c.Command) -> None:
    msg = p.parse_client_message(text)
    assert not isinstance(msg, p.Hello)
    assert dispatch.command(msg, AT, who) == expected


def test_the_answers_kept_for_repeats_are_bounded_by_the_devices_not_the_day() -> None:
    """100,000 new request ids from one device grew the memory by 85 MB when every answer was
    kept all day: now each device keeps its last ``PER_DEVICE``, none older than a day."""
    from datetime import UTC, datetime, timedelta

    from server.hub.replies import PER_DEVICE, Replies

    replies = Replies()
    at = datetime(2026, 11, 30, 9, tzinfo=UTC)
    for n in range(100_000):
        replies.remember(("kiosk:kiosk-1", f"k-{n}"), f'{{"id": "k-{n}"}}', at + timedelta(milliseconds=n))
    replies.remember(("counter:1", "c-1"), "{}", at)
    assert len(replies) == PER_DEVICE + 1
    late = at + timedelta(seconds=100)
    assert replies.get(("kiosk:kiosk-1", "k-99999"), late) == '{"id": "k-99999"}'
    assert replies.get(("kiosk:kiosk-1", "k-0"), late) is None, "the oldest went first"
    assert replies.get(("counter:1", "c-1"), at + timedelta(hours=25)) is None, "none older than a day"


SUPERVISED: list[tuple[str, c.Command]] = [
    ('{"type": "open_counter", "id": "s", "counter": 3}', c.OpenCounter(counter=3, at=AT, by="boss")),
    ('{"type": "pause_counter", "id": "s", "counter": 3}', c.PauseCounter(counter=3, at=AT, by="boss")),
    ('{"type": "close_day", "id": "s"}', c.CloseDay(at=AT, by="boss")),
    (
        '{"type": "cancel", "id": "s", "ticket": "20261123-A001"}',
        c.CancelTicket(ticket="20261123-A001", at=AT, by="boss"),
    ),
    (
        '{"type": "set_counter_services", "id": "s", "counter": 3, "services": ["BANK", "TAX"]}',
        c.SetCounterServices(counter=3, services=("BANK", "TAX"), at=AT, by="boss"),
    ),
    (
        '{"type": "move_ticket", "id": "s", "ticket": "20261123-A001", "to_service": "TAX"}',
        c.MoveTicket(ticket="20261123-A001", to_service="TAX", at=AT, by="boss"),
    ),
    (
        '{"type": "set_message", "id": "s", "text": {"az": "Salam"}}',
        c.SetHallMessage(text={"az": "Salam"}, at=AT, by="boss"),
    ),
    ('{"type": "set_message", "id": "s", "text": null}', c.SetHallMessage(text=None, at=AT, by="boss")),
]


@pytest.mark.parametrize(("text", "expected"), SUPERVISED, ids=[r[0][9:40] for r in SUPERVISED])
def test_a_supervisors_request_names_the_supervisor(text: str, expected: c.Command) -> None:
    """Who did what is in the log: the supervisor's login goes into the command (``by``)."""
    msg = p.parse_client_message(text)
    assert not isinstance(msg, p.Hello)
    assert dispatch.command(msg, AT, None, "boss") == expected


def test_ticket_tokens_follow_the_log_and_forget_yesterday() -> None:
    """What ``call_ticket`` by token looks up: the day's issued tickets, by their page token."""
    from server.security import TicketTokens, ticket_token

    secret = "s" * 43
    tokens = TicketTokens(secret)
    tokens.apply(ev.DayOpened(day=AT.date(), at=AT))
    issued = ev.TicketIssued(ticket="20261123-A001", number="A001", service="DIN-ID", agency="DIN", at=AT)
    tokens.apply(issued)
    token = ticket_token(secret, issued.ticket)
    assert tokens.ticket_of(token) == issued.ticket
    assert tokens.ticket_of("-".join(token[i : i + 4] for i in range(0, 26, 4)).upper()) == issued.ticket
    assert tokens.ticket_of(ticket_token("another center's secret", issued.ticket)) is None
    assert tokens.ticket_of("A001") is None
    tomorrow = AT + timedelta(days=1)
    tokens.apply(ev.DayOpened(day=tomorrow.date(), at=tomorrow))
    assert tokens.ticket_of(token) is None
    assert len(tokens) == 0

    without_pages = TicketTokens(None)  # a center without [public]: its QR codes hold ids
    without_pages.apply(issued)
    assert without_pages.ticket_of(token) is None
