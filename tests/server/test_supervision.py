"""The supervisor's side of the hub, over a real server: who did what in the log, a counter's
services and a ticket's move through the wire, today's figures, the queue alerts, and a
device whose connection is gone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from server.store import EventStore
from tests.server.harness import Home, ServerProcess, WsClient, counter, display, kiosk, supervisor


def events_of(home: Home) -> list[Any]:
    store = EventStore(home.db_url)
    try:
        return [stored.event for stored in store.load()]
    finally:
        store.close()


def notice(client: WsClient, kind: str, **fields: Any) -> dict[str, Any]:
    """The next message of type ``kind`` whose fields have these values."""
    return client.recv_until(
        lambda m: m.get("type") == kind and all(m.get(k) == v for k, v in fields.items())
    )


def test_every_supervisor_action_names_the_supervisor_in_the_log(home: Home, server: ServerProcess) -> None:
    boss = supervisor(server)
    assert boss.request("open_counter", counter=9)["type"] == "reply"
    assert boss.request("pause_counter", counter=9)["type"] == "reply"
    assert boss.request("set_message", text={"az": "Salam", "ru": "Привет", "en": "Hello"})["type"] == "reply"
    assert boss.request("close_counter", counter=9)["type"] == "reply"
    desk = counter(server, 10)  # the operator's own login: nobody else's doing
    assert desk.request("pause")["type"] == "reply"
    by = [(type(e).__name__, getattr(e, "by", "-")) for e in events_of(home)[1:]]
    assert by == [
        ("CounterOpened", "supervisor"),
        ("CounterPaused", "supervisor"),
        ("HallMessageSet", "supervisor"),
        ("CounterClosed", "supervisor"),
        ("CounterOpened", None),
        ("CounterPaused", None),
    ]


def test_set_message_asked_twice_takes_effect_once(home: Home, server: ServerProcess) -> None:
    boss = supervisor(server)
    first = boss.request("set_message", rid="m-1", text={"en": "Welcome"})
    again = boss.request("set_message", rid="m-1", text={"en": "Welcome"})
    assert first == again
    assert [type(e).__name__ for e in events_of(home)].count("HallMessageSet") == 1


def test_a_counters_services_change_for_the_rest_of_the_day(server: ServerProcess) -> None:
    boss = supervisor(server)
    desk = counter(server, 78)
    lobby = display(server)
    booth = kiosk(server)
    reply = boss.request("set_counter_services", counter=78, services=["KOM-GAS", "BANK-FEE"])
    (event,) = reply["result"]["events"]
    assert (event["type"], event["services"], event["by"]) == (
        "CounterServicesSet",
        ["KOM-GAS", "BANK-FEE"],
        "supervisor",
    )
    assert notice(desk, "event")["event"]["type"] == "CounterServicesSet"
    # The counter calls from its new services at once.
    booth.request("issue", service="KOM-GAS")
    called = desk.request("call_next")
    assert called["result"]["ticket"]["service"] == "KOM-GAS"
    assert called["result"]["counter"]["services"] == ["KOM-GAS", "BANK-FEE"]
    # The displays are not told (nothing they show changed); the call that followed, they are.
    lobby.recv_until(lambda m: m.get("type") == "event" and m["event"]["type"] == "TicketCalled")
    assert "CounterServicesSet" not in [m["event"]["type"] for m in lobby.seen if m.get("type") == "event"]
    snap = supervisor(server).seen[0]["snapshot"]
    assert snap["counters"]["78"]["services"] == ["KOM-GAS", "BANK-FEE"]
    refused = boss.request("set_counter_services", counter=78, services=["NOPE"])
    assert (refused["type"], refused["code"]) == ("error", "unknown_service")


def test_a_waiting_ticket_is_moved_through_the_wire(server: ServerProcess) -> None:
    boss = supervisor(server)
    counter(server, 1)
    ticket = kiosk(server).request("issue", service="DIN-ID")["result"]["ticket"]
    moved = boss.request("move_ticket", ticket=ticket["id"], to_service="DIN-PASS")
    (event,) = moved["result"]["events"]
    assert (event["type"], event["from_service"], event["to_service"]) == (
        "TicketMoved",
        "DIN-ID",
        "DIN-PASS",
    )
    (waiting,) = [t for t in supervisor(server).seen[0]["snapshot"]["tickets"] if t["id"] == ticket["id"]]
    assert (waiting["service"], waiting["state"]) == ("DIN-PASS", "waiting")
    nobody = boss.request("move_ticket", ticket=ticket["id"], to_service="MAI-ARCH")
    assert (nobody["code"], nobody["details"]["service"]) == ("no_open_counter", "MAI-ARCH")


def test_todays_figures_are_the_reports(server: ServerProcess) -> None:
    boss = supervisor(server)
    empty = boss.request("figures")["result"]
    assert empty["center"]["served"] == 0
    desk = counter(server, 1)
    booth = kiosk(server)
    booth.request("issue", service="DIN-ID")
    desk.request("call_next")
    desk.request("start")
    desk.request("finish")
    figures = boss.request("figures")["result"]
    assert figures["center"]["served"] == 1
    assert figures["seq"] > empty["seq"]
    assert [(r["key"], r["served"]) for r in figures["agencies"]] == [("DIN", 1)]
    assert [(r["key"], r["served"]) for r in figures["operators"]] == [("op1", 1)]
    assert figures["standard_min"] == 15.0
    # Kiosks and counters may not ask.
    assert booth.request("figures")["code"] == "forbidden"


def test_stranded_citizens_raise_a_queue_alert_for_every_supervisor(server: ServerProcess) -> None:
    boss = supervisor(server)
    kiosk(server).request("issue", service="MAI-ARCH")
    alerts = notice(boss, "queue_alerts")["alerts"]
    assert [(a["service"], a["kind"]) for a in alerts] == [("MAI-ARCH", "stranded")]
    # A supervisor who comes later finds it in the snapshot.
    later = supervisor(server).seen[0]["snapshot"]["queue_alerts"]
    assert [(a["service"], a["kind"], a["since"]) for a in later] == [
        (a["service"], a["kind"], a["since"]) for a in alerts
    ]
    # A resuming supervisor gets them after the missed events, with every device's health.
    resumed = WsClient(server.url)
    first = boss.seen[0]
    welcome = resumed.hello(
        role="supervisor", login="supervisor", password="novbe-demo", resume_from=first["seq"]
    )
    assert welcome["resumed"] is True
    assert notice(resumed, "queue_alerts")["alerts"] == alerts


@pytest.fixture
def quick(home: Home) -> Iterator[ServerProcess]:
    """A server that calls a device offline after half a second."""
    proc = ServerProcess(home, extra_args=["--offline-after", "0.5"]).start()
    yield proc
    proc.stop()


def test_a_device_gone_too_long_is_offline_and_back(quick: ServerProcess) -> None:
    boss = supervisor(quick)
    booth = kiosk(quick)
    booth.close()
    alert = notice(boss, "alert", device="kiosk:kiosk-1/app")
    assert (alert["status"]["status"], alert["status"]["detail"]) == (
        "offline",
        "no connection to the server",
    )
    kiosk(quick)
    back = notice(boss, "recovered", device="kiosk:kiosk-1/app")
    assert back["was"] == "offline"


def test_a_closed_counters_app_may_go_and_an_open_ones_may_not(quick: ServerProcess) -> None:
    boss = supervisor(quick)
    closed = counter(quick, 30, login=False)
    working = counter(quick, 31)
    closed.close()
    working.close()
    alert = notice(boss, "alert")
    assert alert["device"] == "counter:31/app"
    # The closed counter's app was never missed.
    assert not [m for m in boss.seen if m.get("device") == "counter:30/app"]
