"""What the hub tells a counter app beyond its own events: who waits for it (the ``waiting``
notice) and how each visit ended (``finish`` with an outcome). A real server, plain sockets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server import security
from tests.server.harness import ServerProcess, WsClient, counter, kiosk, supervisor


def _is_waiting(message: dict[str, Any]) -> bool:
    return message.get("type") == "waiting"


def _listed(desk: WsClient, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The latest ``waiting`` notice if it fits ``predicate`` (it may have come while an answer
    was awaited), else the next one that does."""
    notices = [m for m in desk.seen if _is_waiting(m)]
    if notices and predicate(notices[-1]):
        return notices[-1]
    return desk.recv_until(lambda m: _is_waiting(m) and predicate(m))


def _numbers(notice: dict[str, Any]) -> list[str]:
    return [t["number"] for t in notice["tickets"]]


def test_counter_is_told_who_waits_for_it_at_welcome_and_after_each_change(server: ServerProcess) -> None:
    """The list comes after the welcome, follows issues and calls elsewhere, priority first."""
    k = kiosk(server)
    first = k.request("issue", service="DIN-ID", lang="ru")["result"]["ticket"]
    k.request("issue", service="BANK-FEE")  # not a service of counter 12
    desk = counter(server, 12)
    # Sent right after the welcome, so it came while the login was answered.
    notice = next(m for m in desk.seen if _is_waiting(m))
    assert desk.seen.index(notice) == 1
    assert _numbers(notice) == ["A001"]
    assert notice["tickets"][0] == {
        "id": first["id"],
        "number": "A001",
        "service": "DIN-ID",
        "priority": "none",
        "lang": "ru",
        "queued_at": first["queued_at"],
        "mine": False,
    }
    assert notice["more"] == 0

    k.request("issue", service="DIN-PASS", lang="en", priority="elderly")
    notice = desk.recv_until(_is_waiting)
    assert _numbers(notice) == ["A002", "A001"]
    assert notice["tickets"][0]["priority"] == "elderly"

    other = counter(server, 13)
    assert other.request("call_next")["result"]["ticket"]["number"] == "A002"
    notice = desk.recv_until(_is_waiting)
    assert _numbers(notice) == ["A001"]


def test_a_transfer_by_name_is_listed_only_at_that_counter_and_marked_mine(server: ServerProcess) -> None:
    """A ticket sent to counter 13 by name is 13's alone: 12 does not see it."""
    k = kiosk(server)
    k.request("issue", service="DIN-ID")
    desk12, desk13 = counter(server, 12), counter(server, 13)
    desk14 = counter(server, 14)
    desk14.request("call_next")
    moved = desk14.request("transfer", to_counter=13)
    assert moved["type"] == "reply", moved
    mine = _listed(desk13, lambda m: bool(m["tickets"]) and m["tickets"][0]["mine"])
    assert [(t["number"], t["mine"]) for t in mine["tickets"]] == [("A001", True)]
    k.request("issue", service="DIN-ID")
    assert _numbers(_listed(desk12, lambda m: "A002" in _numbers(m))) == ["A002"]
    assert _numbers(_listed(desk13, lambda m: "A002" in _numbers(m))) == ["A001", "A002"]


def test_call_ticket_calls_a_waiting_ticket_from_the_list(server: ServerProcess) -> None:
    """The engine's call_ticket takes a waiting ticket's id, as the list gives it."""
    k = kiosk(server)
    for _ in range(3):
        k.request("issue", service="DIN-ID")
    desk = counter(server, 12)
    listed = _listed(desk, lambda m: len(m["tickets"]) == 3)
    third = listed["tickets"][2]
    called = desk.request("call_ticket", ticket=third["id"])
    assert called["result"]["ticket"]["number"] == "A003"
    assert _numbers(desk.recv_until(_is_waiting)) == ["A001", "A002"]


def test_finish_keeps_the_outcome_on_the_event_and_refuses_an_unknown_one(server: ServerProcess) -> None:
    """The outcome named at the finish is on TicketFinished; one the center lacks changes nothing."""
    boss = supervisor(server)
    k = kiosk(server)
    k.request("issue", service="DIN-ID")
    desk = counter(server, 12)
    desk.request("call_next")
    desk.request("start")
    refused = desk.request("finish", outcome="went_home")
    assert refused["type"] == "error"
    assert refused["code"] == "unknown_outcome"
    assert refused["details"]["outcome"] == "went_home"
    finished = desk.request("finish", outcome="documents_missing")
    assert finished["result"]["ticket"]["state"] == "done"
    event = boss.recv_until(lambda m: m.get("type") == "event" and m["event"]["type"] == "TicketFinished")
    assert event["event"]["outcome"] == "documents_missing"
    # The center's outcomes, in order, come with every welcome.
    codes = [o["code"] for o in desk.seen[0]["center"]["outcomes"]]
    assert codes == ["served", "documents_missing", "redirected", "other"]


def test_a_finish_without_an_outcome_records_none(server: ServerProcess) -> None:
    """Older counter apps finish without naming one: the event says null."""
    boss = supervisor(server)
    kiosk(server).request("issue", service="DIN-ID")
    desk = counter(server, 12)
    desk.request("call_next")
    desk.request("start")
    assert desk.request("finish")["type"] == "reply"
    event = boss.recv_until(lambda m: m.get("type") == "event" and m["event"]["type"] == "TicketFinished")
    assert event["event"]["outcome"] is None


def _token(ticket: dict[str, Any]) -> str:
    """The token of the address a ticket's QR code holds (``BASE_URL/t/TOKEN``)."""
    url = str(ticket["url"])
    assert "/t/" in url, url
    return url.rsplit("/", 1)[1]


def test_call_ticket_by_the_token_of_the_tickets_qr_code(server: ServerProcess) -> None:
    """The counter does not know the center's secret: the hub finds the ticket the token names,
    as typed (capitals, the paper's dashes), also after a restart replayed the day."""
    k = kiosk(server)
    tickets = [k.request("issue", service="DIN-ID")["result"]["ticket"] for _ in range(3)]
    other = k.request("issue", service="BANK-FEE")["result"]["ticket"]  # not counter 12's
    desk = counter(server, 12)
    called = desk.request("call_ticket", token=_token(tickets[2]))
    assert called["type"] == "reply", called
    assert called["result"]["ticket"]["id"] == tickets[2]["id"]
    desk.request("start")
    desk.request("finish")

    refused = desk.request("call_ticket", token=_token(other))
    assert refused["code"] == "invalid_transition", refused  # the engine's rule, as by id

    assert server.stop() == 0
    restarted = ServerProcess(server.home).start()
    try:
        desk = counter(restarted, 12)
        token = _token(tickets[1])
        typed = "-".join(token[i : i + 4] for i in range(0, len(token), 4)).upper()
        called = desk.request("call_ticket", token=typed)
        assert called["type"] == "reply", called
        assert called["result"]["ticket"]["id"] == tickets[1]["id"]
    finally:
        restarted.stop()


def test_a_token_of_no_ticket_of_today_here_is_refused_in_the_operators_language(
    server: ServerProcess,
) -> None:
    """Another center's token (another secret) or no token at all: nothing is called, and the
    counter has a sentence to show. (Yesterday's: tests/server/test_parts.py, as days only
    go forward.)"""
    k = kiosk(server)
    ticket = k.request("issue", service="DIN-ID")["result"]["ticket"]
    desk = counter(server, 12, lang="ru")
    foreign = security.ticket_token("another-centers-secret-" + "x" * 20, ticket["id"])
    mine = _token(ticket)
    misread = mine[:-1] + ("b" if mine[-1] == "a" else "a")
    for token in (foreign, misread, "not-a-token"):
        refused = desk.request("call_ticket", token=token)
        assert refused["type"] == "error", refused
        assert refused["code"] == "unknown_ticket_token"
        assert refused["message"] == "Этот талон не сегодняшний или не из этого центра."
    assert desk.request("call_next")["result"]["ticket"]["number"] == "A001"  # nothing was called


def test_call_ticket_names_its_ticket_exactly_once(server: ServerProcess) -> None:
    k = kiosk(server)
    ticket = k.request("issue", service="DIN-ID")["result"]["ticket"]
    desk = counter(server, 12)
    for fields in ({}, {"ticket": ticket["id"], "token": _token(ticket)}):
        refused = desk.request("call_ticket", **fields)
        assert refused["code"] == "invalid_message", refused
        assert "exactly one of ticket and token" in refused["details"]["detail"]
