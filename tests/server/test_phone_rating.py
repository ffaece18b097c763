"""A rating from a ticket's phone page: the web process's connection (role ``web``) sends the
same ``rate`` as a terminal, and the hub keeps Rule V-2: only a served visit, once in all
(whether the terminal or the page rated it first), while the day is open. The report counts
it like the terminal's."""

from __future__ import annotations

from typing import Any

import pytest

from report.build import build_report
from report.periods import day
from server.center import load_center
from server.store import EventStore
from server.tally.facts import day_starts
from tests.server.harness import Home, ServerProcess, WsClient, counter, kiosk, rating, supervisor

pytestmark = pytest.mark.slow


def web(server: ServerProcess) -> WsClient:
    """The web process's connection to the hub, introduced (its replay read to the end)."""
    client = WsClient(server.url)
    welcome = client.hello(role="web", device="1", token=server.home.token("web", "1"))
    assert (welcome["type"], welcome["role"]) == ("welcome", "web"), welcome
    client.recv_until(lambda m: m.get("type") == "queues")
    return client


def refused(answer: dict[str, Any]) -> tuple[str, str | None]:
    assert answer["type"] == "error", answer
    return answer["code"], answer["details"].get("reason")


def test_the_web_role_rates_a_served_visit_once(home: Home, server: ServerProcess) -> None:
    desk, issuing, page = counter(server, 1), kiosk(server), web(server)
    served = issuing.request("issue", service="DIN-ID")["result"]["ticket"]
    waiting = issuing.request("issue", service="DIN-ID")["result"]["ticket"]
    assert page.request("rate", ticket=served["id"], score=4)["details"]["reason"] == "no_visit"
    for step in ("call_next", "start", "finish"):
        assert desk.request(step)["type"] == "reply", step
    # The counter serves the next citizen: the page still rates its own ticket's visit.
    for step in ("call_next", "start"):
        assert desk.request(step)["type"] == "reply", step

    # Not done (being served now), and not a ticket of today.
    assert refused(page.request("rate", ticket=waiting["id"], score=5)) == ("rating_refused", "no_visit")
    assert refused(page.request("rate", ticket="19990101-Z999", score=5)) == ("unknown_ticket", None)

    answer = page.request("rate", ticket=served["id"], score=2, reasons=["waited_too_long", "rude"])
    assert answer["type"] == "reply", answer
    rated = answer["result"]["rating"]
    assert (rated["type"], rated["ticket"], rated["counter"], rated["operator"], rated["source"]) == (
        "VisitRated",
        served["id"],
        1,
        "op1",
        "phone",
    )
    assert (rated["score"], rated["reasons"]) == (2, ["waited_too_long", "rude"])

    # Once in all: the page again, and the terminal of the counter, are refused.
    assert refused(page.request("rate", ticket=served["id"], score=5)) == ("rating_refused", "already_rated")
    terminal = rating(server, 1)
    assert refused(terminal.request("rate", ticket=served["id"], score=5)) == (
        "rating_refused",
        "already_rated",
    )

    # The report counts it as it counts the terminal's.
    with EventStore(home.db_url) as store:
        report = build_report(store, load_center(home.path / "center.toml"), day(day_starts(store)[-1][1]))
    for level, key in (("counter", "1"), ("operator", "op1"), ("agency", "DIN"), ("center", "")):
        (row,) = [r for r in report.figures.rows[level] if r.key == key]
        assert (row.ratings, row.rating_mean, row.reasons["rude"]) == (1, 2.0, 1), level


def test_the_page_is_refused_what_the_terminal_rated_and_a_no_show(home: Home, server: ServerProcess) -> None:
    desk, issuing, page = counter(server, 1), kiosk(server), web(server)
    first = issuing.request("issue", service="DIN-ID")["result"]["ticket"]
    gone = issuing.request("issue", service="DIN-ID")["result"]["ticket"]
    for step in ("call_next", "start", "finish"):
        assert desk.request(step)["type"] == "reply", step
    assert rating(server, 1).request("rate", ticket=first["id"], score=5)["type"] == "reply"
    assert refused(page.request("rate", ticket=first["id"], score=1)) == ("rating_refused", "already_rated")
    for step in ("call_next", "no_show"):
        assert desk.request(step)["type"] == "reply", step
    assert refused(page.request("rate", ticket=gone["id"], score=1)) == ("rating_refused", "no_visit")


def test_the_page_may_rate_until_the_day_closes(home: Home, server: ServerProcess) -> None:
    desk, issuing, page = counter(server, 1), kiosk(server), web(server)
    ticket = issuing.request("issue", service="DIN-ID")["result"]["ticket"]
    for step in ("call_next", "start", "finish"):
        assert desk.request(step)["type"] == "reply", step
    assert supervisor(server).request("close_day")["type"] == "reply"
    assert refused(page.request("rate", ticket=ticket["id"], score=4)) == ("rating_refused", "expired")
