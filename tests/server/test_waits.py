"""The promised wait, through a real server: the range a kiosk shows for a service (from its
snapshot or the ``queues`` notice) is the range the ticket it issues next promises, as long
as nothing happened between the two."""

from __future__ import annotations

from typing import Any

from tests.server.harness import ServerProcess, WsClient, counter, kiosk

SERVICE = "DIN-ID"
"""Served at counters 1 to 8 of the reference center."""


def shown(message: dict[str, Any]) -> dict[str, Any]:
    """The figures of SERVICE in a welcome's snapshot or a ``queues`` notice."""
    services = message["snapshot"]["queues"] if message["type"] == "welcome" else message["services"]
    figures: dict[str, Any] = services[SERVICE]
    return figures


def promised(client: WsClient) -> tuple[dict[str, int], int]:
    ticket = client.request("issue", service=SERVICE)["result"]["ticket"]
    return ticket["wait"], ticket["ahead"]


def test_the_ticket_promises_the_wait_the_kiosk_showed(server: ServerProcess) -> None:
    """From the snapshot and from a ``queues`` notice alike. No counter is busy, so the
    estimate does not change as the seconds pass: any difference would be a bug."""
    counter(server, 1)  # open, and free
    first = kiosk(server, "kiosk-1")
    for _ in range(4):
        first.request("issue", service=SERVICE)
    second = kiosk(server, "kiosk-2")
    figures = shown(second.seen[0])
    assert (figures["waiting"], figures["available"]) == (4, True)
    assert figures["wait"]["high_min"] > 1
    assert promised(second) == (figures["wait"], 4)
    notice = second.recv_until(lambda m: m["type"] == "queues" and shown(m)["waiting"] == 5)
    assert shown(notice)["wait"] != figures["wait"]
    assert promised(second) == (shown(notice)["wait"], 5)


def test_a_kiosk_that_resumes_is_told_the_figures_of_the_moment(server: ServerProcess) -> None:
    """A kiosk away while the figures changed resumes (its missed events, no snapshot):
    the figures follow the welcome, not whenever they change next (in a quiet hall: never).
    Before, it kept showing the wait of the hall it left, while its ticket promised another:
    a counter had opened meanwhile."""
    away = kiosk(server, "kiosk-2")
    welcome = away.seen[0]
    before = shown(welcome)["wait"]
    assert before == {"low_min": 0, "high_min": 1}, before  # no counter at work: under a minute
    away.close()
    desk = counter(server, 1)  # opens: a free counter, nobody waiting
    now = desk.recv_until(lambda m: m["type"] == "queues" and shown(m)["wait"] != before)
    assert shown(now)["wait"] == {"low_min": 0, "high_min": 0}
    back = WsClient(server.url)
    token = server.home.token("kiosk", "kiosk-2")
    again = back.hello(role="kiosk", device="kiosk-2", token=token, resume_from=welcome["seq"])
    assert (again["type"], again["resumed"]) == ("welcome", True)
    notice = back.recv_until(lambda m: m["type"] == "queues", timeout=3.0)
    assert shown(notice) == shown(now)
    assert promised(back) == (shown(notice)["wait"], 0)
