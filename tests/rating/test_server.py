"""The rating terminal against a real server process: the real app (session, view-model,
window offscreen), a counter and a kiosk as plain websocket clients, and the event log read
back through a supervisor. Also the rules the server keeps for any client of the role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt

from rating.app import RatingApp
from rating.viewmodel import Screen, Timings
from report.build import build_report
from report.facts import day_starts
from report.periods import day
from server.center import load_center
from server.store import EventStore
from tests.server.harness import (
    TIMEOUT,
    Home,
    ServerProcess,
    WsClient,
    counter,
    kiosk,
    make_home,
    rating,
    supervisor,
)
from wire.client import ClientOptions
from wire.device import load_device
from wire.types import RatingReason

pytestmark = pytest.mark.slow

FAST = Timings(tap_guard=0.05, offline_grace=0.3, thanks=0.5)
WAIT_MS = int(TIMEOUT * 1000)


def serve_one(kiosk_client: WsClient, desk: WsClient, service: str = "DIN-ID") -> dict[str, Any]:
    """A citizen takes a ticket and is called, served and finished at ``desk``: the ticket."""
    issued = kiosk_client.request("issue", service=service, lang="ru")
    assert issued["type"] == "reply", issued
    for step in ("call_next", "start", "finish"):
        answer = desk.request(step)
        assert answer["type"] == "reply", (step, answer)
    ticket: dict[str, Any] = answer["result"]["ticket"]
    assert ticket["state"] == "done"
    return ticket


def rated_event(boss: WsClient) -> dict[str, Any]:
    event: dict[str, Any] = boss.recv_until(
        lambda m: m.get("type") == "event" and m["event"]["type"] == "VisitRated"
    )["event"]
    return event


@pytest.fixture
def terminal(qtbot: Any) -> Iterator[Callable[[Home, ServerProcess, int], RatingApp]]:
    apps: list[RatingApp] = []

    def start(home: Home, server: ServerProcess, number: int = 1) -> RatingApp:
        config = load_device(home.path / "devices" / f"rating-{number}.toml")
        config = config.model_copy(update={"server_url": server.url, "fullscreen": False})
        app = RatingApp(
            config,
            size=QSize(800, 480),
            timings=FAST,
            client_options=ClientOptions(backoff_min=0.1, backoff_max=0.3),
        )
        qtbot.addWidget(app.window)
        app.window.show()
        app.start()
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.stop()


def test_a_finished_visit_is_rated_at_its_counter(
    qtbot: Any, home: Home, server: ServerProcess, terminal: Any
) -> None:
    app = terminal(home, server)
    window, model = app.window, app.model
    desk, boss = counter(server, 1), supervisor(server)
    qtbot.waitUntil(lambda: model.operator_name == "Operator 1", timeout=WAIT_MS)
    assert window.idle_operator.text() == "Sizə xidmət edir: Operator 1"

    ticket = serve_one(kiosk(server), desk)
    qtbot.waitUntil(lambda: model.screen is Screen.FACES, timeout=WAIT_MS)
    assert model.lang == "ru", "asked in the citizen's language"
    assert window.faces_visit.text() == f"Талон {ticket['number']} · Окно 1 · Operator 1"
    qtbot.wait(100)
    qtbot.mouseClick(window.face_buttons[4], Qt.MouseButton.LeftButton)
    assert model.screen is Screen.REASONS
    qtbot.wait(100)
    qtbot.mouseClick(window.reason_buttons[RatingReason.RUDE], Qt.MouseButton.LeftButton)
    qtbot.wait(100)
    qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)

    event = rated_event(boss)
    assert (event["ticket"], event["counter"], event["operator"], event["service"]) == (
        ticket["id"],
        1,
        "op1",
        "DIN-ID",
    )
    assert (event["score"], event["reasons"], event["source"]) == (4, ["rude"], "counter")
    qtbot.waitUntil(lambda: model.waiting_to_send == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: model.screen is Screen.IDLE, timeout=WAIT_MS)

    # One rating per visit: the same visit again is refused, from the terminal's own role.
    again = rating(server, 1).request("rate", ticket=ticket["id"], score=1)
    assert (again["code"], again["details"]["reason"]) == ("rating_refused", "already_rated")

    # The report reads it from the log: the counter's, its operator's and the agency's figures.
    with EventStore(home.db_url) as store:
        report = build_report(store, load_center(home.path / "center.toml"), day(day_starts(store)[-1][1]))
    for level, key in (("counter", "1"), ("operator", "op1"), ("agency", "DIN"), ("center", "")):
        (row,) = [r for r in report.figures.rows[level] if r.key == key]
        assert (row.ratings, row.rating_mean, row.satisfied, row.reasons["rude"]) == (1, 4.0, 1, 1), level


def test_only_the_terminal_of_the_visits_counter_may_rate_it(home: Home, server: ServerProcess) -> None:
    ticket = serve_one(kiosk(server), counter(server, 1))
    other = rating(server, 2)
    refused = other.request("rate", ticket=ticket["id"], score=5)
    assert (refused["code"], refused["details"]["reason"]) == ("rating_refused", "other_counter")
    assert refused["message"] == "Bu qiymət qəbul edilmir: bu talon bu masada qəbul olunmayıb"
    # The counter app itself may not rate its own visit: only its terminal.
    desk = counter(server, 3)
    assert desk.request("rate", ticket=ticket["id"], score=5)["code"] == "forbidden"
    assert rating(server, 1).request("rate", ticket="19990101-Z999", score=5)["code"] == "unknown_ticket"
    ok = rating(server, 1).request("rate", ticket=ticket["id"], score=5)
    assert ok["result"]["rating"]["type"] == "VisitRated"


def test_the_terminal_is_told_its_counter_and_the_visit_to_rate(home: Home, server: ServerProcess) -> None:
    terminal_1 = rating(server, 1)
    first = terminal_1.recv_until(lambda m: m.get("type") == "counter")
    assert (first["counter"]["number"], first["operator"], first["visit"]) == (1, None, None)
    desk = counter(server, 1)
    opened = terminal_1.recv_until(lambda m: m.get("type") == "counter")
    assert opened["operator"] == {"login": "op1", "name": "Operator 1"}
    ticket = serve_one(kiosk(server), desk)
    finished = terminal_1.recv_until(lambda m: m.get("type") == "counter" and m["visit"] is not None)
    visit = finished["visit"]
    assert (visit["ticket"], visit["lang"], visit["rated_at"]) == (ticket["id"], "ru", None)
    assert visit["operator"] == {"login": "op1", "name": "Operator 1"}
    # The events of its counter, as a one-counter display sees them.
    kinds = [m["event"]["type"] for m in terminal_1.seen if m.get("type") == "event"]
    assert kinds[-4:] == ["CounterOpened", "TicketCalled", "ServiceStarted", "TicketFinished"]


@pytest.fixture
def quick_home(tmp_path: Path) -> Home:
    """A center whose ratings are taken for 0.05 min (3 s) after a finish."""
    home = make_home(tmp_path / "quick")
    path = home.path / "center.toml"
    text = path.read_text(encoding="utf-8")
    assert "rating_window_min = 5.0" in text
    path.write_text(text.replace("rating_window_min = 5.0", "rating_window_min = 0.05"), encoding="utf-8")
    return home


def test_too_late_is_refused_and_the_faces_go_with_the_window(
    qtbot: Any, quick_home: Home, terminal: Any
) -> None:
    server = ServerProcess(quick_home).start()
    try:
        app = terminal(quick_home, server)
        ticket = serve_one(kiosk(server), counter(server, 1))
        qtbot.waitUntil(lambda: app.model.screen is Screen.FACES, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: app.model.screen is Screen.IDLE, timeout=WAIT_MS)
        late = rating(server, 1).request("rate", ticket=ticket["id"], score=3)
        assert (late["code"], late["details"]["reason"]) == ("rating_refused", "expired")
    finally:
        server.stop()


def test_a_rating_made_offline_is_sent_once_the_server_is_back(
    qtbot: Any, home: Home, server: ServerProcess, terminal: Any
) -> None:
    app = terminal(home, server)
    ticket = serve_one(kiosk(server), counter(server, 1))
    qtbot.waitUntil(lambda: app.model.screen is Screen.FACES, timeout=WAIT_MS)
    server.stop()
    qtbot.waitUntil(lambda: app.model.offline_shown, timeout=WAIT_MS)
    qtbot.mouseClick(app.window.face_buttons[5], Qt.MouseButton.LeftButton)
    assert app.model.screen is Screen.THANKS
    assert not app.window.thanks_kept.isHidden()
    qtbot.waitUntil(lambda: app.model.screen is Screen.IDLE, timeout=WAIT_MS)
    assert app.window.banner.text().endswith(": 1"), app.window.banner.text()

    server.start()  # the same port, database and center
    qtbot.waitUntil(lambda: app.model.waiting_to_send == 0, timeout=WAIT_MS)
    assert not app.model.offline_shown
    again = rating(server, 1).request("rate", ticket=ticket["id"], score=1)
    assert again["details"]["reason"] == "already_rated", "the kept rating was recorded, once"


def test_a_terminal_that_resumes_gets_its_counters_missed_events_and_the_notice(
    home: Home, server: ServerProcess
) -> None:
    desk, other, kiosk_client = counter(server, 1), counter(server, 2), kiosk(server)
    first = WsClient(server.url)
    token = home.token("rating", "1")
    welcome = first.hello(role="rating", device="1", token=token)
    first.close()
    ticket = serve_one(kiosk_client, desk)
    serve_one(kiosk_client, other)
    again = WsClient(server.url)
    resumed = again.hello(role="rating", device="1", token=token, resume_from=welcome["seq"])
    assert (resumed["resumed"], resumed["snapshot"]) == (True, None)
    told = again.recv_until(lambda m: m.get("type") == "counter")
    assert told["visit"]["ticket"] == ticket["id"]
    missed = [m["event"] for m in again.seen if m.get("type") == "event"]
    assert [e["type"] for e in missed] == ["TicketCalled", "ServiceStarted", "TicketFinished"]
    assert {e["counter"] for e in missed} == {1}, "only its own counter's events"
